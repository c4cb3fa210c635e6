import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { findProjectConfig } from '../../src/config/files.js';
import { resolveSettings } from '../../src/config/resolve.js';
import { configSchema } from '../../src/config/schema.js';

function dirs() {
  const cwd = mkdtempSync(join(tmpdir(), 'ls-cfg-'));
  const xdg = join(cwd, 'xdg');
  return { cwd, xdg, env: { XDG_CONFIG_HOME: xdg } as NodeJS.ProcessEnv };
}

describe('settings precedence', () => {
  it('uses the defaults of the seed when nothing is set', () => {
    const { cwd, env } = dirs();
    const r = resolveSettings({ flags: {}, env, cwd });
    expect(r.settings).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      cassandra: ['127.0.0.1:9042'],
      localDc: 'datacenter1',
      keyspace: 'spark_db',
      table: 'users',
      topic: 'logins',
      kafkaTls: false,
      cassandraTls: false,
      readConsistency: 'local_quorum',
      writeConsistency: 'local_quorum',
    });
    expect([r.settings.saslMechanism, r.settings.saslPassword, r.settings.cassandraPassword]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(r.warnings).toEqual([]);
    expect(Object.values(r.sources).every((s) => s === 'default')).toBe(true);
  });

  it('flags beat env, env beats the project file, which beats the user file', () => {
    const { cwd, xdg, env } = dirs();
    mkdirSync(join(xdg, 'loginsync'), { recursive: true });
    writeFileSync(
      join(xdg, 'loginsync', 'config.json'),
      JSON.stringify({ topic: 'from_user', table: 'user_t', keyspace: 'user_ks', localDc: 'dcu' }),
    );
    writeFileSync(
      join(cwd, 'loginsync.config.json'),
      JSON.stringify({ topic: 'from_project', table: 'proj_t', keyspace: 'proj_ks' }),
    );
    const r = resolveSettings({
      flags: { topic: 'from_flag' },
      env: { ...env, LOGINSYNC_TOPIC: 'from_env', LOGINSYNC_TABLE: 'env_t' },
      cwd,
    });
    expect(r.settings.topic).toBe('from_flag');
    expect(r.settings.table).toBe('env_t');
    expect(r.settings.keyspace).toBe('proj_ks');
    expect(r.settings.localDc).toBe('dcu');
    expect(r.sources).toMatchObject({
      topic: 'flag',
      table: 'env',
      keyspace: 'project file',
      localDc: 'user file',
      brokers: 'default',
    });
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
    expect(() => resolveSettings({ flags: {}, env, cwd })).toThrow(
      /loginsync\.config\.json: keyspace: "bad-name" is not a valid name/,
    );
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ keyspace: 3 }));
    expect(() => resolveSettings({ flags: {}, env, cwd })).toThrow(/"keyspace" must be a string/);
    writeFileSync(join(cwd, 'loginsync.config.json'), '{not json');
    expect(() => resolveSettings({ flags: {}, env, cwd })).toThrow(/config file .*loginsync\.config\.json/);
    expect(() => resolveSettings({ flags: {}, env, cwd, configPath: 'nope.json' })).toThrow(
      /nope\.json does not exist/,
    );
    expect(() =>
      resolveSettings({ flags: {}, env: { ...env, LOGINSYNC_BROKERS: 'a:0' }, cwd: mkdtempSync(join(tmpdir(), 'x')) }),
    ).toThrow(/LOGINSYNC_BROKERS: port/);
  });
});

