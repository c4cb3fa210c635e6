import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { errorMessage, UsageError, UserError } from '../errors.js';
import { parseCqlName, parseHostList, parseTopicName } from './validate.js';

/** Where a resolved setting came from, strongest first. */
export type Source = 'flag' | 'env' | 'project file' | 'user file' | 'default';

export const CONSISTENCIES = [
  'any',
  'one',
  'two',
  'three',
  'quorum',
  'all',
  'local_quorum',
  'each_quorum',
  'local_one',
] as const;
export type Consistency = (typeof CONSISTENCIES)[number];
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** The settings read from flags, environment, config files and defaults (see SPECS). */
interface SettingValues {
  /** Kafka bootstrap servers, host:port. */
  brokers: string[];
  /** Cassandra contact points, host:port. */
  cassandra: string[];
  localDc: string;
  keyspace: string;
  table: string;
  topic: string;
  /** TLS to Kafka (implied by any of the TLS files or skip-verify) */
  kafkaTls: boolean;
  kafkaCa: string | undefined;
  kafkaCert: string | undefined;
  kafkaKey: string | undefined;
  kafkaInsecureSkipVerify: boolean;
  saslMechanism: SaslMechanism | undefined;
  saslUsername: string | undefined;
  saslPassword: string | undefined;
  cassandraTls: boolean;
  cassandraCa: string | undefined;
  cassandraCert: string | undefined;
  cassandraKey: string | undefined;
  cassandraUsername: string | undefined;
  cassandraPassword: string | undefined;
  readConsistency: Consistency;
  writeConsistency: Consistency;
}

export interface ConnectionSettings extends SettingValues {
  /** the clients log what they do: the global --verbose flag, or LOGINSYNC_VERBOSE=1 */
  verbose: boolean;
}

type Key = keyof SettingValues;

interface Spec<T> {
  /** the flag, as typed; for a secret, the flag naming a file that holds it */
  flagName?: string;
  env?: string;
  fallback?: string;
  /** a password: never a plain flag, never printed; in a config file as <key> or <key>File */
  secret?: boolean;
  boolean?: boolean;
  parse(raw: string | string[], what: string): T;
}

const text = (raw: string | string[], what: string) => {
  const v = String(raw).trim();
  if (v === '') throw new UsageError(`${what}: must not be empty`);
  return v;
};
const bool = (raw: string | string[], what: string) => {
  const v = String(raw).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new UsageError(`${what}: "${String(raw)}" is not true or false`);
};
const file = (raw: string | string[], what: string) => {
  const p = resolve(text(raw, what));
  if (!existsSync(p)) throw new UsageError(`${what}: file ${p} does not exist`);
  return p;
};
const oneOf = <T extends string>(choices: readonly T[]) =>
  Object.assign(
    (raw: string | string[], what: string): T => {
      const v = String(raw).trim().toLowerCase();
      const hit = choices.find((c) => c === v || c.replace(/_/g, '-') === v);
      if (!hit) throw new UsageError(`${what}: "${String(raw)}" is not one of ${choices.join(', ')}`);
      return hit;
    },
    { choices },
  );
const password = (raw: string | string[]) => String(raw);

