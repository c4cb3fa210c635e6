import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config/settings.js';

function dirs() {
  const cwd = mkdtempSync(join(tmpdir(), 'ls-cfg-'));
  const xdg = join(cwd, 'xdg');
  return { cwd, xdg, env: { XDG_CONFIG_HOME: xdg } as NodeJS.ProcessEnv };
}

describe('settings precedence', () => {
  it('uses the defaults of the seed when nothing is set', () => {
    const { cwd, env } = dirs();
    const r = resolveSettings({ flags: {}, env, cwd });
    expect(r.settings).toEqual({
      brokers: ['127.0.0.1:9092'], cassandra: ['127.0.0.1:9042'], localDc: 'datacenter1',
      keyspace: 'spark_db', table: 'users', topic: 'logins',
    });
    expect(Object.values(r.sources).every((s) => s === 'default')).toBe(true);
  });

  it('flags beat env, env beats the project file, which beats the user file', () => {
    const { cwd, xdg, env } = dirs();
    mkdirSync(join(xdg, 'loginsync'), { recursive: true });
    writeFileSync(join(xdg, 'loginsync', 'config.json'), JSON.stringify({ topic: 'from_user', table: 'user_t', keyspace: 'user_ks', localDc: 'dcu' }));
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ topic: 'from_project', table: 'proj_t', keyspace: 'proj_ks' }));
    const r = resolveSettings({
      flags: { topic: 'from_flag' },
      env: { ...env, LOGINSYNC_TOPIC: 'from_env', LOGINSYNC_TABLE: 'env_t' },
      cwd,
    });
    expect(r.settings.topic).toBe('from_flag');
    expect(r.settings.table).toBe('env_t');
    expect(r.settings.keyspace).toBe('proj_ks');
    expect(r.settings.localDc).toBe('dcu');
    expect(r.sources).toMatchObject({ topic: 'flag', table: 'env', keyspace: 'project file', localDc: 'user file', brokers: 'default' });
  });

  it('reads --config instead of ./loginsync.config.json, arrays allowed for host lists', () => {
    const { cwd, env } = dirs();
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ topic: 'ignored' }));
    writeFileSync(join(cwd, 'other.json'), JSON.stringify({ brokers: ['k1:1', 'k2'] }));
    const r = resolveSettings({ flags: {}, env, cwd, configPath: 'other.json' });
    expect(r.settings.brokers).toEqual(['k1:1', 'k2:9092']);
    expect(r.settings.topic).toBe('logins');
  });

  it('names an unknown key, a bad value and a missing file', () => {
    const { cwd, env } = dirs();
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ brokerz: 'x' }));
    expect(() => resolveSettings({ flags: {}, env, cwd })).toThrow(/unknown key "brokerz"/);
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ keyspace: 'bad-name' }));
    expect(() => resolveSettings({ flags: {}, env, cwd })).toThrow(/loginsync\.config\.json: keyspace: "bad-name" is not a valid name/);
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ keyspace: 3 }));
    expect(() => resolveSettings({ flags: {}, env, cwd })).toThrow(/"keyspace" must be a string/);
    writeFileSync(join(cwd, 'loginsync.config.json'), '{not json');
    expect(() => resolveSettings({ flags: {}, env, cwd })).toThrow(/config file .*loginsync\.config\.json/);
    expect(() => resolveSettings({ flags: {}, env, cwd, configPath: 'nope.json' })).toThrow(/nope\.json does not exist/);
    expect(() => resolveSettings({ flags: {}, env: { ...env, LOGINSYNC_BROKERS: 'a:0' }, cwd: mkdtempSync(join(tmpdir(), 'x')) }))
      .toThrow(/LOGINSYNC_BROKERS: port/);
  });
});