describe('security settings', () => {
  it('reads passwords from the environment or from files, never from plain config values without a warning', () => {
    const { cwd, env } = dirs();
    const pw = join(cwd, 'sasl.pw');
    writeFileSync(pw, 's3cret\n', { mode: 0o600 });
    const r = resolveSettings({
      flags: { saslMechanism: 'SCRAM-SHA-512', saslUsername: 'bob', saslPassword: pw, kafkaCa: pw },
      env: { ...env, LOGINSYNC_CASSANDRA_USERNAME: 'cass', LOGINSYNC_CASSANDRA_PASSWORD: 'hunter2' },
      cwd,
    });
    expect(r.settings).toMatchObject({
      saslMechanism: 'scram-sha-512',
      saslUsername: 'bob',
      saslPassword: 's3cret',
      cassandraPassword: 'hunter2',
      kafkaTls: true,
    });
    expect(r.origins.saslPassword).toBe(`--sasl-password-file ${pw}`);
    expect(r.origins.kafkaTls).toMatch(/implied/);
    expect(r.warnings).toEqual([]);

    // in a config file: inline, or as a file next to it; either readable by others is a warning
    writeFileSync(
      join(cwd, 'loginsync.config.json'),
      JSON.stringify({
        cassandraUsername: 'c',
        cassandraPassword: 'inline',
        saslMechanism: 'plain',
        saslUsername: 'u',
        saslPasswordFile: 'sasl.pw',
      }),
      { mode: 0o644 },
    );
    const f = resolveSettings({ flags: {}, env, cwd });
    expect([f.settings.cassandraPassword, f.settings.saslPassword]).toEqual(['inline', 's3cret']);
    expect(f.warnings.join('\n')).toMatch(
      /loginsync\.config\.json holds a password and other users can read it: chmod 600/,
    );
    expect(f.warnings.join('\n')).toMatch(/plain without TLS sends the password in clear text/);
  });

  it('refuses settings that do not go together, and says what is missing', () => {
    const { cwd, env } = dirs();
    const pem = join(cwd, 'x.pem');
    writeFileSync(pem, 'x');
    const bad =
      (flags: Parameters<typeof resolveSettings>[0]['flags'], e: NodeJS.ProcessEnv = {}) =>
      () =>
        resolveSettings({ flags, env: { ...env, ...e }, cwd });
    expect(bad({ saslMechanism: 'scram-sha-256', saslUsername: 'bob' })).toThrow(
      /needs --sasl-username and a password/,
    );
    expect(bad({ saslUsername: 'bob' }, { LOGINSYNC_SASL_PASSWORD: 'p' })).toThrow(/need --sasl-mechanism/);
    expect(bad({ saslMechanism: 'kerberos' })).toThrow(/"kerberos" is not one of plain, scram-sha-256, scram-sha-512/);
    expect(bad({ kafkaCert: pem })).toThrow(/--kafka-cert and --kafka-key go together/);
    expect(bad({ cassandraUsername: 'u' })).toThrow(/--cassandra-username and a Cassandra password go together/);
    expect(bad({ kafkaCa: join(cwd, 'nope.pem') })).toThrow(/--kafka-ca: file .*nope\.pem does not exist/);
    expect(bad({ readConsistency: 'most' })).toThrow(/--read-consistency: "most" is not one of/);
    expect(bad({ saslPassword: join(cwd, 'missing') }, {})).toThrow(
      /--sasl-password-file: cannot read .*missing: ENOENT/,
    );
    expect(
      resolveSettings({
        flags: { writeConsistency: 'LOCAL-ONE', kafkaInsecureSkipVerify: true },
        env,
        cwd,
      }).warnings.join(),
    ).toMatch(/NOT checked/);
  });
});

