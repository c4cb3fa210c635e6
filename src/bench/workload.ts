import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { CassandraClient } from '../cassandra/client.js';
import { changeSchema, ensureKeyspace, ensureUsersTable } from '../cassandra/schema.js';
import { insertUsers } from '../cassandra/users.js';
import { syntheticUsers } from '../data/users-file.js';
import { ensureTopic } from '../kafka/admin.js';
import { sendMany } from '../kafka/produce.js';
import { formatTimestamp } from '../ui/format.js';
import { sleep } from '../util/sleep.js';

/** Synthetic ids start here; user i is String(ID_BASE + i). */
export const ID_BASE = 1_000_000;
/** Seeded users have last_login in 2019; events fall on 2020-01-01, so every event is newer. */
export const EVENT_DAY = Date.UTC(2020, 0, 1);

export interface BenchNames {
  keyspace: string;
  topic: string;
  group: string;
}

export function benchNames(prefix = 'bench'): BenchNames {
  const id = randomBytes(4).toString('hex');
  return { keyspace: `${prefix}_${id}`, topic: `${prefix}_${id}`, group: `${prefix}_${id}` };
}

/** Copies of the bench's keyspace (--keyspace-replication) and of its topic (--topic-replication). */
export interface Replicas {
  keyspace: number;
  topic: number;
}

/** The bench's keyspace and topic, with `replicas` copies each (3 on a three-node stack, as a cluster runs). */

export async function createSchema(
  cql: CassandraClient,
  kafka: Kafka,
  n: BenchNames,
  partitions: number,
  replicas: Replicas = { keyspace: 1, topic: 1 },
): Promise<void> {
  await ensureKeyspace(cql, n.keyspace, { class: 'SimpleStrategy', replicationFactor: replicas.keyspace });
  await ensureUsersTable(cql, n.keyspace, 'users');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopic(admin, { topic: n.topic, partitions, replicationFactor: replicas.topic });
  } finally {
    await admin.disconnect();
  }
}

export async function loadUsers(
  cql: CassandraClient,
  keyspace: string,
  users: number,
  onProgress?: (n: number) => void,
): Promise<void> {
  await insertUsers(cql, keyspace, 'users', syntheticUsers(users, ID_BASE), {
    concurrency: 16,
    ...(onProgress ? { onProgress } : {}),
  });
}

/** A small fast PRNG, so a workload can be described by its seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/**
 * Produces `events` unkeyed events, each for a random user among the first `users` (or among `pickFrom`
 * users), created_time spread over EVENT_DAY, and returns the latest time per user index (0 = none).
 */
export async function produceEvents(
  kafka: Kafka,
  topic: string,
  events: number,
  users: number,
  onProgress?: (n: number) => void,
  seed = 7,
): Promise<Float64Array> {
  const latest = new Float64Array(users);
  const rand = rng(seed);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await sendMany(
      producer,
      topic,
      events,
      0,
      () => {
        const u = Math.floor(rand() * users);
        const t = EVENT_DAY + Math.floor(rand() * 86_400) * 1000;
        if (t > latest[u]!) latest[u] = t;
        return { key: null, value: `{"login_id":"${ID_BASE + u}","created_time":"${formatTimestamp(new Date(t))}"}` };
      },
      onProgress,
    );
  } finally {
    await producer.disconnect();
  }
  return latest;
}

/**
 * Produces `rate` events/s (in ticks of 10 ms, so the rate is steady rather than bursty) for random
 * users among the first `users`, created_time now, until `total` are sent or stop() is called; keeps the
 * latest time per user index (0 = none).
 */
export class SteadyProducer {
  readonly latest: Float64Array;
  sent = 0;
  /** when the first events were due (epoch ms); 0 before run() */
  startedAt = 0;
  private stopping = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly users: number,
    private readonly rate: number,
    private readonly seed = 11,
  ) {
    this.latest = new Float64Array(users);
  }

  async run(total = Infinity, onProgress?: (n: number) => void): Promise<void> {
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const rand = rng(this.seed);
    const t0 = Date.now();
    this.startedAt = t0;
    try {
      while (this.sent < total && !this.stopping) {
        const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * this.rate) + 1);
        const messages = [];
        for (; this.sent < due; this.sent++) {
          const u = Math.floor(rand() * this.users);
          const t = Math.floor(Date.now() / 1000) * 1000;
          if (t > this.latest[u]!) this.latest[u] = t;
          messages.push({ value: `{"login_id":"${ID_BASE + u}","created_time":"${formatTimestamp(new Date(t))}"}` });
        }
        if (messages.length > 0) {
          await producer.send({ topic: this.topic, acks: 1, messages });
          onProgress?.(this.sent);
        }
        await sleep(10);
      }
    } finally {
      await producer.disconnect();
    }
  }

  stop(): void {
    this.stopping = true;
  }
}

/** Drops what a bench created. */
export async function dropBench(cql: CassandraClient, kafka: Kafka, n: BenchNames): Promise<void> {
  await changeSchema(cql, `DROP KEYSPACE IF EXISTS ${n.keyspace}`).catch(() => {});
  const admin = kafka.admin();
  await admin.connect().catch(() => {});
  const topics = await admin.listTopics().catch(() => [] as string[]);
  await admin.deleteTopics({ topics: topics.filter((t) => t === n.topic || t === `${n.topic}.dlq`) }).catch(() => {});
  await admin.deleteGroups([n.group]).catch(() => {});
  await admin.disconnect().catch(() => {});
}
