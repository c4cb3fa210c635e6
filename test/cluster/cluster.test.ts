import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandra, types, type CassandraClient } from '../../src/cassandra/client.js';
import { createTopic } from '../../src/kafka/admin.js';
import { createKafka } from '../../src/kafka/client.js';
import { freePortPair, freePortRun } from '../../src/stack/process.js';
import { runCli, type CliResult } from '../support/cli.js';
import { uniqueName } from '../support/names.js';
import { waitFor } from '../support/wait.js';

/**
 * A real three-node cluster of the tests' own (stack up --nodes 3): its start, the replication it
 * offers, a node killed and started again, the node names, and a down that leaves nothing behind.
 * Heavy (about 4 GB): npm run test:cluster, never part of npm test.
 */
const root = process.env.LOGINSYNC_TEST_ROOT ?? tmpdir();
const dir = mkdtempSync(join(root, 'loginsync-cluster-'));
const oneNodeDir = mkdtempSync(join(root, 'loginsync-one-node-'));
const keyspace = uniqueName('cluster');
let kafkaPort = 0;
let cassandraPort = 0;
const brokers = () => [0, 1, 2].map((i) => `127.0.0.1:${kafkaPort + i}`);
const contactPoints = () => [1, 2, 3].map((i) => `127.0.0.${i}:${cassandraPort}`);

const stack = (args: string[], stackDir = dir): Promise<CliResult> =>
  runCli(['stack', ...args, '--dir', stackDir], { timeoutMs: 600_000 });

