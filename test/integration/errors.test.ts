import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/stack/process.js';
import { runCli } from '../support/cli.js';

describe('errors a user sees', () => {
  it('unreachable Cassandra: one line naming the address and the fix, exit 1', async () => {
    const port = await freePort();
    const r = await runCli(['show', 'users', '--cassandra', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot reach Cassandra at 127.0.0.1:${port}`);
    expect(r.stderr).toContain('loginsync stack up');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('unreachable Kafka: one line naming the address and the fix, exit 1', async () => {
    const port = await freePort();
    const r = await runCli([
      'init',
      '-k',
      'never_created_ks',
      '--brokers',
      `127.0.0.1:${port}`,
      '--cassandra',
      `127.0.0.1:${await freePort()}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: cannot reach (Kafka|Cassandra) at 127\.0\.0\.1:\d+/);
    const k = await runCli(['init', '--brokers', `127.0.0.1:${port}`, '-k', 'errors_ks']);
    expect(k.code).toBe(1);
    expect(k.stderr).toContain(`error: cannot reach Kafka at 127.0.0.1:${port}`);
    expect(k.stderr).toContain('--brokers');
  });

  it('--verbose adds the stack trace', async () => {
    const port = await freePort();
    const r = await runCli(['show', 'users', '--verbose', '--cassandra', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/NoHostAvailableError/);
  });

  it('names a bad value and an unknown config key', async () => {
    const bad = await runCli(['show', 'users', '--keyspace', "x'; DROP KEYSPACE system; --"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--keyspace');
    expect(bad.stderr).toContain('is not a valid name');

    const dir = mkdtempSync(join(tmpdir(), 'ls-cli-'));
    writeFileSync(join(dir, 'loginsync.config.json'), JSON.stringify({ topik: 'x' }));
    const r = await runCli(['show', 'users'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown key "topik"');
  });

  it('exit codes: 2 for misuse (unknown flag or command, missing argument, bad choice or value), 0 for --help and --version', async () => {
    for (const args of [
      ['run', '--nope'],
      ['stack', 'frob'],
      ['show'],
      ['run', '--starting-offsets', 'middle'],
      ['init', '--partitions', 'x'],
      ['produce', '--count'],
    ]) {
      const r = await runCli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/error|Usage:/);
    }
    for (const args of [['--help'], ['-V'], ['stack', '--help']])
      expect((await runCli(args)).code, args.join(' ')).toBe(0);
  });

  it('--help explains the connection options', async () => {
    const r = await runCli(['show', 'users', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--brokers <list>');
    expect(r.stdout).toContain('LOGINSYNC_CASSANDRA');
  });
});
