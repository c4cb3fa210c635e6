// Precedence: a setting's value is its flag's, else its variable's, else the project file's, else the user
// file's, else the table's default; a switch for one invocation has only its flag and default. Every value
// is parsed by its kind, and the connection's settings are checked together.
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { checkPrivate, readConfigFiles, readSecretFile, type ConfigFile, type ConfigFiles } from './files.js';
import {
  envName,
  keysOf,
  spec,
  SETTING_KEYS,
  type AllSettings,
  type CommandName,
  type ConnectionSettings,
  type SettingKey,
  type SettingsOf,
} from './table.js';

/** Where a resolved setting came from, strongest first. */
export type Source = 'flag' | 'env' | 'project file' | 'user file' | 'default';

export interface ResolveInput<C extends CommandName | undefined = undefined> {
  /** the command whose settings these are; none: every setting (config show lists them all) */
  command?: C;
  /**
   * values given as flags (only those the user typed): text, true or false for switches, a file's path for
   * a secret; `what` is the spelling typed, where it was an alias
   */
  flags: Partial<Record<SettingKey, string | boolean | { value: string | boolean; what: string }>>;
  env: NodeJS.ProcessEnv;
  /** --config FILE, if given */
  configPath?: string | undefined;
  cwd: string;
  /** the global --verbose flag */
  verbose?: boolean;
}

type Values<C> = C extends CommandName ? SettingsOf<C> : AllSettings;

export interface Resolved<C extends CommandName | undefined = undefined> {
  settings: Values<C> & { verbose: boolean };
  sources: Partial<Record<SettingKey, Source>>;
  /** where exactly: the flag, the variable, the file (and for a secret read from a file, that file) */
  origins: Partial<Record<SettingKey, string>>;
  files: ConfigFiles['files'];
  /** things to tell the user (a secret in a file others can read, TLS checks switched off): the caller prints them */
  warnings: string[];
}

interface RawValue {
  raw: string | string[];
  /** where it came from, as messages name it */
  what: string;
}

/** A setting's value in a config file: the key, or for a secret <key>File naming the file that holds it. */
function fromFile(
  cfg: ConfigFile,
  path: string | undefined,
  key: SettingKey,
  warnings: string[],
): RawValue | undefined {
  const s = spec(key);
  const v = cfg[key];
  if (v !== undefined) {
    if (s.secret) checkPrivate(path!, warnings);
    // a path in a config file is relative to that file ("-", stdout, is no path)
    const raw = s.kind.path && typeof v === 'string' && v !== '-' ? resolve(dirname(path!), v) : v;
    return { raw: Array.isArray(raw) ? raw : String(raw), what: `${path}: ${key}` };
  }
  const f = s.secret ? cfg[`${key}File`] : undefined;
  if (typeof f === 'string') {
    const p = resolve(dirname(path!), f);
    checkPrivate(p, warnings);
    return { raw: readSecretFile(p, `${path}: ${key}File`), what: p };
  }
  return undefined;
}

/** The value typed as a flag: its text and the spelling typed; a secret's flag names the file holding it. */
function fromFlag(
  key: SettingKey,
  input: ResolveInput<CommandName | undefined>,
  warnings: string[],
): RawValue | undefined {
  const s = spec(key);
  const given = input.flags[key];
  if (given === undefined) return undefined;
  const { value, what } = typeof given === 'object' ? given : { value: given, what: s.flag };
  if (!s.secret) return { raw: String(value), what };
  const p = resolve(input.cwd, String(value));
  checkPrivate(p, warnings);
  return { raw: readSecretFile(p, what), what: `${what} ${p}` };
}

/** One setting's raw value and its source: flag > environment > project file > user file > default. */
function rawValue(
  key: SettingKey,
  input: ResolveInput<CommandName | undefined>,
  cfg: ConfigFiles,
  warnings: string[],
): { value: RawValue | undefined; source: Source } {
  const s = spec(key);
  const flag = fromFlag(key, input, warnings);
  if (flag) return { value: flag, source: 'flag' };
  const env = envName(key);
  const envValue = env ? input.env[env] : undefined;
  if (env && envValue !== undefined && envValue !== '') return { value: { raw: envValue, what: env }, source: 'env' };
  let hit: RawValue | undefined;
  if (s.scope === 'setting') {
    if ((hit = fromFile(cfg.project, cfg.files.project, key, warnings))) return { value: hit, source: 'project file' };
    if ((hit = fromFile(cfg.user, cfg.files.user, key, warnings))) return { value: hit, source: 'user file' };
  }
  if (input.command !== undefined && s.requiredIn?.includes(input.command))
    return { value: undefined, source: 'default' };
  return { value: s.default === undefined ? undefined : { raw: s.default, what: key }, source: 'default' };
}

const STRENGTH: Source[] = ['flag', 'env', 'project file', 'user file', 'default'];

/**
 * Of two settings that exclude each other, given from different sources, the weaker goes back to its
 * default: a typed flag is not refused because a config file holds the other.
 */
function dropOverruled(
  key: SettingKey,
  keys: SettingKey[],
  r: { settings: Record<string, unknown>; sources: Resolved['sources']; origins: Resolved['origins'] },
): void {
  const other = spec(key).excludes as SettingKey | undefined;
  if (other === undefined || !keys.includes(other)) return;
  const [a, b] = [STRENGTH.indexOf(r.sources[key]!), STRENGTH.indexOf(r.sources[other]!)];
  if (a === b || a === STRENGTH.length - 1 || b === STRENGTH.length - 1) return;
  const [weaker, stronger] = a < b ? [other, key] : [key, other];
  const fallback = spec(weaker).default;
  r.settings[weaker] = fallback === undefined ? undefined : spec(weaker).kind(fallback, weaker);
  r.sources[weaker] = 'default';
  r.origins[weaker] = `default (overruled by ${r.origins[stronger]})`;
}