const SPECS: { [K in Key]: Spec<SettingValues[K]> } = {
  brokers: {
    flagName: '--brokers',
    env: 'LOGINSYNC_BROKERS',
    fallback: '127.0.0.1:9092',
    parse: (raw, what) => parseHostList(raw, 9092, what),
  },
  cassandra: {
    flagName: '--cassandra',
    env: 'LOGINSYNC_CASSANDRA',
    fallback: '127.0.0.1:9042',
    parse: (raw, what) => parseHostList(raw, 9042, what),
  },
  localDc: { flagName: '--local-dc', env: 'LOGINSYNC_LOCAL_DC', fallback: 'datacenter1', parse: text },
  keyspace: {
    flagName: '--keyspace',
    env: 'LOGINSYNC_KEYSPACE',
    fallback: 'spark_db',
    parse: (raw, what) => parseCqlName(String(raw), what),
  },
  table: {
    flagName: '--table',
    env: 'LOGINSYNC_TABLE',
    fallback: 'users',
    parse: (raw, what) => parseCqlName(String(raw), what),
  },
  topic: {
    flagName: '--topic',
    env: 'LOGINSYNC_TOPIC',
    fallback: 'logins',
    parse: (raw, what) => parseTopicName(String(raw), what),
  },
  kafkaTls: { flagName: '--kafka-tls', env: 'LOGINSYNC_KAFKA_TLS', fallback: 'false', boolean: true, parse: bool },
  kafkaCa: { flagName: '--kafka-ca', env: 'LOGINSYNC_KAFKA_CA', parse: file },
  kafkaCert: { flagName: '--kafka-cert', env: 'LOGINSYNC_KAFKA_CERT', parse: file },
  kafkaKey: { flagName: '--kafka-key', env: 'LOGINSYNC_KAFKA_KEY', parse: file },
  kafkaInsecureSkipVerify: {
    flagName: '--kafka-insecure-skip-verify',
    env: 'LOGINSYNC_KAFKA_INSECURE_SKIP_VERIFY',
    fallback: 'false',
    boolean: true,
    parse: bool,
  },
  saslMechanism: { flagName: '--sasl-mechanism', env: 'LOGINSYNC_SASL_MECHANISM', parse: oneOf(SASL_MECHANISMS) },
  saslUsername: { flagName: '--sasl-username', env: 'LOGINSYNC_SASL_USERNAME', parse: text },
  saslPassword: { flagName: '--sasl-password-file', env: 'LOGINSYNC_SASL_PASSWORD', secret: true, parse: password },
  cassandraTls: {
    flagName: '--cassandra-tls',
    env: 'LOGINSYNC_CASSANDRA_TLS',
    fallback: 'false',
    boolean: true,
    parse: bool,
  },
  cassandraCa: { flagName: '--cassandra-ca', env: 'LOGINSYNC_CASSANDRA_CA', parse: file },
  cassandraCert: { flagName: '--cassandra-cert', env: 'LOGINSYNC_CASSANDRA_CERT', parse: file },
  cassandraKey: { flagName: '--cassandra-key', env: 'LOGINSYNC_CASSANDRA_KEY', parse: file },
  cassandraUsername: { flagName: '--cassandra-username', env: 'LOGINSYNC_CASSANDRA_USERNAME', parse: text },
  cassandraPassword: {
    flagName: '--cassandra-password-file',
    env: 'LOGINSYNC_CASSANDRA_PASSWORD',
    secret: true,
    parse: password,
  },
  readConsistency: {
    flagName: '--read-consistency',
    env: 'LOGINSYNC_READ_CONSISTENCY',
    fallback: 'local_quorum',
    parse: oneOf(CONSISTENCIES),
  },
  writeConsistency: {
    flagName: '--write-consistency',
    env: 'LOGINSYNC_WRITE_CONSISTENCY',
    fallback: 'local_quorum',
    parse: oneOf(CONSISTENCIES),
  },
};

export const SETTING_KEYS = Object.keys(SPECS) as Key[];
export const SECRET_KEYS = SETTING_KEYS.filter((k) => SPECS[k].secret);

/**
 * The JSON Schema of a config file, made from the same table as the flags and variables: one property
 * per setting (a secret also as <key>File), with its flag, variable and default.
 */
export function configSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = { $schema: { type: 'string', description: 'this schema' } };
  for (const key of SETTING_KEYS) {
    const spec = SPECS[key] as Spec<unknown>;
    const choices = (spec.parse as { choices?: readonly string[] }).choices;
    const description = [spec.flagName, spec.env].filter(Boolean).join(', ');
    const type = spec.boolean
      ? { type: ['boolean', 'string'] }
      : key === 'brokers' || key === 'cassandra'
        ? { type: ['string', 'array'], items: { type: 'string' } }
        : { type: 'string', ...(choices ? { enum: [...choices] } : {}) };
    properties[key] = {
      ...type,
      description: spec.secret ? `${description} (better: ${key}File)` : description,
      ...(spec.fallback !== undefined ? { default: spec.boolean ? spec.fallback === 'true' : spec.fallback } : {}),
    };
    if (spec.secret)
      properties[`${key}File`] = { type: 'string', description: `a file holding ${key}, relative to the config file` };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'loginsync config file (loginsync.config.json, ~/.config/loginsync/config.json)',
    type: 'object',
    additionalProperties: false,
    properties,
  };
}

