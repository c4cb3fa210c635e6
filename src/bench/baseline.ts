import type { Kafka } from 'kafkajs';
import type { CassandraClient } from '../cassandra/client.js';
import { readStored, writeUpdates } from '../cassandra/lastlogin.js';
import { changeSchema } from '../cassandra/schema.js';
import type { CpuMeter, CpuPart } from './cpu.js';
import { ID_BASE } from './workload.js';

export interface Baseline {
  consumeMs: number;
  readMs: number;
  writeMs: number;
  totalMs: number;
}

/** CPU-seconds of each raw part: the bench's clients, the broker, Cassandra. */
export interface BaselineCpu {
  consume: CpuPart;
  read: CpuPart;
  write: CpuPart;
  total: CpuPart;
}

/**
 * The machine's raw parts with the same clients and no pipeline: consume + JSON.parse every event,
 * read the distinct users with IN lists of 100, write them with unlogged batches of 100 updates (into a
 * scratch table, so the real one is untouched). Done one after the other.
 */
export async function measureBaseline(
  kafka: Kafka,
  cql: CassandraClient,
  keyspace: string,
  topic: string,
  events: number,
  users: number,
  meter: CpuMeter,
): Promise<Baseline & { cpu: BaselineCpu }> {
  const m0 = meter.mark();
  const t0 = performance.now();
  const consumer = kafka.consumer({
    groupId: `${topic}-baseline`,
    maxBytesPerPartition: 8 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let sink = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const o = JSON.parse(String(m.value)) as { login_id: string };
            sink += o.login_id.length;
          }
          seen += batch.messages.length;
          if (seen >= events) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  const t1 = performance.now();
  const m1 = meter.mark();

  const ids = Array.from({ length: users }, (_, i) => String(ID_BASE + i));
  const stored = await readStored(cql, keyspace, 'users', ids, { chunk: 100, concurrency: 8 });
  const t2 = performance.now();
  const m2 = meter.mark();

  await changeSchema(
    cql,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.scratch (login_id text PRIMARY KEY, user_name text, last_login timestamp)`,
  );
  const wt = BigInt(Date.now()) * 1000n;
  await writeUpdates(
    cql,
    keyspace,
    'scratch',
    ids.map((id) => ({ id, timeMs: stored.get(id)?.lastLogin ?? 0, writetime: wt })),
    { batch: 100, concurrency: 4 },
  );
  const t3 = performance.now();
  const m3 = meter.mark();
  if (sink < 0) throw new Error('unreachable');
  const cpu = {
    consume: meter.part(m0, m1),
    read: meter.part(m1, m2),
    write: meter.part(m2, m3),
    total: meter.part(m0, m3),
  };
  return { consumeMs: t1 - t0, readMs: t2 - t1, writeMs: t3 - t2, totalMs: t3 - t0, cpu };
}
