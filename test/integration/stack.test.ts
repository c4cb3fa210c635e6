import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { freePortPair, portFree } from '../../src/stack/process.js';
import { pidAlive } from '../../src/util/process.js';
import { runCli } from '../support/cli.js';

const root = process.env.LOGINSYNC_TEST_ROOT ?? tmpdir();
const dirs: string[] = [];
function stackDir(): string {
  const d = mkdtempSync(join(root, 'loginsync-lifecycle-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) {
    await runCli(['stack', 'down', '--dir', d, '--timeout', '5']);
    rmSync(d, { recursive: true, force: true });
  }
});

describe('loginsync stack', () => {
  it('refuses a port already taken, naming it, without starting anything', async () => {
    const taken = await freePortPair();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(taken, '127.0.0.1', r));
    const dir = stackDir();
    try {
      const t0 = Date.now();
      const r = await runCli([
        'stack',
        'up',
        '--dir',
        dir,
        '--kafka-port',
        String(taken),
        '--cassandra-port',
        String(await freePortPair()),
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`port ${taken} (Kafka) is already in use`);
      expect(r.stderr).toContain('--kafka-port');
      expect(Date.now() - t0).toBeLessThan(30_000); // an error, not a hang
      expect(existsSync(join(dir, 'kafka', 'server.pid'))).toBe(false);
      expect(existsSync(join(dir, 'cassandra', 'server.pid'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('goes up, reports status, says so on a second up, and goes down leaving no process', async () => {
    const dir = stackDir();
    const kafkaPort = await freePortPair();
    const cassandraPort = await freePortPair([kafkaPort, kafkaPort + 1]);
    const up = await runCli(
      [
        'stack',
        'up',
        '--dir',
        dir,
        '--kafka-port',
        String(kafkaPort),
        '--cassandra-port',
        String(cassandraPort),
        '--kafka-heap',
        '256m',
        '--cassandra-heap',
        '512m',
      ],
      { timeoutMs: 200_000 },
    );
    expect(up.stderr).toContain('stack ready');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`export LOGINSYNC_BROKERS=127.0.0.1:${kafkaPort}`);
    expect(up.stdout).toContain(`export LOGINSYNC_CASSANDRA=127.0.0.1:${cassandraPort}`);

    const st = await runCli(['stack', 'status', '--dir', dir, '--json']);
    expect(st.code).toBe(0);
    const status = JSON.parse(st.stdout) as {
      servers: Array<{ server: string; pid: number; port: number; running: boolean; healthy: boolean }>;
    };
    expect(status.servers.map((s) => [s.server, s.port, s.running, s.healthy])).toEqual([
      ['kafka', kafkaPort, true, true],
      ['cassandra', cassandraPort, true, true],
    ]);
    const pids = status.servers.map((s) => s.pid);
    for (const pid of pids) expect(pidAlive(pid)).toBe(true);

    // the servers really serve: the CLI works against them
    const init = await runCli(['init', '--json'], {
      env: { LOGINSYNC_BROKERS: `127.0.0.1:${kafkaPort}`, LOGINSYNC_CASSANDRA: `127.0.0.1:${cassandraPort}` },
    });
    expect(init.code).toBe(0);

    const again = await runCli(['stack', 'up', '--dir', dir]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already running');
    expect(again.stdout).toContain(`LOGINSYNC_BROKERS=127.0.0.1:${kafkaPort}`);

    // one server down and up again, the other untouched
    const stop = await runCli(['stack', 'stop', 'kafka', '--dir', dir, '--kill']);
    expect(stop.stderr).toMatch(/Kafka: (stopped|killed)/);
    const half = JSON.parse((await runCli(['stack', 'status', '--dir', dir, '--json'])).stdout) as typeof status;
    expect(half.servers.map((s) => [s.server, s.running])).toEqual([
      ['kafka', false],
      ['cassandra', true],
    ]);
    const start = await runCli(['stack', 'start', 'kafka', '--dir', dir]);
    expect(start.code).toBe(0);
    expect(start.stderr).toMatch(/Kafka ready on 127\.0\.0\.1:\d+/);
    expect(start.stderr).toMatch(/Cassandra is already running/);
    const whole = JSON.parse((await runCli(['stack', 'status', '--dir', dir, '--json'])).stdout) as typeof status;
    expect(whole.servers.map((s) => [s.server, s.port, s.healthy])).toEqual([
      ['kafka', kafkaPort, true],
      ['cassandra', cassandraPort, true],
    ]);
    pids.splice(0, 1, whole.servers[0]!.pid);

    const logs = await runCli(['stack', 'logs', 'cassandra', '--dir', dir, '-n', '5']);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n').length).toBe(5);

    const down = await runCli(['stack', 'down', '--dir', dir]);
    expect(down.code).toBe(0);
    expect(down.stderr).toMatch(/Kafka: (stopped|killed)/);
    expect(down.stderr).toMatch(/Cassandra: (stopped|killed)/);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);

    const after = JSON.parse((await runCli(['stack', 'status', '--dir', dir, '--json'])).stdout) as typeof status;
    expect(after.servers.every((s) => !s.running && !s.healthy)).toBe(true);

    const clean = await runCli(['stack', 'clean', '--dir', dir]);
    expect(clean.code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it('names what to install when Java or Maven is missing', async () => {
    const noJava = await runCli(['stack', 'up', '--dir', stackDir()], { env: { JAVA_HOME: '/nonexistent-jdk' } });
    expect(noJava.code).toBe(1);
    expect(noJava.stderr).toContain('Java was not found');
    expect(noJava.stderr).toMatch(/hint: .*Java 17/);
    const cache = stackDir();
    const noMaven = await runCli(
      [
        'stack',
        'up',
        '--dir',
        stackDir(),
        '--kafka-port',
        String(await freePortPair()),
        '--cassandra-port',
        String(await freePortPair()),
      ],
      { env: { LOGINSYNC_MVN: '/nonexistent-mvn', LOGINSYNC_CACHE: cache } },
    );
    expect(noMaven.code).toBe(1);
    expect(noMaven.stderr).toContain('Maven was not found');
    expect(noMaven.stderr).toMatch(/hint: install Maven 3/);
  });

  it('a server dying at start shows its last log lines and stops the other one', async () => {
    const dir = stackDir();
    const kafkaPort = await freePortPair();
    const cassandraPort = await freePortPair([kafkaPort, kafkaPort + 1]);
    // a heap far too small: the Cassandra JVM exits at once
    const r = await runCli([
      'stack',
      'up',
      '--dir',
      dir,
      '--kafka-port',
      String(kafkaPort),
      '--cassandra-port',
      String(cassandraPort),
      '--kafka-heap',
      '256m',
      '--cassandra-heap',
      '1m',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cassandra exited while starting');
    expect(r.stderr).toMatch(/heap/i); // a line of the JVM's own log
    const st = JSON.parse((await runCli(['stack', 'status', '--dir', dir, '--json'])).stdout) as {
      servers: Array<{ running: boolean }>;
    };
    expect(st.servers.map((s) => s.running)).toEqual([false, false]);
    expect(await portFree(kafkaPort)).toBe(true);
  });

  it('never signals a process it did not start', async () => {
    const dir = stackDir();
    // a pid file pointing at a live process that is not ours (this test runner)
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'kafka'), { recursive: true });
    writeFileSync(join(dir, 'kafka', 'server.pid'), `${process.pid}\n`);
    const r = await runCli(['stack', 'down', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Kafka: not running');
    expect(pidAlive(process.pid)).toBe(true);
  });

  it('status of the shared test stack shows it healthy', async () => {
    const dir = inject('stackDir');
    if (dir === '') return; // reusing servers this run did not start
    const r = await runCli(['stack', 'status', '--dir', dir, '--json']);
    const s = JSON.parse(r.stdout) as { servers: Array<{ healthy: boolean }> };
    expect(s.servers.map((x) => x.healthy)).toEqual([true, true]);
    expect(readFileSync(join(dir, 'stack.json'), 'utf8')).toContain('"port"');
  });
});
