import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('loginsync config show', () => {
  it('prints every setting with where it came from, and never a password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ls-config-'));
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'file-secret-1\n');
    chmodSync(pw, 0o600);
    writeFileSync(
      join(dir, 'loginsync.config.json'),
      JSON.stringify({ topic: 'from_file', cassandraUsername: 'cass', cassandraPassword: 'file-secret-2' }),
    );
    chmodSync(join(dir, 'loginsync.config.json'), 0o644);
    const args = [
      'config',
      'show',
      '--sasl-mechanism',
      'scram-sha-512',
      '--sasl-username',
      'bob',
      '--sasl-password-file',
      pw,
      '--verbose',
    ];
    const env = {
      LOGINSYNC_KEYSPACE: 'env_ks',
      LOGINSYNC_SASL_PASSWORD: 'env-secret-3',
      XDG_CONFIG_HOME: join(dir, 'xdg'),
    };
    const table = await runCli(args, { cwd: dir, env });
    const json = await runCli([...args, '--json'], { cwd: dir, env });
    for (const r of [table, json]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/secret-\d/);
    }
    const rows = JSON.parse(json.stdout).settings as Array<{
      setting: string;
      value: string | null;
      source: string;
      from: string;
    }>;
    const row = (k: string) => rows.find((x) => x.setting === k)!;
    expect(row('topic')).toMatchObject({ value: 'from_file', source: 'project file' });
    expect(row('keyspace')).toMatchObject({ value: 'env_ks', source: 'env', from: 'LOGINSYNC_KEYSPACE' });
    // the flag (a file) beats the environment
    expect(row('saslPassword')).toMatchObject({
      value: '(set, hidden)',
      source: 'flag',
      from: `--sasl-password-file ${pw}`,
    });
    expect(row('cassandraPassword')).toMatchObject({ value: '(set, hidden)', source: 'project file' });
    expect(row('readConsistency')).toMatchObject({ value: 'local_quorum', source: 'default' });
    expect(table.stderr).toMatch(/loginsync\.config\.json holds a password and other users can read it/);
    expect(table.stdout).toMatch(/saslPassword +│ \(set, hidden\)/);
  });

  it('refuses a password given as a plain flag, with the way to give it', async () => {
    const r = await runCli(['show', 'users', '--cassandra-password', 'oops-secret']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--cassandra-password is not accepted');
    expect(r.stderr).toContain('LOGINSYNC_CASSANDRA_PASSWORD');
    expect(r.stderr).not.toContain('oops-secret');
  });
});

describe('colors', () => {
  it('FORCE_COLOR 1 to 3 turns them on in a pipe; FORCE_COLOR=0 or false, --no-color and NO_COLOR turn them off', async () => {
    const esc = (s: string) => s.includes('\u001b[');
    const cases: Array<[NodeJS.ProcessEnv, string[], boolean]> = [
      [{ NO_COLOR: undefined, FORCE_COLOR: '1' }, [], true],
      [{ NO_COLOR: undefined, FORCE_COLOR: '3', TERM: 'dumb' }, [], true],
      [{ NO_COLOR: undefined, FORCE_COLOR: 'false' }, [], false],
      [{ NO_COLOR: undefined, FORCE_COLOR: '0' }, [], false],
      [{ NO_COLOR: undefined, FORCE_COLOR: '1' }, ['--no-color'], false],
      [{ NO_COLOR: '1' }, [], false],
      [{ NO_COLOR: undefined }, [], false],
    ];
    for (const [env, extra, colored] of cases) {
      const r = await runCli(['config', 'show', ...extra], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(esc(r.stdout), `${JSON.stringify(env)} ${extra.join(' ')}`).toBe(colored);
    }
  });
});