describe('client security options', () => {
  it('turns the settings into kafkajs and cassandra-driver options', async () => {
    const { kafkaSecurity, cassandraSecurity } = await import('../../src/config/connect.js');
    const { cwd, env } = dirs();
    writeFileSync(join(cwd, 'ca.pem'), '-----ca.pem-----');
    // the client certificate and key are loaded as TLS will load them: they must be real
    const selfSigned = (name: string) =>
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          `${name}.key`,
          '-out',
          `${name}.pem`,
          '-days',
          '1',
          '-subj',
          `/CN=${name}`,
        ],
        { cwd, stdio: 'pipe' },
      );
    selfSigned('c');
    selfSigned('other');
    const r = resolveSettings({
      flags: {
        kafkaCa: join(cwd, 'ca.pem'),
        kafkaCert: join(cwd, 'c.pem'),
        kafkaKey: join(cwd, 'c.key'),
        saslMechanism: 'scram-sha-256',
        saslUsername: 'bob',
        cassandraCa: join(cwd, 'ca.pem'),
      },
      env: {
        ...env,
        LOGINSYNC_SASL_PASSWORD: 'pw',
        LOGINSYNC_CASSANDRA_USERNAME: 'cu',
        LOGINSYNC_CASSANDRA_PASSWORD: 'cp',
      },
      cwd,
    });
    const k = kafkaSecurity(r.settings);
    expect(String(k.ssl?.ca)).toBe('-----ca.pem-----');
    expect(String(k.ssl?.cert)).toBe(readFileSync(join(cwd, 'c.pem'), 'utf8'));
    expect(String(k.ssl?.key)).toBe(readFileSync(join(cwd, 'c.key'), 'utf8'));
    expect(k.ssl?.rejectUnauthorized).toBe(true);
    expect(k.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'bob', password: 'pw' });
    const c = cassandraSecurity(r.settings);
    expect(String(c.sslOptions?.ca)).toBe('-----ca.pem-----');
    expect(c.credentials).toEqual({ username: 'cu', password: 'cp' });
    const plain = resolveSettings({ flags: {}, env, cwd }).settings;
    expect(kafkaSecurity(plain)).toEqual({});
    expect(cassandraSecurity(plain)).toEqual({});
    expect(
      kafkaSecurity(resolveSettings({ flags: { kafkaInsecureSkipVerify: true }, env, cwd }).settings).ssl
        ?.rejectUnauthorized,
    ).toBe(false);
    // a wrong pair is named before anything connects
    const pair = (cert: string, key: string) => () =>
      cassandraSecurity(
        resolveSettings({ flags: { cassandraCert: join(cwd, cert), cassandraKey: join(cwd, key) }, env, cwd }).settings,
      );
    expect(pair('c.pem', 'other.key')).toThrow(
      /--cassandra-key \S+other\.key is not the key of --cassandra-cert \S+c\.pem/,
    );
    expect(pair('c.key', 'c.key')).toThrow(/--cassandra-cert \S+c\.key is not a PEM certificate/);
    expect(pair('c.pem', 'c.pem')).toThrow(/--cassandra-key \S+c\.pem is not a PEM private key/);
    expect(pair('other.pem', 'other.key')).not.toThrow();
  });
});

