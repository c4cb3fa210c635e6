// The environment of a `loginsync run` that another command starts (the bench's measured runs): the
// connection of the parent, and nothing else of the user's settings. A project file or a LOGINSYNC_
// variable meant for the user's own runs (a trigger, a dead-letter topic, --ui on 0.0.0.0) must not
// change what is measured.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONNECTION_KEYS, envName, SETTING_KEYS, type ConnectionSettings } from './table.js';

/**
 * Writes the parent's resolved connection settings to `dir`/run.config.json (mode 600: it may hold
 * passwords) and returns an environment whose only config file is that one: every LOGINSYNC_ variable
 * of a setting is removed, and the user file is looked for in an empty directory.
 */
export function isolatedRunEnv(s: ConnectionSettings, dir: string, env = process.env): NodeJS.ProcessEnv {
  const config: Record<string, unknown> = {};
  for (const key of CONNECTION_KEYS) if (s[key] !== undefined) config[key] = s[key];
  const file = join(dir, 'run.config.json');
  mkdirSync(join(dir, 'xdg'), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  const out: NodeJS.ProcessEnv = { ...env };
  for (const key of SETTING_KEYS) {
    const name = envName(key);
    if (name !== undefined) delete out[name];
  }
  return { ...out, LOGINSYNC_CONFIG: file, XDG_CONFIG_HOME: join(dir, 'xdg') };
}
