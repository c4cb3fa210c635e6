import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { inject } from 'vitest';
import { connectCassandra, type CassandraClient } from '../../src/cassandra/client.js';
import { createKafka } from '../../src/kafka/client.js';
import { runCli, type CliResult } from './cli.js';
import { uniqueName } from './names.js';

/** One test's world: its own keyspace, topic, group and checkpoint dir, and clients to look behind the CLI. */
export interface World {
  keyspace: string;
  topic: string;
  group: string;
  checkpoint: string;
  /** connection flags for the CLI */
  flags: string[];
  cql: CassandraClient;
  kafka: Kafka;
  producer: Producer;
  send(values: Array<string | Buffer | null>, keyOf?: (i: number) => string | null): Promise<void>;
  runOnce(extra?: string[]): Promise<CliResult>;
  lastLogins(): Promise<Map<string, string | null>>;
  close(): Promise<void>;
}

export async function world(opts: { partitions?: number; seed?: boolean } = {}): Promise<World> {
  const keyspace = uniqueName('ks');
  const topic = uniqueName('logins');
  const group = uniqueName('g');
  const checkpoint = mkdtempSync(join(tmpdir(), 'ls-ckpt-'));
  const flags = ['-k', keyspace, '-t', topic];
  const init = await runCli(['init', ...flags, '--partitions', String(opts.partitions ?? 1)]);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  if (opts.seed !== false) {
    const seed = await runCli(['seed', ...flags]);
    if (seed.code !== 0) throw new Error(`seed failed: ${seed.stderr}`);
  }
  const cql = await connectCassandra({ contactPoints: [inject('cassandra')], localDc: 'datacenter1' });
  const kafka = createKafka({ brokers: [inject('brokers')] });
  const producer = kafka.producer();
  await producer.connect();
  return {
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
    runOnce(extra = []) {
      return runCli(['run', '--once', ...flags, '--group', group, '--checkpoint', checkpoint, ...extra]);
    },
    async lastLogins() {
      const rs = await cql.execute(`SELECT login_id, last_login FROM ${keyspace}.users`);
      return new Map(
        rs.rows.map((r) => [String(r.login_id), r.last_login ? (r.last_login as Date).toISOString() : null]),
      );
    },
    async close() {
      await producer.disconnect();
      await cql.shutdown();
    },
  };
}

export const event = (id: string, time: string) => JSON.stringify({ login_id: id, created_time: time });

/** All messages of a topic from the beginning, read with a fresh group, until `count` arrived. */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 30_000) {
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, string> }> = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} messages on ${topic}`)), timeoutMs);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          got.push({ key: message.key, value: message.value, headers });
          if (got.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return got;
}

/** Sends values unkeyed (spread over the partitions), in chunks; returns nothing until all are acknowledged. */
export async function sendAll(w: World, values: Array<string | Buffer | null>, chunk = 5000): Promise<void> {
  for (let i = 0; i < values.length; i += chunk) {
    await w.producer.send({
      topic: w.topic,
      acks: -1,
      messages: values.slice(i, i + chunk).map((value) => ({ value })),
    });
  }
}

/** An admin client of the world's Kafka, connected; the caller disconnects it. */
export async function admin(kafka: Kafka): Promise<Admin> {
  const a = kafka.admin();
  await a.connect();
  return a;
}
