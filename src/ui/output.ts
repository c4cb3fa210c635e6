import { Chalk, type ChalkInstance } from 'chalk';

/** chalk's levels: 0 none, 1 16 colors, 2 256, 3 16 million. */
export type ColorLevel = 0 | 1 | 2 | 3;

const FORCED: Record<string, ColorLevel> = { '': 1, '1': 1, true: 1, '2': 2, '3': 3 };

/**
 * How many colors a stream gets, by the platform's rules (Node's getColorDepth; chalk reads only
 * FORCE_COLOR): `--no-color` turns them off; FORCE_COLOR '', 1 or true gives 16 colors, 2 256, 3 16
 * million, anything else (0, false) none, whatever the stream; NO_COLOR (not empty), NODE_DISABLE_COLORS
 * or TERM=dumb turn them off; otherwise a terminal gets what it says it has, a pipe or a file none.
 */
export function colorLevel(
  stream: Pick<NodeJS.WriteStream, 'isTTY'> & { getColorDepth?: (env?: object) => number },
  env: NodeJS.ProcessEnv = process.env,
  argv: string[] = process.argv,
): ColorLevel {
  const end = argv.indexOf('--');
  if ((end < 0 ? argv : argv.slice(0, end)).includes('--no-color')) return 0;
  if (env.FORCE_COLOR !== undefined) return FORCED[env.FORCE_COLOR] ?? 0;
  if ((env.NO_COLOR ?? '') !== '' || env.NODE_DISABLE_COLORS !== undefined || env.TERM === 'dumb') return 0;
  if (!stream.isTTY) return 0;
  const depth = stream.getColorDepth?.(env) ?? 4;
  return depth >= 24 ? 3 : depth >= 8 ? 2 : depth >= 4 ? 1 : 0;
}

/** Colors for chatter on stderr. */
export const c: ChalkInstance = new Chalk({ level: colorLevel(process.stderr) });
/** Colors for data on stdout (tables). */
export const co: ChalkInstance = new Chalk({ level: colorLevel(process.stdout) });

/** Data goes to stdout. */
export function out(line = ''): void {
  process.stdout.write(line + '\n');
}

/** Chatter (progress, notes, warnings) goes to stderr. */
export function info(line = ''): void {
  process.stderr.write(line + '\n');
}

export function warn(line: string): void {
  process.stderr.write(c.yellow('warning: ') + line + '\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
