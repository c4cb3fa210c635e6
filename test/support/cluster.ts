import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { connectCassandra, types } from '../../src/cassandra/client.js';
import { createKafka } from '../../src/kafka/client.js';
import { freePortPair, freePortRun } from '../../src/stack/process.js';
import { runCli, spawnCli, type CliResult, type Spawned } from './cli.js';
import { uniqueName } from './names.js';
import type { World } from './world.js';
import { groupOffsets, total } from './offsets.js';
import { lastLogins, type Originals } from './oracle.js';

const QUORUM = types.consistencies.localQuorum;

/**
 * A three-node cluster of a test file's own (stack up --nodes 3 in a fresh directory), and worlds on
 * it: a keyspace with three copies, a topic of six partitions with three replicas each.
 */
export class TestCluster {
  readonly dir = mkdtempSync(join(process.env.LOGINSYNC_TEST_ROOT ?? tmpdir(), 'loginsync-cluster-'));
  kafkaPort = 0;
  cassandraPort = 0;

  get brokers(): string[] {
    return [0, 1, 2].map((i) => `127.0.0.1:${this.kafkaPort + i}`);
  }

  get contactPoints(): string[] {
    return [1, 2, 3].map((i) => `127.0.0.${i}:${this.cassandraPort}`);
  }

  /** What points the CLI at this cluster. */
  get env(): NodeJS.ProcessEnv {
    return { LOGINSYNC_BROKERS: this.brokers.join(','), LOGINSYNC_CASSANDRA: this.contactPoints.join(',') };
  }

  /** `loginsync stack <args> --dir <this cluster>`; throws when it fails. */
  async stack(...args: string[]): Promise<CliResult> {
    const r = await runCli(['stack', ...args, '--dir', this.dir], { timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`stack ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r;
  }

  async up(): Promise<void> {
    this.kafkaPort = await freePortRun(6);
    this.cassandraPort = await freePortPair([...Array(6).keys()].map((i) => this.kafkaPort + i));
    await this.stack(
      'up',
      '--nodes',
      '3',
      '--kafka-port',
      String(this.kafkaPort),
      '--cassandra-port',
      String(this.cassandraPort),
    );
  }

  async down(): Promise<void> {
    await runCli(['stack', 'down', '--timeout', '10', '--dir', this.dir], { timeoutMs: 120_000 });
    if (!process.env.LOGINSYNC_KEEP_TEST_STACK) rmSync(this.dir, { recursive: true, force: true });
  }

  cli(args: string[], timeoutMs = 120_000): Promise<CliResult> {
    return runCli(args, { env: this.env, timeoutMs });
  }

  spawn(args: string[]): Spawned {
    return spawnCli(args, { env: this.env });
  }

  /** A keyspace (RF 3), a topic (6 partitions, 3 replicas, min.insync.replicas 2) and `users` seeded users. */
  async world(users: number): Promise<{ w: World; originals: Originals; admin: Admin }> {
    const keyspace = uniqueName('ks');
    const topic = uniqueName('logins');
    const group = uniqueName('g');
    const checkpoint = mkdtempSync(join(tmpdir(), 'ls-ckpt-'));
    const flags = ['-k', keyspace, '-t', topic];
    const init = await this.cli([
      'init',
      ...flags,
      '--partitions',
      '6',
      '--replication-factor',
      '3',
      '--topic-replication',
      '3',
    ]);
    if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
    const seed = await this.cli(['seed', ...flags, '--count', String(users)]);
    if (seed.code !== 0) throw new Error(`seed failed: ${seed.stderr}`);
    const cql = await connectCassandra({ contactPoints: this.contactPoints, localDc: 'datacenter1' });
    const kafka = createKafka({ brokers: this.brokers });
    const producer = kafka.producer();
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    const w: World = {
      keyspace,
      topic,
      group,
      checkpoint,
      flags,
      cql,
      kafka,
      producer,
      async send(values, keyOf = () => null) {
        await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: keyOf(i), value })) });
      },
      runOnce: (extra = []) =>
        this.cli(['run', '--once', ...flags, '--group', group, '--checkpoint', checkpoint, ...extra]),
      async lastLogins() {
        const rows = await lastLogins(cql, keyspace, QUORUM);
        return new Map([...rows].map(([id, ms]) => [id, ms === null ? null : new Date(ms).toISOString()]));
      },
      async close() {
        await admin.disconnect();
        await producer.disconnect();
        await cql.shutdown();
      },
    };
    // read at LOCAL_QUORUM, as the seed wrote: a read at ONE may ask the one replica still without a
    // row, and the oracle would then lack a seeded user (seen once in CI)
    return { w, originals: await lastLogins(cql, keyspace, QUORUM), admin };
  }
}

/** The leader of each partition of a topic, by broker node id. */
export async function leaders(admin: Admin, topic: string): Promise<Map<number, number>> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return new Map(md.topics[0]!.partitions.map((p) => [p.partitionId, p.leader]));
}

/**
 * Watches a drain from outside, four times a second: the group's committed total, and how much the run
 * has printed. After a fault at `at`, says when the run first printed something and how long commits
 * stood still at most.
 */
export class DrainWatch {
  private readonly samples: Array<{ t: number; committed: number; printed: number }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly admin: Admin,
    private readonly w: Pick<World, 'group' | 'topic'>,
    private readonly printed: () => number,
  ) {}

  start(): void {
    const tick = async () => {
      const committed = total(
        await groupOffsets(this.admin, this.w.group, this.w.topic).catch(() => new Map<number, number>()),
      );
      this.samples.push({ t: Date.now(), committed, printed: this.printed() });
      this.timer = setTimeout(() => void tick(), 250);
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  get committed(): number {
    return this.samples.at(-1)?.committed ?? 0;
  }

  /** Seconds from `at` to the first commit after it, and the longest time commits stood still after it. */
  after(at: number): { firstCommitS: number; longestStallS: number; firstOutputS: number } {
    const later = this.samples.filter((s) => s.t >= at);
    const base = this.samples.filter((s) => s.t < at).at(-1) ?? { t: at, committed: 0, printed: 0 };
    const firstCommit = later.find((s) => s.committed > base.committed);
    const firstOutput = later.find((s) => s.printed > base.printed);
    let longest = 0;
    let last = base;
    for (const s of later) {
      if (s.committed > last.committed) {
        longest = Math.max(longest, s.t - Math.max(last.t, at));
        last = s;
      }
    }
    const s = (ms: number | undefined) => (ms === undefined ? NaN : ms / 1000);
    return {
      firstCommitS: s(firstCommit && firstCommit.t - at),
      longestStallS: longest / 1000,
      firstOutputS: s(firstOutput && firstOutput.t - at),
    };
  }
}