/** commander's attribute for a flag: --kafka-ca -> kafkaCa */
const attr = (flag: string) => flag.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The option that sets a key, for messages and `config show`. */
export function settingOrigin(key: Key): { flag?: string; env?: string } {
  const s = SPECS[key];
  return { ...(s.flagName ? { flag: s.flagName } : {}), ...(s.env ? { env: s.env } : {}) };
}

export type ConfigFile = Partial<Record<string, string | string[] | boolean>>;

/** Reads and checks a config file: a JSON object whose keys are settings. Unknown keys are errors. */
export function readConfigFile(path: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    // never the parser's message: it quotes the text around the error, which may be a password
    const at = /position (\d+)/.exec(errorMessage(err))?.[1];
    throw new UsageError(
      `config file ${path}: ${err instanceof SyntaxError ? `not valid JSON${at ? ` (at character ${at})` : ''}` : ((err as NodeJS.ErrnoException).code ?? 'cannot be read')}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path}: must hold a JSON object`);
  }
  const known = new Set<string>([...SETTING_KEYS, ...SECRET_KEYS.map((k) => `${k}File`)]);
  const out: ConfigFile = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === '$schema') continue;
    if (!known.has(key)) {
      throw new UsageError(`config file ${path}: unknown key "${key}"`, {
        hint: `known keys: ${[...known].join(', ')}`,
      });
    }
    const spec = SPECS[key as Key] as Spec<unknown> | undefined;
    const ok =
      typeof value === 'string' ||
      (spec?.boolean && typeof value === 'boolean') ||
      ((key === 'brokers' || key === 'cassandra') && Array.isArray(value) && value.every((v) => typeof v === 'string'));
    if (!ok) {
      throw new UsageError(
        `config file ${path}: "${key}" must be ${spec?.boolean ? 'true or false' : `a string${key === 'brokers' || key === 'cassandra' ? ' or an array of strings' : ''}`}`,
      );
    }
    out[key] = value as string | string[] | boolean;
  }
  return out;
}

export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'loginsync', 'config.json');
}

export interface ResolveInput {
  /** values given as flags (only those the user typed): strings, true for switches, file paths for secrets */
  flags: Partial<Record<Key, string | boolean>>;
  env: NodeJS.ProcessEnv;
  /** --config FILE, if given */
  configPath?: string | undefined;
  cwd: string;
  /** the global --verbose flag */
  verbose?: boolean;
}

export interface Resolved {
  settings: ConnectionSettings;
  sources: Record<Key, Source>;
  /** where exactly: the flag, the variable, the file (and for a secret read from a file, that file) */
  origins: Record<Key, string>;
  files: { project?: string; user?: string };
  /** things to tell the user (a secret in a file others can read, TLS checks switched off): the caller prints them */
  warnings: string[];
}

