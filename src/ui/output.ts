import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Colors follow the usual conventions: NO_COLOR (any non-empty value) turns them off, FORCE_COLOR turns
 * them on, otherwise only a TTY gets colors. chalk itself does not look at NO_COLOR, hence this.
 */
export function colorsWanted(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

/** Colors for chatter on stderr. */
export const c: ChalkInstance = new Chalk({ level: colorsWanted(process.stderr) ? 1 : 0 });
/** Colors for data on stdout (tables). */
export const co: ChalkInstance = new Chalk({ level: colorsWanted(process.stdout) ? 1 : 0 });

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