describe('settings review cases', () => {
  it('a broken config file never shows its text (it may hold a password)', () => {
    const { cwd, env } = dirs();
    writeFileSync(join(cwd, 'loginsync.config.json'), '{"cassandraPassword": hunter2secret}');
    expect(() => resolveSettings({ flags: {}, env, cwd })).toThrow(/not valid JSON/);
    try {
      resolveSettings({ flags: {}, env, cwd });
    } catch (err) {
      expect(String(err)).not.toContain('hunter2');
    }
  });

  it('TLS switched off explicitly stays off; file paths in a config file are relative to it; reads at ANY are refused', () => {
    const { cwd, env } = dirs();
    mkdirSync(join(cwd, 'conf'));
    writeFileSync(join(cwd, 'conf', 'ca.pem'), 'x');
    writeFileSync(join(cwd, 'conf', 'c.json'), JSON.stringify({ kafkaCa: 'ca.pem', kafkaTls: false }));
    const r = resolveSettings({ flags: {}, env, cwd, configPath: 'conf/c.json' });
    expect(r.settings.kafkaCa).toBe(join(cwd, 'conf', 'ca.pem'));
    expect(r.settings.kafkaTls).toBe(false);
    expect(
      resolveSettings({ flags: { kafkaCa: join(cwd, 'conf', 'ca.pem') }, env, cwd: mkdtempSync(join(tmpdir(), 'y')) })
        .settings.kafkaTls,
    ).toBe(true);
    expect(() => resolveSettings({ flags: { readConsistency: 'any' }, env, cwd })).toThrow(/any is for writes only/);
    expect(resolveSettings({ flags: { writeConsistency: 'any' }, env, cwd }).warnings.join()).toMatch(/hint is stored/);
  });

  it('verbose: the global --verbose flag or LOGINSYNC_VERBOSE=1, not a setting of the files, not shown by config show', () => {
    const { cwd, env } = dirs();
    expect(resolveSettings({ flags: {}, env, cwd }).settings.verbose).toBe(false);
    expect(resolveSettings({ flags: {}, env, cwd, verbose: true }).settings.verbose).toBe(true);
    expect(resolveSettings({ flags: {}, env: { ...env, LOGINSYNC_VERBOSE: '1' }, cwd }).settings.verbose).toBe(true);
    expect(resolveSettings({ flags: {}, env: { ...env, LOGINSYNC_VERBOSE: 'yes' }, cwd }).settings.verbose).toBe(false);
    expect(Object.keys(resolveSettings({ flags: {}, env, cwd }).sources)).not.toContain('verbose');
  });

  it('prints nothing: the warnings are returned for the command to print', () => {
    const { cwd, env } = dirs();
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const r = resolveSettings({ flags: { writeConsistency: 'any', kafkaInsecureSkipVerify: true }, env, cwd });
      expect(r.warnings).toHaveLength(2);
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual([]);
  });
});