/** Reads a file holding a secret: its content without a trailing newline. */
function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new UserError(`${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
}

/** A file that holds a secret should not be readable by other users. */
function checkPrivate(path: string, warnings: string[]): void {
  try {
    const mode = statSync(path).mode;
    if ((mode & 0o077) !== 0) warnings.push(`${path} holds a password and other users can read it: chmod 600 ${path}`);
  } catch {
    // unreadable: reported when it is read
  }
}

/**
 * The project config file: --config FILE, else LOGINSYNC_CONFIG, else loginsync.config.json in the
 * current directory or the nearest one above it, stopping at the first directory that holds .git (the
 * project's root) or at the home directory.
 */
export function findProjectConfig(cwd: string, env: NodeJS.ProcessEnv, configPath?: string): string | undefined {
  const given =
    configPath ??
    (env.LOGINSYNC_CONFIG !== undefined && env.LOGINSYNC_CONFIG !== '' ? env.LOGINSYNC_CONFIG : undefined);
  if (given !== undefined) {
    const p = resolve(cwd, given);
    if (!existsSync(p))
      throw new UsageError(`config file ${p} does not exist${configPath === undefined ? ' (LOGINSYNC_CONFIG)' : ''}`);
    return p;
  }
  const home = resolve(env.HOME ?? homedir());
  const start = resolve(cwd);
  for (let dir = start; ; dir = dirname(dir)) {
    if (dir === home && dir !== start) return undefined; // the home directory is the user's, not a project
    const p = join(dir, 'loginsync.config.json');
    if (existsSync(p)) return p;
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) return undefined;
  }
}

/** The config files that apply: the project's (see findProjectConfig), and the user's. */
function readConfigFiles(input: ResolveInput): { files: Resolved['files']; project: ConfigFile; user: ConfigFile } {
  const files: Resolved['files'] = {};
  let project: ConfigFile = {};
  const pp = findProjectConfig(input.cwd, input.env, input.configPath);
  if (pp !== undefined) {
    project = readConfigFile(pp);
    files.project = pp;
  }
  let user: ConfigFile = {};
  const up = userConfigPath(input.env);
  if (existsSync(up)) {
    user = readConfigFile(up);
    files.user = up;
  }
  return { files, project, user };
}

interface RawValue {
  raw: string | string[];
  /** where it came from, as messages name it */
  what: string;
}

/** A setting's value in a config file: the key, or for a secret <key>File naming the file that holds it. */
function fromFile(cfg: ConfigFile, path: string | undefined, key: Key, warnings: string[]): RawValue | undefined {
  const spec = SPECS[key] as Spec<unknown>;
  const v = cfg[key];
  if (v !== undefined) {
    if (spec.secret) checkPrivate(path!, warnings);
    // a file path in a config file is relative to that file
    const raw = spec.parse === file && typeof v === 'string' ? resolve(dirname(path!), v) : v;
    return { raw: typeof raw === 'boolean' ? String(raw) : raw, what: `${path}: ${key}` };
  }
  const f = spec.secret ? cfg[`${key}File`] : undefined;
  if (typeof f === 'string') {
    const p = resolve(dirname(path!), f);
    checkPrivate(p, warnings);
    return { raw: readSecretFile(p, `${path}: ${key}File`), what: p };
  }
  return undefined;
}

/** One setting's raw value and its source: flag > environment > project file > user file > default. */
function rawValue(
  key: Key,
  input: ResolveInput,
  cfg: ReturnType<typeof readConfigFiles>,
  warnings: string[],
): { value: RawValue | undefined; source: Source } {
  const spec = SPECS[key] as Spec<unknown>;
  const flag = input.flags[key];
  if (flag !== undefined) {
    if (!spec.secret) return { value: { raw: String(flag), what: spec.flagName! }, source: 'flag' };
    const p = resolve(input.cwd, String(flag));
    checkPrivate(p, warnings);
    return { value: { raw: readSecretFile(p, spec.flagName!), what: `${spec.flagName} ${p}` }, source: 'flag' };
  }
  const envValue = spec.env ? input.env[spec.env] : undefined;
  if (envValue !== undefined && envValue !== '') return { value: { raw: envValue, what: spec.env! }, source: 'env' };
  let hit: RawValue | undefined;
  if ((hit = fromFile(cfg.project, cfg.files.project, key, warnings))) return { value: hit, source: 'project file' };
  if ((hit = fromFile(cfg.user, cfg.files.user, key, warnings))) return { value: hit, source: 'user file' };
  return { value: spec.fallback === undefined ? undefined : { raw: spec.fallback, what: key }, source: 'default' };
}

/** flags > environment > project file > user file > defaults, each value checked. */
export function resolveSettings(input: ResolveInput): Resolved {
  const cfg = readConfigFiles(input);
  const warnings: string[] = [];
  const settings = {} as Record<string, unknown>;
  const sources = {} as Record<Key, Source>;
  const origins = {} as Record<Key, string>;
  for (const key of SETTING_KEYS) {
    const { value, source } = rawValue(key, input, cfg, warnings);
    settings[key] = value === undefined ? undefined : SPECS[key].parse(value.raw, value.what);
    sources[key] = source;
    origins[key] = source === 'default' ? 'default' : value!.what;
  }
  settings.verbose = input.verbose === true || input.env.LOGINSYNC_VERBOSE === '1';
  const r = settings as unknown as ConnectionSettings;
  checkCombinations(r, sources, warnings);
  if (r.kafkaTls && sources.kafkaTls === 'default') origins.kafkaTls = 'implied by the Kafka TLS options';
  if (r.cassandraTls && sources.cassandraTls === 'default')
    origins.cassandraTls = 'implied by the Cassandra TLS options';
  return { settings: r, sources, origins, files: cfg.files, warnings };
}

/** Settings that only make sense together; TLS implied by its files. */
function checkCombinations(s: ConnectionSettings, sources: Record<Key, Source>, warnings: string[]): void {
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
      '--write-consistency any: a write counts as done when a hint is stored, before any replica has it; offsets may be committed for writes not yet readable',
    );
  for (const [side, cert, key] of [
    ['kafka', s.kafkaCert, s.kafkaKey],
    ['cassandra', s.cassandraCert, s.cassandraKey],
  ] as const) {
    if ((cert === undefined) !== (key === undefined))
      throw new UsageError(`--${side}-cert and --${side}-key go together (mutual TLS): give both`);
  }
  if (s.saslUsername !== undefined || s.saslPassword !== undefined) {
    if (s.saslMechanism === undefined)
      throw new UsageError(
        '--sasl-username and a SASL password need --sasl-mechanism (plain, scram-sha-256 or scram-sha-512)',
      );
  }
  if (s.saslMechanism !== undefined && (s.saslUsername === undefined || s.saslPassword === undefined)) {
    throw new UsageError(`--sasl-mechanism ${s.saslMechanism} needs --sasl-username and a password`, {
      hint: 'the password comes from LOGINSYNC_SASL_PASSWORD or --sasl-password-file FILE, never from a plain flag',
    });
  }
  if ((s.cassandraUsername === undefined) !== (s.cassandraPassword === undefined)) {
    throw new UsageError('--cassandra-username and a Cassandra password go together', {
      hint: 'the password comes from LOGINSYNC_CASSANDRA_PASSWORD or --cassandra-password-file FILE, never from a plain flag',
    });
  }
  if (s.kafkaInsecureSkipVerify) {
    warnings.push(
      'Kafka TLS certificates are NOT checked (--kafka-insecure-skip-verify): anyone between here and the brokers can read and change this traffic, passwords included',
    );
  }
  if (s.saslMechanism === 'plain' && !s.kafkaTls) {
    warnings.push('--sasl-mechanism plain without TLS sends the password in clear text: add --kafka-tls');
  }
}

/** Adds the shared connection flags to a command, in help groups. No commander defaults: precedence is ours. */
export function withConnectionOptions(cmd: Command): Command {
  const group = (heading: string, opts: Array<[string, string]>) => {
    for (const [flags, help] of opts) cmd.addOption(new Option(flags, help).helpGroup(heading));
  };
  group('Connection:', [
    [
      '-b, --brokers <list>',
      'Kafka bootstrap servers, host:port,... [env LOGINSYNC_BROKERS] (default: 127.0.0.1:9092)',
    ],
    ['--bootstrap-server <list>', 'alias of --brokers'],
    [
      '-c, --cassandra <list>',
      'Cassandra contact points, host:port,... [env LOGINSYNC_CASSANDRA] (default: 127.0.0.1:9042)',
    ],
    ['--local-dc <name>', 'Cassandra local data center [env LOGINSYNC_LOCAL_DC] (default: datacenter1)'],
    ['-k, --keyspace <name>', 'Cassandra keyspace [env LOGINSYNC_KEYSPACE] (default: spark_db)'],
    ['--table <name>', 'users table [env LOGINSYNC_TABLE] (default: users)'],
    ['-t, --topic <name>', 'Kafka topic of login events [env LOGINSYNC_TOPIC] (default: logins)'],
    [
      '--read-consistency <level>',
      'Cassandra consistency of reads [env LOGINSYNC_READ_CONSISTENCY] (default: local_quorum)',
    ],
    [
      '--write-consistency <level>',
      'Cassandra consistency of writes [env LOGINSYNC_WRITE_CONSISTENCY] (default: local_quorum)',
    ],
    [
      '--config <file>',
      'project config file (default: $LOGINSYNC_CONFIG, else loginsync.config.json here or in a directory above, up to the project root (.git) or home)',
    ],
  ]);
  group('Kafka security:', [
    ['--kafka-tls', 'connect to Kafka with TLS [env LOGINSYNC_KAFKA_TLS]'],
    ['--kafka-ca <file>', 'CA certificate(s), PEM, to trust for Kafka [env LOGINSYNC_KAFKA_CA]'],
    ['--kafka-cert <file>', 'client certificate, PEM, for mutual TLS [env LOGINSYNC_KAFKA_CERT]'],
    ['--kafka-key <file>', 'client private key, PEM, for mutual TLS [env LOGINSYNC_KAFKA_KEY]'],
    ['--kafka-insecure-skip-verify', "do not check the brokers' certificates (unsafe: testing only)"],
    ['--sasl-mechanism <name>', 'plain, scram-sha-256 or scram-sha-512 [env LOGINSYNC_SASL_MECHANISM]'],
    ['--sasl-username <name>', 'SASL user [env LOGINSYNC_SASL_USERNAME]'],
    ['--sasl-password-file <file>', 'file holding the SASL password (or env LOGINSYNC_SASL_PASSWORD)'],
  ]);
  group('Cassandra security:', [
    ['--cassandra-tls', 'connect to Cassandra with TLS [env LOGINSYNC_CASSANDRA_TLS]'],
    ['--cassandra-ca <file>', 'CA certificate(s), PEM, to trust for Cassandra [env LOGINSYNC_CASSANDRA_CA]'],
    ['--cassandra-cert <file>', 'client certificate, PEM [env LOGINSYNC_CASSANDRA_CERT]'],
    ['--cassandra-key <file>', 'client private key, PEM [env LOGINSYNC_CASSANDRA_KEY]'],
    ['--cassandra-username <name>', 'Cassandra user [env LOGINSYNC_CASSANDRA_USERNAME]'],
    ['--cassandra-password-file <file>', 'file holding the Cassandra password (or env LOGINSYNC_CASSANDRA_PASSWORD)'],
  ]);
  // a password typed as a flag would sit in the shell history and in `ps`: refused with the way to do it
  cmd.addOption(new Option('--sasl-password <password>').hideHelp());
  cmd.addOption(new Option('--cassandra-password <password>').hideHelp());
  return cmd;
}

/**
 * Resolves the settings of a command from its parsed options (and the global --verbose). The warnings
 * are in the result, for the command to print.
 */
export function resolveCommandSettings(cmd: Command): Resolved {
  const o = cmd.optsWithGlobals() as Record<string, string | boolean | undefined>;
  if (o.brokers !== undefined && o.bootstrapServer !== undefined && o.brokers !== o.bootstrapServer) {
    throw new UsageError('--brokers and --bootstrap-server disagree: give one of them');
  }
  for (const [flag, env] of [
    ['saslPassword', 'LOGINSYNC_SASL_PASSWORD'],
    ['cassandraPassword', 'LOGINSYNC_CASSANDRA_PASSWORD'],
  ] as const) {
    if (o[flag] !== undefined) {
      const name = flag === 'saslPassword' ? '--sasl-password' : '--cassandra-password';
      throw new UsageError(
        `${name} is not accepted: a password on the command line is visible to other users (ps) and kept in shell history`,
        {
          hint: `set ${env}, or put it in a file only you can read and give ${name}-file FILE`,
        },
      );
    }
  }
  const flags: ResolveInput['flags'] = {};
  for (const key of SETTING_KEYS) {
    const v = o[attr(SPECS[key].flagName!)];
    if (v !== undefined) flags[key] = v;
  }
  if (flags.brokers === undefined && typeof o.bootstrapServer === 'string') flags.brokers = o.bootstrapServer;
  return resolveSettings({
    flags,
    env: process.env,
    configPath: typeof o.config === 'string' ? o.config : undefined,
    cwd: process.cwd(),
    verbose: o.verbose === true,
  });
}
