// The table as commander options: each command declares its settings from it (help made from the table:
// the text, the variable, the default), and reads back only what was typed; precedence is resolve.ts's.
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { resolveSettings, type Resolved, type ResolveInput } from './resolve.js';
import { helpOf } from './schema.js';
import { CONNECTION_KEYS, envName, keysOf, spec, type CommandName, type SettingKey } from './table.js';

/** commander's attribute for a flag: --kafka-ca -> kafkaCa, --no-read-ahead -> readAhead */
const attr = (flag: string) => flag.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The help line of a setting on a command: its text, its variable, its default. */
export function helpLine(key: SettingKey, command: CommandName): string {
  const s = spec(key);
  const help = typeof s.help === 'string' ? s.help : (s.help[command] ?? helpOf(s));
  const env = envName(key);
  const negated = s.flag.startsWith('--no-') ? '=false' : '';
  const envText =
    env === undefined ? '' : s.secret ? ` (or env ${env}, the password itself)` : ` [env ${env}${negated}]`;
  const required = s.requiredIn?.includes(command);
  const worked = typeof s.defaultHelp === 'object' ? s.defaultHelp[command] : s.defaultHelp;
  const fallback = required || s.arg === undefined ? undefined : (worked ?? s.default);
  return `${help}${envText}${fallback !== undefined ? ` (default: ${fallback})` : ''}`;
}

/** Adds a command's settings from the table. No commander defaults: precedence is ours. */
export function declareSettings(cmd: Command, command: CommandName): Command {
  const keys = keysOf(command);
  for (const key of keys) {
    const s = spec(key);
    const arg = s.arg === undefined ? '' : ` ${s.arg}`;
    const option = new Option(`${s.short ? `${s.short}, ` : ''}${s.flag}${arg}`, helpLine(key, command));
    if (s.kind.choices) option.argChoices = [...s.kind.choices];
    if (s.heading) option.helpGroup(s.heading);
    cmd.addOption(option);
    for (const alias of s.aliases ?? []) cmd.addOption(new Option(`${alias}${arg}`).hideHelp());
  }
  if (keys.includes('brokers')) {
    cmd.addOption(
      new Option(
        '--config <file>',
        'project config file (default: $LOGINSYNC_CONFIG, else loginsync.config.json here or in a directory ' +
          'above, up to the project root (.git) or home)',
      ).helpGroup('Connection:'),
    );
    // a password typed as a flag would sit in the shell history and in `ps`: refused with the way to do it
    cmd.addOption(new Option('--sasl-password <password>').hideHelp());
    cmd.addOption(new Option('--cassandra-password <password>').hideHelp());
  }
  return cmd;
}

/** What was typed of a setting: the flag or one of its aliases (all of them, if they agree). */
function typed(cmd: Command, key: SettingKey): { value: string | boolean; what: string } | undefined {
  const s = spec(key);
  const given = [s.flag, ...(s.aliases ?? [])]
    .filter((f) => cmd.getOptionValueSource(attr(f)) === 'cli')
    .map((f) => ({ value: cmd.getOptionValue(attr(f)) as string | boolean, what: f }));
  const [first, ...rest] = given;
  const other = rest.find((g) => g.value !== first?.value);
  if (first && other) throw new UsageError(`${first.what} and ${other.what} disagree: give one of them`);
  return first;
}

/** Passwords are never flags: the refusal says how to give them. */
function refusePasswordFlags(cmd: Command): void {
  for (const [name, env] of [
    ['--sasl-password', 'LOGINSYNC_SASL_PASSWORD'],
    ['--cassandra-password', 'LOGINSYNC_CASSANDRA_PASSWORD'],
  ] as const) {
    if (cmd.getOptionValue(attr(name)) !== undefined) {
      throw new UsageError(
        `${name} is not accepted: a password on the command line is visible to other users (ps) and kept in ` +
          'shell history',
        { hint: `set ${env}, or put it in a file only you can read and give ${name}-file FILE` },
      );
    }
  }
}

/**
 * Resolves the settings of a command from its parsed options (and the global --verbose). The warnings
 * are in the result, for the command to print.
 */
export function resolveCommandSettings<C extends CommandName>(cmd: Command, command: C): Resolved<C> {
  return resolveSettings({ ...typedInput(cmd, command), command });
}

/** Every setting of every command, with the flags typed to this one (config show). */
export function resolveEverySetting(cmd: Command, command: CommandName): Resolved {
  return resolveSettings(typedInput(cmd, command));
}

/** What a command was given: its flags as typed, the config file named, --verbose. */
export function typedInput(cmd: Command, command: CommandName): ResolveInput<undefined> {
  const keys = keysOf(command);
  if (keys.some((k) => (CONNECTION_KEYS as SettingKey[]).includes(k))) refusePasswordFlags(cmd);
  const flags: ResolveInput['flags'] = {};
  for (const key of keys) {
    const t = typed(cmd, key);
    if (t !== undefined) flags[key] = t;
  }
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  return {
    flags,
    env: process.env,
    configPath: typeof o.config === 'string' ? o.config : undefined,
    cwd: process.cwd(),
    verbose: o.verbose === true,
  };
}