describe('finding the project config file', () => {
  it('--config, then LOGINSYNC_CONFIG, then loginsync.config.json here or above, up to the directory with .git, never the home directory above', () => {
    const home = mkdtempSync(join(tmpdir(), 'ls-home-'));
    const repo = join(home, 'repo');
    const deep = join(repo, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    const env = { HOME: home };
    expect(findProjectConfig(deep, env)).toBeUndefined();
    // the home directory's file is not a project file, unless one works in home itself
    writeFileSync(join(home, 'loginsync.config.json'), '{}');
    expect(findProjectConfig(deep, env)).toBeUndefined();
    expect(findProjectConfig(home, env)).toBe(join(home, 'loginsync.config.json'));
    writeFileSync(join(repo, 'loginsync.config.json'), '{}');
    expect(findProjectConfig(deep, env)).toBe(join(repo, 'loginsync.config.json'));
    // a project root (.git) below it stops the search
    mkdirSync(join(repo, 'a', '.git'));
    expect(findProjectConfig(deep, env)).toBeUndefined();
    writeFileSync(join(deep, 'loginsync.config.json'), '{}');
    expect(findProjectConfig(deep, env)).toBe(join(deep, 'loginsync.config.json'));
    expect(findProjectConfig(deep, { ...env, LOGINSYNC_CONFIG: join(repo, 'loginsync.config.json') })).toBe(
      join(repo, 'loginsync.config.json'),
    );
    // --config wins over LOGINSYNC_CONFIG, relative to the current directory
    expect(
      findProjectConfig(
        deep,
        { ...env, LOGINSYNC_CONFIG: join(home, 'loginsync.config.json') },
        '../../loginsync.config.json',
      ),
    ).toBe(join(repo, 'loginsync.config.json'));
    expect(() => findProjectConfig(deep, { ...env, LOGINSYNC_CONFIG: join(home, 'nope.json') })).toThrow(
      /nope\.json does not exist \(LOGINSYNC_CONFIG\)/,
    );
  });
});

describe('the config file schema', () => {
  it('is made from the settings table, and the shipped file is what it makes', () => {
    const schema = configSchema() as {
      properties: Record<string, { enum?: string[]; default?: unknown }>;
      additionalProperties: boolean;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        '$schema',
        'brokers',
        'saslPassword',
        'saslPasswordFile',
        'cassandraPasswordFile',
        'writeConsistency',
      ]),
    );
    expect(schema.properties.saslMechanism!.enum).toEqual(['plain', 'scram-sha-256', 'scram-sha-512']);
    expect(schema.properties.readConsistency!.default).toBe('local_quorum');
    expect(schema.properties.kafkaTls!.default).toBe(false);
    const shipped = JSON.parse(
      readFileSync(new URL('../../schema/config.schema.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(
      shipped,
      'schema/config.schema.json is stale: regenerate it with "loginsync config schema > schema/config.schema.json"',
    ).toEqual(schema);
  });
});

describe('the settings table for every command', () => {
  it('gives run its own settings from the environment and a config file, typed; flags win', () => {
    const { cwd, env } = dirs();
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ trigger: '30s', maxBatchIds: 70000, ui: true }));
    const r = resolveSettings({
      command: 'run',
      flags: { maxBatchIds: '9000' },
      env: { ...env, LOGINSYNC_GROUP: 'from-env', LOGINSYNC_READ_AHEAD: 'false' },
      cwd,
    });
    expect(r.settings).toMatchObject({
      trigger: 30_000,
      maxBatchIds: 9000,
      ui: true,
      group: 'from-env',
      readAhead: false,
    });
    expect(r.sources).toMatchObject({ trigger: 'project file', maxBatchIds: 'flag', group: 'env', once: 'default' });
    // another command's settings are not resolved, nor checked
    expect(r.settings).not.toHaveProperty('stackDir');
  });

  it('takes a switch for one invocation only as a flag: no variable, no config key', () => {
    const { cwd, env } = dirs();
    expect(
      resolveSettings({ command: 'run', flags: {}, env: { ...env, LOGINSYNC_ONCE: 'true' }, cwd }).settings.once,
    ).toBe(false);
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ once: true }));
    expect(() => resolveSettings({ command: 'run', flags: {}, env, cwd })).toThrow(/unknown key "once"/);
  });

  it('offsets reset takes a configured group, never the built-in default', () => {
    const { cwd, env } = dirs();
    expect(() => resolveSettings({ command: 'offsets reset', flags: {}, env, cwd })).toThrow(
      /offsets reset needs --group: it has no default there/,
    );
    const r = resolveSettings({ command: 'offsets reset', flags: {}, env: { ...env, LOGINSYNC_GROUP: 'g1' }, cwd });
    expect(r.settings.group).toBe('g1');
    expect(resolveSettings({ command: 'offsets show', flags: {}, env, cwd }).settings.group).toBe('loginsync');
  });

  it('takes durations with units everywhere, a bare number as seconds where it always was', () => {
    const { cwd, env } = dirs();
    const down = (v: string) => resolveSettings({ command: 'stack down', flags: { gracePeriod: v }, env, cwd });
    expect(down('5').settings.gracePeriod).toBe(5000);
    expect(down('2m').settings.gracePeriod).toBe(120_000);
    expect(() => down('0.5s')).toThrow(/less than the least allowed, 1 s/);
    const run = (v: string) => resolveSettings({ command: 'run', flags: { trigger: v }, env, cwd });
    expect(run('500ms').settings.trigger).toBe(500);
    expect(() => run('30')).toThrow(/--trigger: "30" is not an interval/);
  });

  it('names the spelling typed: an alias in messages and origins', () => {
    const { cwd, env } = dirs();
    const r = resolveSettings({
      command: 'init',
      flags: { keyspaceReplication: { value: '3', what: '--replication-factor' } },
      env,
      cwd,
    });
    expect(r.settings.keyspaceReplication).toBe(3);
    expect(r.origins.keyspaceReplication).toBe('--replication-factor');
    expect(() =>
      resolveSettings({
        command: 'init',
        flags: { keyspaceReplication: { value: '0', what: '--replication-factor' } },
        env,
        cwd,
      }),
    ).toThrow(/--replication-factor: "0" must be a whole number/);
  });
});

