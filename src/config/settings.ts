import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError, errorMessage } from '../errors.js';
import { parseCqlName, parseHostList, parseTopicName } from './validate.js';

/** Where a resolved setting came from, strongest first. */
export type Source = 'flag' | 'env' | 'project file' | 'user file' | 'default';

export interface ConnectionSettings {
  /** Kafka bootstrap servers, host:port. */
  brokers: string[];
  /** Cassandra contact points, host:port. */
  cassandra: string[];
  localDc: string;
  keyspace: string;
  table: string;
  topic: string;
}

interface Spec<T> {
  /** commander's attribute name for the flag */
  flag: string;
  env: string;
  fallback: string;
  parse(raw: string | string[], what: string): T;
}

const SPECS: { [K in keyof ConnectionSettings]: Spec<ConnectionSettings[K]> } = {
  brokers: {
    flag: 'brokers', env: 'LOGINSYNC_BROKERS', fallback: '127.0.0.1:9092',
    parse: (raw, what) => parseHostList(raw, 9092, what),
  },
  cassandra: {
    flag: 'cassandra', env: 'LOGINSYNC_CASSANDRA', fallback: '127.0.0.1:9042',
    parse: (raw, what) => parseHostList(raw, 9042, what),
  },
  localDc: {
    flag: 'localDc', env: 'LOGINSYNC_LOCAL_DC', fallback: 'datacenter1',
    parse: (raw, what) => {
      const v = String(raw).trim();
      if (v === '') throw new UserError(`${what}: must not be empty`);
      return v;
    },
  },
  keyspace: {
    flag: 'keyspace', env: 'LOGINSYNC_KEYSPACE', fallback: 'spark_db',
    parse: (raw, what) => parseCqlName(String(raw), what),
  },
  table: {
    flag: 'table', env: 'LOGINSYNC_TABLE', fallback: 'users',
    parse: (raw, what) => parseCqlName(String(raw), what),
  },
  topic: {
    flag: 'topic', env: 'LOGINSYNC_TOPIC', fallback: 'logins',
    parse: (raw, what) => parseTopicName(String(raw), what),
  },
};

export const SETTING_KEYS = Object.keys(SPECS) as (keyof ConnectionSettings)[];

/** The CLI flag that sets a key, for messages. */
const FLAG_NAMES: Record<keyof ConnectionSettings, string> = {
  brokers: '--brokers', cassandra: '--cassandra', localDc: '--local-dc',
  keyspace: '--keyspace', table: '--table', topic: '--topic',
};

export type ConfigFile = Partial<Record<keyof ConnectionSettings, string | string[]>>;

/** Reads and checks a config file: a JSON object whose keys are settings. Unknown keys are errors. */
export function readConfigFile(path: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`config file ${path}: ${errorMessage(err)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UserError(`config file ${path}: must hold a JSON object`);
  }
  const out: ConfigFile = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === '$schema') continue;
    if (!(key in SPECS)) {
      throw new UserError(`config file ${path}: unknown key "${key}"`, {
        hint: `known keys: ${SETTING_KEYS.join(', ')}`,
      });
    }
    const ok = typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    if (!ok) throw new UserError(`config file ${path}: "${key}" must be a string${key === 'brokers' || key === 'cassandra' ? ' or an array of strings' : ''}`);
    out[key as keyof ConnectionSettings] = value as string | string[];
  }
  return out;
}

export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'loginsync', 'config.json');
}

export interface ResolveInput {
  /** values given as flags (only those the user typed) */
  flags: Partial<Record<keyof ConnectionSettings, string>>;
  env: NodeJS.ProcessEnv;
  /** --config FILE, if given */
  configPath?: string | undefined;
  cwd: string;
}

export interface Resolved {
  settings: ConnectionSettings;
  sources: Record<keyof ConnectionSettings, Source>;
  files: { project?: string; user?: string };
}

/** flags > environment > project file > user file > defaults, each value checked. */
export function resolveSettings(input: ResolveInput): Resolved {
  const files: Resolved['files'] = {};
  let project: ConfigFile = {};
  if (input.configPath !== undefined) {
    const p = resolve(input.cwd, input.configPath);
    if (!existsSync(p)) throw new UserError(`config file ${p} does not exist`);
    project = readConfigFile(p);
    files.project = p;
  } else {
    const p = join(input.cwd, 'loginsync.config.json');
    if (existsSync(p)) {
      project = readConfigFile(p);
      files.project = p;
    }
  }
  let user: ConfigFile = {};
  const up = userConfigPath(input.env);
  if (existsSync(up)) {
    user = readConfigFile(up);
    files.user = up;
  }

  const settings = {} as Record<string, unknown>;
  const sources = {} as Record<keyof ConnectionSettings, Source>;
  for (const key of SETTING_KEYS) {
    const spec = SPECS[key] as Spec<unknown>;
    const flag = input.flags[key];
    const envValue = input.env[spec.env];
    let raw: string | string[];
    let source: Source;
    let what: string;
    if (flag !== undefined) {
      raw = flag; source = 'flag'; what = FLAG_NAMES[key];
    } else if (envValue !== undefined && envValue !== '') {
      raw = envValue; source = 'env'; what = spec.env;
    } else if (project[key] !== undefined) {
      raw = project[key]; source = 'project file'; what = `${files.project}: ${key}`;
    } else if (user[key] !== undefined) {
      raw = user[key]; source = 'user file'; what = `${files.user}: ${key}`;
    } else {
      raw = spec.fallback; source = 'default'; what = key;
    }
    settings[key] = spec.parse(raw, what);
    sources[key] = source;
  }
  return { settings: settings as unknown as ConnectionSettings, sources, files };
}

/** Adds the shared connection flags to a command. No commander defaults: precedence is ours. */
export function withConnectionOptions(cmd: Command): Command {
  return cmd
    .option('-b, --brokers <list>', 'Kafka bootstrap servers, host:port,... [env LOGINSYNC_BROKERS] (default: 127.0.0.1:9092)')
    .option('--bootstrap-server <list>', 'alias of --brokers')
    .option('-c, --cassandra <list>', 'Cassandra contact points, host:port,... [env LOGINSYNC_CASSANDRA] (default: 127.0.0.1:9042)')
    .option('--local-dc <name>', 'Cassandra local data center [env LOGINSYNC_LOCAL_DC] (default: datacenter1)')
    .option('-k, --keyspace <name>', 'Cassandra keyspace [env LOGINSYNC_KEYSPACE] (default: spark_db)')
    .option('--table <name>', 'users table [env LOGINSYNC_TABLE] (default: users)')
    .option('-t, --topic <name>', 'Kafka topic of login events [env LOGINSYNC_TOPIC] (default: logins)')
    .option('--config <file>', 'project config file (default: ./loginsync.config.json if present)');
}

/** Resolves the connection settings of a command from its parsed options. */
export function settingsFromCommand(cmd: Command): Resolved {
  const o = cmd.optsWithGlobals() as Record<string, string | undefined>;
  if (o.brokers !== undefined && o.bootstrapServer !== undefined && o.brokers !== o.bootstrapServer) {
    throw new UserError('--brokers and --bootstrap-server disagree: give one of them');
  }
  const flags: ResolveInput['flags'] = {};
  for (const key of SETTING_KEYS) {
    const v = o[SPECS[key].flag];
    if (v !== undefined) flags[key] = v;
  }
  if (flags.brokers === undefined && o.bootstrapServer !== undefined) flags.brokers = o.bootstrapServer;
  return resolveSettings({ flags, env: process.env, configPath: o.config, cwd: process.cwd() });
}