/** A setting a command must be given, missing. */
function missing(key: SettingKey, command: CommandName): UsageError {
  const s = spec(key);
  return new UsageError(`${command} needs ${s.flag}: it has no default there`, {
    hint: `give ${s.flag}, ${envName(key)}, or "${key}" in a config file`,
  });
}

/** flags > environment > project file > user file > defaults, each value checked. */
export function resolveSettings<C extends CommandName | undefined = undefined>(input: ResolveInput<C>): Resolved<C> {
  const keys = input.command === undefined ? SETTING_KEYS : keysOf(input.command);
  // the stack's commands read no config file: a broken project file must not stop `stack down`
  const cfg = keys.some((k) => spec(k).scope === 'setting')
    ? readConfigFiles(input.cwd, input.env, input.configPath)
    : { files: {}, project: {}, user: {} };
  const warnings: string[] = [];
  const settings: Record<string, unknown> = {};
  const sources: Resolved['sources'] = {};
  const origins: Resolved['origins'] = {};
  for (const key of keys) {
    const { value, source } = rawValue(key, input, cfg, warnings);
    if (value === undefined && input.command !== undefined && spec(key).requiredIn?.includes(input.command))
      throw missing(key, input.command);
    settings[key] = value === undefined ? undefined : spec(key).kind(value.raw, value.what);
    sources[key] = source;
    origins[key] = source === 'default' ? 'default' : value!.what;
  }
  for (const key of keys) dropOverruled(key, keys, { settings, sources, origins });
  settings.verbose = input.verbose === true || input.env.LOGINSYNC_VERBOSE === '1';
  if (keys.includes('brokers')) {
    checkCombinations(settings as unknown as ConnectionSettings, sources, warnings);
    if (settings.kafkaTls && sources.kafkaTls === 'default') origins.kafkaTls = 'implied by the Kafka TLS options';
    if (settings.cassandraTls && sources.cassandraTls === 'default')
      origins.cassandraTls = 'implied by the Cassandra TLS options';
  }
  return { settings: settings as Resolved<C>['settings'], sources, origins, files: cfg.files, warnings };
}

const PASSWORD_HINT = (env: string, flag: string) =>
  `the password comes from ${env} or ${flag} FILE, never from a plain flag`;

/** Settings that only make sense together; TLS implied by its files. */
function checkCombinations(s: ConnectionSettings, sources: Resolved['sources'], warnings: string[]): void {
  // TLS files imply TLS, unless TLS was switched off explicitly
  if ((s.kafkaCa || s.kafkaCert || s.kafkaKey || s.kafkaInsecureSkipVerify) && sources.kafkaTls === 'default')
    s.kafkaTls = true;
  if ((s.cassandraCa || s.cassandraCert || s.cassandraKey) && sources.cassandraTls === 'default') s.cassandraTls = true;
  if (s.readConsistency === 'any')
    throw new UsageError('--read-consistency: any is for writes only; Cassandra refuses reads at any', {
      hint: 'use one, local_one, local_quorum or quorum',
    });
  if (s.writeConsistency === 'any')
    warnings.push(
      '--write-consistency any: a write counts as done when a hint is stored, before any replica has it; ' +
        'offsets may be committed for writes not yet readable',
    );
  for (const [side, cert, key] of [
    ['kafka', s.kafkaCert, s.kafkaKey],
    ['cassandra', s.cassandraCert, s.cassandraKey],
  ] as const) {
    if ((cert === undefined) !== (key === undefined))
      throw new UsageError(`--${side}-cert and --${side}-key go together (mutual TLS): give both`);
  }
  checkPasswords(s);
  if (s.kafkaInsecureSkipVerify) {
    warnings.push(
      'Kafka TLS certificates are NOT checked (--kafka-insecure-skip-verify): anyone between here and the ' +
        'brokers can read and change this traffic, passwords included',
    );
  }
  if (s.saslMechanism === 'plain' && !s.kafkaTls) {
    warnings.push('--sasl-mechanism plain without TLS sends the password in clear text: add --kafka-tls');
  }
}

/** A user needs a password and a mechanism, and the other way round. */
function checkPasswords(s: ConnectionSettings): void {
  if (s.saslUsername !== undefined || s.saslPassword !== undefined) {
    if (s.saslMechanism === undefined)
      throw new UsageError(
        '--sasl-username and a SASL password need --sasl-mechanism (plain, scram-sha-256 or scram-sha-512)',
      );
  }
  if (s.saslMechanism !== undefined && (s.saslUsername === undefined || s.saslPassword === undefined)) {
    throw new UsageError(`--sasl-mechanism ${s.saslMechanism} needs --sasl-username and a password`, {
      hint: PASSWORD_HINT('LOGINSYNC_SASL_PASSWORD', '--sasl-password-file'),
    });
  }
  if ((s.cassandraUsername === undefined) !== (s.cassandraPassword === undefined)) {
    throw new UsageError('--cassandra-username and a Cassandra password go together', {
      hint: PASSWORD_HINT('LOGINSYNC_CASSANDRA_PASSWORD', '--cassandra-password-file'),
    });
  }
}