describe('settings from other sources than flags, where a command checks them', () => {
  it('drops the weaker of two settings that exclude each other, and refuses them from one source', () => {
    const { cwd, env } = dirs();
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ startingTimestamp: '2020-01-01 00:00:00' }));
    const r = resolveSettings({ command: 'run', flags: { startingOffsets: 'latest' }, env, cwd });
    expect(r.settings.startingOffsets).toBe('latest');
    expect(r.settings.startingTimestamp).toBeUndefined();
    expect(r.origins.startingTimestamp).toBe('default (overruled by --starting-offsets)');
    const both = resolveSettings({
      command: 'run',
      flags: { startingOffsets: 'latest', startingTimestamp: '2020-01-01 00:00:00' },
      env,
      cwd,
    });
    expect([both.settings.startingOffsets, both.settings.startingTimestamp]).toEqual(['latest', '2020-01-01 00:00:00']);
    // a keyspace's replication factor in a file does not block a typed --replication, nor the other way
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ keyspaceReplication: 3 }));
    const init = resolveSettings({
      command: 'init',
      flags: { replication: 'NetworkTopologyStrategy:dc1=3' },
      env,
      cwd,
    });
    expect(init.sources.keyspaceReplication).toBe('default');
    expect(init.settings.keyspaceReplication).toBe(1);
  });

  it('checks a time zone only where it is used: a bad one in the environment does not stop offsets reset --to-latest', () => {
    const { cwd, env } = dirs();
    const r = resolveSettings({
      command: 'offsets reset',
      flags: { group: 'g', toLatest: true },
      env: { ...env, LOGINSYNC_TIMEZONE: 'Mars/Base' },
      cwd,
    });
    expect(r.settings.timezone).toBe('Mars/Base');
  });

  it("the stack's commands read no config file: a broken project file does not stop stack down", () => {
    const { cwd, env } = dirs();
    writeFileSync(join(cwd, 'loginsync.config.json'), '{ broken');
    const r = resolveSettings({ command: 'stack down', flags: {}, env: { ...env, LOGINSYNC_STACK_DIR: 'st' }, cwd });
    expect(r.settings).toMatchObject({ stackDir: 'st', gracePeriod: 30_000 });
    expect(r.files).toEqual({});
    expect(() => resolveSettings({ command: 'run', flags: {}, env, cwd })).toThrow(/not valid JSON/);
  });
});

describe("the environment of a run another command starts (the bench's)", () => {
  it('holds the connection and nothing else of the user: their variables and files are left out', async () => {
    const { isolatedRunEnv } = await import('../../src/config/child-env.js');
    const { cwd, env } = dirs();
    writeFileSync(join(cwd, 'loginsync.config.json'), JSON.stringify({ trigger: '30s', dlqTopic: 'mine' }));
    const parent = resolveSettings({
      command: 'bench',
      flags: { brokers: 'k1:1' },
      env: { ...env, LOGINSYNC_TOPIC: 'mine' },
      cwd,
    });
    const runDir = mkdtempSync(join(tmpdir(), 'ls-child-'));
    const childEnv = isolatedRunEnv(parent.settings, runDir, {
      ...env,
      LOGINSYNC_TRIGGER: '1m',
      LOGINSYNC_UI_HOST: '0.0.0.0',
      LOGINSYNC_TOPIC: 'mine',
      LOGINSYNC_CACHE: '/jars',
      PATH: '/bin',
    });
    expect(childEnv).toMatchObject({ LOGINSYNC_CACHE: '/jars', PATH: '/bin' });
    for (const k of ['LOGINSYNC_TRIGGER', 'LOGINSYNC_UI_HOST', 'LOGINSYNC_TOPIC'])
      expect(childEnv[k], k).toBeUndefined();
    const child = resolveSettings({ command: 'run', flags: {}, env: childEnv, cwd });
    expect(child.settings).toMatchObject({ brokers: ['k1:1'], topic: 'mine', trigger: 0, dlqTopic: undefined });
    expect(child.files.project).toBe(join(runDir, 'run.config.json'));
    expect(child.warnings).toEqual([]);
  });
});
