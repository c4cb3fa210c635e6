// Config files: where they are, and reading one (a JSON object of settings by key, checked against the
// table). Precedence is resolve.ts's.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { errorMessage, UsageError, UserError } from '../errors.js';
import { FILE_KEYS, SECRET_KEYS, spec, type SettingKey } from './table.js';

export type ConfigValue = string | string[] | boolean | number;
export type ConfigFile = Partial<Record<string, ConfigValue>>;

/** The config files that apply, and what they hold. */
export interface ConfigFiles {
  files: { project?: string; user?: string };
  project: ConfigFile;
  user: ConfigFile;
}

/** The JSON type of a value, in the words of a Kind's `json`. */
const jsonKind = (v: unknown) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string')
    ? 'array'
    : typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number'
      ? typeof v
      : 'other';

/** What a key may hold, as an error says it. */
function expected(key: string): string {
  const kinds =
    key.endsWith('File') && !FILE_KEYS.includes(key as SettingKey) ? ['string'] : spec(key as SettingKey).kind.json;
  const words: Record<string, string> = {
    string: 'a string',
    boolean: 'true or false',
    number: 'a number',
    array: 'an array of strings',
  };
  if (kinds.includes('boolean')) return 'true or false';
  return kinds.map((k) => words[k]).join(' or ');
}

/** Reads and checks a config file: a JSON object whose keys are settings. Unknown keys are errors. */
export function readConfigFile(path: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    // never the parser's message: it quotes the text around the error, which may be a password
    const at = /position (\d+)/.exec(errorMessage(err))?.[1];
    const why =
      err instanceof SyntaxError
        ? `not valid JSON${at ? ` (at character ${at})` : ''}`
        : ((err as NodeJS.ErrnoException).code ?? 'cannot be read');
    throw new UsageError(`config file ${path}: ${why}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path}: must hold a JSON object`);
  }
  const known = new Set<string>([...FILE_KEYS, ...SECRET_KEYS.map((k) => `${k}File`)]);
  const out: ConfigFile = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === '$schema') continue;
    if (!known.has(key)) {
      throw new UsageError(`config file ${path}: unknown key "${key}"`, {
        hint: `known keys: ${[...known].join(', ')}`,
      });
    }
    const allowed = FILE_KEYS.includes(key as SettingKey) ? spec(key as SettingKey).kind.json : ['string'];
    if (!(allowed as string[]).includes(jsonKind(value))) {
      throw new UsageError(`config file ${path}: "${key}" must be ${expected(key)}`);
    }
    out[key] = value as ConfigValue;
  }
  return out;
}

export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'loginsync', 'config.json');
}

/**
 * The project config file: --config FILE, else LOGINSYNC_CONFIG, else loginsync.config.json in the
 * current directory or the nearest one above it, stopping at the first directory that holds .git (the
 * project's root) or at the home directory.
 */
export function findProjectConfig(cwd: string, env: NodeJS.ProcessEnv, configPath?: string): string | undefined {
  const fromEnv = env.LOGINSYNC_CONFIG !== undefined && env.LOGINSYNC_CONFIG !== '' ? env.LOGINSYNC_CONFIG : undefined;
  const given = configPath ?? fromEnv;
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
export function readConfigFiles(cwd: string, env: NodeJS.ProcessEnv, configPath?: string): ConfigFiles {
  const files: ConfigFiles['files'] = {};
  let project: ConfigFile = {};
  const pp = findProjectConfig(cwd, env, configPath);
  if (pp !== undefined) {
    project = readConfigFile(pp);
    files.project = pp;
  }
  let user: ConfigFile = {};
  const up = userConfigPath(env);
  if (existsSync(up)) {
    user = readConfigFile(up);
    files.user = up;
  }
  return { files, project, user };
}

/** Reads a file holding a secret: its content without a trailing newline. */
export function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new UserError(`${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
}

/** A file that holds a secret should not be readable by other users. */
export function checkPrivate(path: string, warnings: string[]): void {
  try {
    const mode = statSync(path).mode;
    if ((mode & 0o077) !== 0) warnings.push(`${path} holds a password and other users can read it: chmod 600 ${path}`);
  } catch {
    // unreadable: reported when it is read
  }
}