/** The pids of every process carrying the stack's marker (what CI's cleanup looks for). */
function markedProcesses(stackDir: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `loginsync.stack=${stackDir}/`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

interface NodeStatus {
  server: string;
  node: string;
  pid: number | null;
  host: string;
  port: number;
  running: boolean;
  healthy: boolean;
}
async function status(): Promise<NodeStatus[]> {
  const r = await stack(['status', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { servers: NodeStatus[] }).servers;
}

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

let cql: CassandraClient | undefined;
let kafka: Kafka;

beforeAll(async () => {
  kafkaPort = await freePortRun(6);
  cassandraPort = await freePortPair([...Array(6).keys()].map((i) => kafkaPort + i));
  kafka = createKafka({ brokers: brokers(), clientId: 'cluster-test' });
});

afterAll(async () => {
  await cql?.shutdown();
  for (const d of [dir, oneNodeDir]) {
    await stack(['down', '--timeout', '10'], d);
    if (!process.env.LOGINSYNC_KEEP_TEST_STACK) rmSync(d, { recursive: true, force: true });
  }
});

describe.sequential('loginsync stack up --nodes 3', () => {
  it('comes up as one cluster: three brokers, a ring of three, every node healthy', async () => {
    const t0 = Date.now();
    const up = await stack([
      'up',
      '--nodes',
      '3',
      '--kafka-port',
      String(kafkaPort),
      '--cassandra-port',
      String(cassandraPort),
    ]);
    const seconds = (Date.now() - t0) / 1000;
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`export LOGINSYNC_BROKERS=${brokers().join(',')}`);
    expect(up.stdout).toContain(`export LOGINSYNC_CASSANDRA=${contactPoints().join(',')}`);
    expect(up.stderr).toMatch(/Kafka: 3 nodes, each sees every other/);
    expect(up.stderr).toMatch(/Cassandra: 3 nodes, each sees every other/);

    const nodes = await status();
    expect(nodes.map((n) => [n.node, n.host, n.port, n.running, n.healthy])).toEqual([
      ['kafka-1', '127.0.0.1', kafkaPort, true, true],
      ['kafka-2', '127.0.0.1', kafkaPort + 1, true, true],
      ['kafka-3', '127.0.0.1', kafkaPort + 2, true, true],
      ['cassandra-1', '127.0.0.1', cassandraPort, true, true],
      ['cassandra-2', '127.0.0.2', cassandraPort, true, true],
      ['cassandra-3', '127.0.0.3', cassandraPort, true, true],
    ]);
    expect(JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8'))).toMatchObject({
      nodes: 3,
      kafka: { heap: '256m' },
      cassandra: { heap: '512m' },
    });
    const rss = nodes.map((n) => rssMb(n.pid!));
    console.log(
      `cluster up in ${seconds.toFixed(1)} s; RSS ${nodes.map((n, i) => `${n.node} ${rss[i]!.toFixed(0)} MB`).join(', ')}; ` +
        `total ${(rss.reduce((a, b) => a + b, 0) / 1024).toFixed(2)} GB`,
    );
  });

  it('a topic with three copies takes writes with acks=all and serves them back (kafkajs)', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: uniqueName('g') });
    try {
      expect((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      const topic = uniqueName('replicated');
      await createTopic(admin, {
        topic,
        partitions: 3,
        replicationFactor: 3,
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      });
      await waitFor(
        async () => {
          const md = await admin.fetchTopicMetadata({ topics: [topic] });
          return md.topics[0]!.partitions.every((p) => p.replicas.length === 3 && p.isr.length === 3);
        },
        60_000,
        `${topic}: three replicas in sync`,
      );

      await producer.connect();
      const values = Array.from({ length: 300 }, (_, i) => `event-${i}`);
      await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen = new Set<string>();
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.add(String(message.value));
        },
      });
      await waitFor(() => seen.size === values.length, 120_000, `all ${values.length} events consumed`);
      // the group's offsets live in Kafka's internal topic, three copies on a cluster
      const offsets = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
      expect(offsets.topics[0]!.partitions.every((p) => p.replicas.length === 3)).toBe(true);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('a keyspace with three copies works at LOCAL_QUORUM, the driver seeing three hosts', async () => {
    cql = createCassandra({
      contactPoints: contactPoints(),
      localDc: 'datacenter1',
      consistency: types.consistencies.localQuorum,
    });
    await cql.connect();
    expect(
      cql.hosts
        .values()
        .map((h) => [h.address, h.isUp()])
        .sort(),
    ).toEqual(contactPoints().map((a) => [a, true]));
    await cql.execute(
      `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`,
    );
    await cql.execute(`CREATE TABLE ${keyspace}.kv (k int PRIMARY KEY, v text)`);
    for (let k = 0; k < 50; k++) await cql.execute(`INSERT INTO ${keyspace}.kv (k, v) VALUES (?, ?)`, [k, `v${k}`]);
    const rs = await cql.execute(`SELECT count(*) AS n FROM ${keyspace}.kv`);
    expect(Number(rs.first().get('n'))).toBe(50);
    // every node holds every row: each, coordinating, reads it at ALL
    for (const host of cql.hosts.values()) {
      const one = await cql.execute(`SELECT v FROM ${keyspace}.kv WHERE k = 7`, [], {
        host,
        consistency: types.consistencies.all,
      });
      expect(one.first().get('v')).toBe('v7');
    }
  });

  it('keeps working at LOCAL_QUORUM with cassandra-2 killed, and takes it back after stack start', async () => {
    const before = (await status()).find((n) => n.node === 'cassandra-2')!;
    const stop = await stack(['stop', 'cassandra-2', '--kill']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stderr).toContain('cassandra-2: killed');
    expect((await status()).map((n) => [n.node, n.running])).toEqual([
      ['kafka-1', true],
      ['kafka-2', true],
      ['kafka-3', true],
      ['cassandra-1', true],
      ['cassandra-2', false],
      ['cassandra-3', true],
    ]);

    // writes need two acks of three: they go on at once
    const t0 = Date.now();
    let k = 1000;
    const write = async () => {
      k += 1;
      await cql!.execute(`INSERT INTO ${keyspace}.kv (k, v) VALUES (?, ?)`, [k, `v${k}`]);
    };
    for (let i = 0; i < 20; i++) await write();
    // a read asks two replicas of three: one that picked the dead node times out until the others'
    // failure detectors call it dead (phi_convict_threshold 12: some 25 s after the kill); then
    // every read and write at LOCAL_QUORUM is answered
    await waitFor(
      () =>
        ['cassandra-1', 'cassandra-3'].every((n) =>
          new RegExp(`/127\\.0\\.0\\.2:${cassandraPort + 1} is now DOWN`).test(
            readFileSync(join(dir, n, 'cassandra.log'), 'utf8'),
          ),
        ),
      120_000,
      'cassandra-1 and cassandra-3 to see cassandra-2 down',
    );
    const convicted = (Date.now() - t0) / 1000;
    for (let i = 0; i < 20; i++) {
      await write();
      const rs = await cql!.execute(`SELECT v FROM ${keyspace}.kv WHERE k = ?`, [k]);
      expect(rs.first()?.get('v')).toBe(`v${k}`);
    }
    const count = await cql!.execute(`SELECT count(*) AS n FROM ${keyspace}.kv`);
    expect(Number(count.first().get('n'))).toBe(50 + (k - 1000));
    console.log(
      `cassandra-2 killed: writes at LOCAL_QUORUM answered at once; the others saw it down after ${convicted.toFixed(1)} s; ` +
        '20 writes and reads at LOCAL_QUORUM then, all answered',
    );

    const start = await stack(['start', 'cassandra-2']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stderr).toMatch(/cassandra-2 ready on 127\.0\.0\.2:\d+/);
    expect(start.stderr).toMatch(/cassandra-1 is already running/);
    const after = await status();
    expect(after.every((n) => n.running && n.healthy)).toBe(true);
    expect(after.find((n) => n.node === 'cassandra-2')!.pid).not.toBe(before.pid);
    // back in the ring: the driver sees it again, and it serves the rows written while it was down
    await waitFor(() => cql!.hosts.values().every((h) => h.isUp()), 60_000, 'the driver to see cassandra-2 up again');
    const back = cql!.hosts.values().find((h) => h.address === `127.0.0.2:${cassandraPort}`)!;
    await waitFor(
      async () => {
        const rs = await cql!
          .execute(`SELECT count(*) AS n FROM ${keyspace}.kv`, [], { host: back, consistency: types.consistencies.all })
          .catch(() => undefined);
        return Number(rs?.first().get('n')) === 50 + (k - 1000);
      },
      60_000,
      'a read at ALL through cassandra-2 to see every row',
    );
  });

  it('names its nodes: kafka and cassandra alone are refused with the names, a node can be picked', async () => {
    for (const args of [
      ['stop', 'kafka'],
      ['start', 'cassandra'],
      ['logs', 'kafka'],
      ['status', 'cassandra'],
    ]) {
      const r = await stack(args);
      expect(r.code, args.join(' ')).toBe(1);
      const kind = args[1]!;
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(2);
      expect(lines[0]).toBe(
        `error: "${kind}" is not one node in this 3-node stack: name one of ${kind}-1, ${kind}-2, ${kind}-3`,
      );
      expect(lines[1]).toMatch(
        /^hint: the nodes are kafka-1, kafka-2, kafka-3, cassandra-1, cassandra-2, cassandra-3$/,
      );
    }
    const unknown = await stack(['stop', 'kafka-4']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'unknown node "kafka-4": use kafka-1, kafka-2, kafka-3, cassandra-1, cassandra-2, cassandra-3',
    );

    const one = await stack(['status', 'cassandra-3', '--json']);
    expect((JSON.parse(one.stdout) as { servers: NodeStatus[] }).servers.map((s) => [s.node, s.healthy])).toEqual([
      ['cassandra-3', true],
    ]);
    const logs = await stack(['logs', 'kafka-2', '-n', '5']);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n')).toHaveLength(5);
  });

  it("refuses another node count in a made stack's directory, either way", async () => {
    const fewer = await stack(['up', '--nodes', '1']);
    expect(fewer.code).toBe(1);
    expect(fewer.stderr.trim().split('\n')).toEqual([
      `error: the stack in ${dir} has 3 nodes of each server; it cannot be brought up with --nodes 1`,
      `hint: use another --dir, or "loginsync stack down --dir ${dir}" and "stack clean --dir ${dir}" first`,
    ]);
  });

  it('down stops every node and leaves no process behind', async () => {
    const nodes = await status();
    expect(nodes.every((n) => n.running)).toBe(true);
    expect(markedProcesses(dir).sort()).toEqual(nodes.map((n) => n.pid!).sort());
    const down = await stack(['down']);
    expect(down.code, down.stderr).toBe(0);
    for (const name of ['kafka-1', 'kafka-2', 'kafka-3', 'cassandra-1', 'cassandra-2', 'cassandra-3']) {
      expect(down.stderr).toMatch(new RegExp(`^${name}: (stopped|killed)$`, 'm'));
    }
    expect(markedProcesses(dir)).toEqual([]);
    expect((await status()).every((n) => !n.running && !n.healthy)).toBe(true);
  });

  it('a one-node stack refuses --nodes 3 in its directory', async () => {
    const kafka1 = await freePortPair([...Array(6).keys()].map((i) => kafkaPort + i));
    const cassandra1 = await freePortPair([kafka1, kafka1 + 1]);
    const up = await stack(['up', '--kafka-port', String(kafka1), '--cassandra-port', String(cassandra1)], oneNodeDir);
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(oneNodeDir, 'stack.json'), 'utf8'))).toMatchObject({
      nodes: 1,
      kafka: { heap: '512m' },
      cassandra: { heap: '1g' },
    });
    const more = await stack(['up', '--nodes', '3'], oneNodeDir);
    expect(more.code).toBe(1);
    expect(more.stderr.trim().split('\n')).toEqual([
      `error: the stack in ${oneNodeDir} has one node of each server; it cannot be brought up with --nodes 3`,
      `hint: use another --dir, or "loginsync stack down --dir ${oneNodeDir}" and "stack clean --dir ${oneNodeDir}" first`,
    ]);
    // on one node, kafka-1 and cassandra-1 name its servers too
    const named = await stack(['status', 'kafka-1', '--json'], oneNodeDir);
    expect((JSON.parse(named.stdout) as { servers: NodeStatus[] }).servers.map((s) => [s.node, s.healthy])).toEqual([
      ['kafka', true],
    ]);
    const down = await stack(['down'], oneNodeDir);
    expect(down.code).toBe(0);
    expect(markedProcesses(oneNodeDir)).toEqual([]);
  });
});
