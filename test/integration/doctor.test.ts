import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/stack/process.js';
import { runCli } from '../support/cli.js';
import { world } from '../support/world.js';

type Check = { server: string; step: string; ok: boolean; detail: string; fix?: string };
const parse = (stdout: string) => JSON.parse(stdout) as { ok: boolean; checks: Check[] };

describe('loginsync doctor', () => {
  it('passes every step against a working stack', async () => {
    const w = await world({ seed: false });
    try {
      const r = await runCli(['doctor', ...w.flags, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const { ok, checks } = parse(r.stdout);
      expect(ok).toBe(true);
      expect(checks.map((c) => `${c.server} ${c.step}`)).toEqual([
        'Kafka TCP',
        'Kafka protocol',
        'Kafka topic',
        'Cassandra TCP',
        'Cassandra CQL',
        'Cassandra table',
      ]);
    } finally {
      await w.close();
    }
  });

  it('names the step that fails and what to do: nothing listening, TLS to a plain port, missing topic and table', async () => {
    const closed = await freePort();
    const nothing = await runCli([
      'doctor',
      '--json',
      '-b',
      `127.0.0.1:${closed}`,
      '-k',
      'no_such_ks',
      '-t',
      'no_such_topic',
    ]);
    expect(nothing.code).toBe(1);
    const a = parse(nothing.stdout).checks;
    expect(a.find((c) => c.server === 'Kafka' && !c.ok)).toMatchObject({
      step: 'TCP',
      fix: expect.stringMatching(/nothing listens there/),
    });
    expect(a.find((c) => c.server === 'Cassandra' && !c.ok)).toMatchObject({
      step: 'table',
      detail: 'missing',
      fix: expect.stringMatching(/loginsync init/),
    });

    const t0 = Date.now();
    const tls = await runCli(['doctor', '--kafka-tls', '--cassandra-tls', '-t', 'no_such_topic']);
    expect(tls.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(tls.stdout).toMatch(/Kafka TLS handshake: this port does not speak TLS/);
    expect(tls.stdout).toMatch(/Cassandra TLS handshake: this port does not speak TLS/);
    expect(tls.stderr).toMatch(/^error: Kafka TLS handshake, Cassandra TLS handshake failed$/m);
    expect(tls.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
});
