import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { uniqueName } from '../support/names.js';
import { waitFor } from '../support/wait.js';
import { SecuredStack } from '../support/secured-stack.js';

/**
 * A real secured cluster (stack up --nodes 3 --mtls): every command with the credentials it prints,
 * TLS between its nodes, and logins that outlive a killed node.
 */
const stack = new SecuredStack('--mtls', 3);
const cassandraPort = () => Number(stack.env.LOGINSYNC_CASSANDRA!.split(',')[0]!.split(':')[1]);
const kafkaPort = () => Number(stack.env.LOGINSYNC_BROKERS!.split(',')[0]!.split(':')[1]);
const cli = (args: string[]) => runCli(['stack', ...args, '--dir', stack.dir], { timeoutMs: 600_000 });

beforeAll(() => stack.up(), 600_000);
afterAll(() => stack.down(), 300_000);

/**
 * How a TLS connection to a port ends: 'refused' (an alert, or closed) or 'accepted' (still open after
 * 2 s); with the nodes' own certificate, or none.
 */
function tlsOutcome(host: string, port: number, withCert: boolean): Promise<string> {
  const ca = readFileSync(join(stack.dir, 'secure', 'ca.pem'));
  const pair = withCert
    ? {
        cert: readFileSync(join(stack.dir, 'secure', 'server.pem')),
        key: readFileSync(join(stack.dir, 'secure', 'server.key')),
      }
    : {};
  return new Promise((resolve) => {
    const socket = connect({ host, port, ca, ...pair, checkServerIdentity: () => undefined });
    const end = (outcome: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => end('accepted'), 2000);
    socket.on('error', () => end('refused'));
    socket.on('close', () => end('refused'));
  });
}

describe('a secured cluster (stack up --nodes 3 --mtls)', () => {
  it('prints the whole cluster with its credentials; every command works with them, and no secret shows', async () => {
    expect(stack.env.LOGINSYNC_BROKERS!.split(',')).toEqual([0, 1, 2].map((i) => `127.0.0.1:${kafkaPort() + i}`));
    expect(stack.env.LOGINSYNC_CASSANDRA!.split(',')).toEqual([1, 2, 3].map((i) => `127.0.0.${i}:${cassandraPort()}`));
    const texts = await stack.credentialRound();
    stack.expectNoSecrets([...texts, ...stack.upOutputs]);
  });

  it("its nodes talk TLS to each other: the controller and storage ports want a certificate of the stack's nodes", async () => {
    for (const [host, port] of [
      ['127.0.0.1', kafkaPort() + 3],
      ['127.0.0.1', kafkaPort() + 4],
      ['127.0.0.2', cassandraPort() + 1],
      ['127.0.0.3', cassandraPort() + 1],
    ] as const) {
      expect(await tlsOutcome(host, port, false), `${host}:${port} without a certificate`).toBe('refused');
      expect(await tlsOutcome(host, port, true), `${host}:${port} with the nodes' certificate`).toBe('accepted');
    }
    expect(readFileSync(join(stack.dir, 'cassandra-3', 'cassandra.log'), 'utf8')).toMatch(
      /messaging connection established.*encryption = encrypted/,
    );
  });

  it('logins outlive a killed node (system_auth has three copies), and the node comes back with stack start', async () => {
    const flags = ['-k', uniqueName('ks'), '-t', uniqueName('logins')];
    for (const args of [
      ['init', ...flags, '--replication-factor', '3', '--topic-replication', '3'],
      ['seed', ...flags],
    ]) {
      const r = await stack.cli(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    for (const node of ['cassandra-2', 'kafka-1'])
      expect((await cli(['stop', node, '--kill'])).stderr).toContain(`${node}: killed`);
    // once the others see cassandra-2 down, every read at LOCAL_QUORUM (logins included) is answered
    await waitFor(
      () =>
        ['cassandra-1', 'cassandra-3'].every((n) =>
          readFileSync(join(stack.dir, n, 'cassandra.log'), 'utf8').includes(
            `/127.0.0.2:${cassandraPort() + 1} is now DOWN`,
          ),
        ),
      120_000,
      'cassandra-1 and cassandra-3 to see cassandra-2 down',
    );
    const show = await stack.cli(['show', 'users', ...flags, '--json']);
    expect(show.code, show.stderr).toBe(0);
    expect((JSON.parse(show.stdout) as unknown[]).length).toBe(3);
    const produce = await stack.cli(['produce', ...flags, '--login', '100001', '--time', '2020-09-09 10:18:00']);
    expect(produce.code, produce.stderr).toBe(0);

    for (const node of ['cassandra-2', 'kafka-1']) {
      const start = await cli(['start', node]);
      expect(start.code, start.stderr).toBe(0);
      expect(start.stderr).toMatch(new RegExp(`${node} ready on`));
    }
    const st = JSON.parse((await cli(['status', '--json'])).stdout) as {
      servers: Array<{ node: string; healthy: boolean }>;
    };
    expect(st.servers.map((s) => [s.node, s.healthy])).toEqual(
      ['kafka-1', 'kafka-2', 'kafka-3', 'cassandra-1', 'cassandra-2', 'cassandra-3'].map((n) => [n, true]),
    );
  });
});
