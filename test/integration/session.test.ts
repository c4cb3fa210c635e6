import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connectCassandra } from '../../src/cassandra/client.js';
import { consistencyCode } from '../../src/cassandra/lastlogin.js';
import { CassandraUserStore } from '../../src/cassandra/user-store.js';
import { KafkaGroup, committedOffsets } from '../../src/kafka/group.js';
import { SideTopic } from '../../src/kafka/side-topic.js';
import { KafkaSource } from '../../src/kafka/source.js';
import type { BatchReport, RunEvent } from '../../src/pipeline/events.js';
import { RunSession, type SessionAdapters, type SessionOptions } from '../../src/pipeline/session.js';
import { UTC } from '../../src/pipeline/time.js';
import { event, readTopic, world, type World } from '../support/world.js';

/**
 * The run session in this process, on the real Kafka and Cassandra of the test stack and the real
 * adapters (no CLI, no mocks): what the engine commits, and when.
 */

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const quorum = consistencyCode('local_quorum');

/** onLookup: called with the ids the store read ahead (by key), once read and before the rows are returned */
function adapters(x: World, group: string, onLookup?: (ids: string[]) => Promise<void>): SessionAdapters {
  const brokers = [inject('brokers')];
  let admin: ReturnType<World['kafka']['admin']> | undefined;
  return {
    store: async () => {
      const store = new CassandraUserStore(
        await connectCassandra({ contactPoints: [inject('cassandra')], localDc: 'datacenter1' }),
        { keyspace: x.keyspace, table: 'users', consistency: { read: quorum, write: quorum } },
        [inject('cassandra')],
      );
      const lookup = store.lookup.bind(store);
      store.lookup = async (ids) => {
        const rows = await lookup(ids);
        await onLookup?.(ids);
        return rows;
      };
      return store;
    },
    group: async () => {
      admin = x.kafka.admin();
      await admin.connect();
      return new KafkaGroup(x.kafka, admin, x.topic, group, brokers);
    },
    sideOutputs: async () => {
      const producer = x.kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      return {
        dlq: new SideTopic(admin!, producer, `${x.topic}.dlq`, '--dlq-topic', x.topic),
        unmatched: null,
        close: () => producer.disconnect(),
      };
    },
    source: (spec) =>
      new KafkaSource(x.kafka, {
        topic: x.topic,
        groupId: group,
        fromBeginning: true,
        sessionTimeoutMs: 10_000,
        brokers,
        ...spec,
      }),
  };
}

function session(
  x: World,
  o: Partial<SessionOptions> = {},
  group = x.group,
  onLookup?: (ids: string[]) => Promise<void>,
): { s: RunSession; events: RunEvent[]; reports: BatchReport[] } {
  const s = new RunSession(
    {
      topic: x.topic,
      group,
      keyspace: x.keyspace,
      table: 'users',
      startingOffsets: 'earliest',
      triggerMs: 0,
      once: false,
      checkpoint: x.checkpoint,
      decode: { idField: 'login_id', timeField: 'created_time', zone: UTC },
      limits: { maxRecords: 100_000, maxDistinct: 100_000, maxHeldBytes: 64 * 1024 * 1024 },
      dlqTopic: `${x.topic}.dlq`,
      unmatchedTopic: null,
      shutdownMs: 30_000,
      showRows: 20,
      ...o,
    },
    adapters(x, group, onLookup),
  );
  const events: RunEvent[] = [];
  const reports: BatchReport[] = [];
  s.events.on((e) => {
    events.push(e);
    if (e.type === 'batch-done') reports.push(e.report);
  });
  return { s, events, reports };
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('run session in process, real servers', () => {
  it('available now: one batch, the writes, the dead letters, then the commit and its ledger line', async () => {
    w = await world({ partitions: 2 });
    await w.send(
      [
        event('100001', '2020-09-09 10:18:00'),
        'not json',
        event('100009', '2018-01-01 00:00:00'),
        event('100001', '2020-09-09 10:00:00'),
      ],
      (i) => String(i % 2),
    );
    const { s, events, reports } = session(w, { once: true });
    const outcome = await s.run();
    expect(outcome).toMatchObject({
      kind: 'done',
      totals: { batches: 1, input: 4, malformed: 1, written: 1, stale: 2 },
    });
    expect(events.map((e) => e.type).filter((t) => t !== 'lag')).toEqual([
      'ready',
      'batch-started',
      'batch-done',
      'stopped',
    ]);
    expect((await w.lastLogins()).get('100001')).toBe('2020-09-09T10:18:00.000Z');
    const admin = w.kafka.admin();
    await admin.connect();
    const committed = await committedOffsets(admin, w.topic, w.group);
    await admin.disconnect();
    expect([...committed.values()].reduce((a, b) => a + b, 0)).toBe(4);
    const dead = await readTopic(w.kafka, `${w.topic}.dlq`, 1);
    expect(String(dead[0]!.value)).toBe('not json');
    const ledger = readFileSync(`${w.checkpoint}/ledger.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { batchId: number; counts: unknown });
    expect(ledger).toEqual([
      expect.objectContaining({
        batchId: reports[0]!.batchId,
        counts: { input: 4, malformed: 1, unmatched: 0, stale: 2, written: 1 },
      }),
    ]);
  });

  it('streaming: events sent while it runs are written batch by batch; a stop finishes and commits', async () => {
    w = await world();
    const { s, reports } = session(w);
    const outcome = s.run();
    await w.send([event('100001', '2020-09-09 10:18:00')]);
    await until(() => reports.length >= 1, 30_000, 'the first batch');
    await w.send([event('100009', '2020-09-10 10:18:00'), event('100087', '2020-09-11 10:18:00')]);
    await until(() => reports.reduce((n, r) => n + r.input, 0) >= 3, 30_000, 'the second batch');
    s.stop('SIGTERM');
    expect(await outcome).toMatchObject({ kind: 'done' });
    expect(reports.every((r) => r.batchId !== null)).toBe(true);
    const t = await w.lastLogins();
    expect([t.get('100001'), t.get('100009'), t.get('100087')]).toEqual([
      '2020-09-09T10:18:00.000Z',
      '2020-09-10T10:18:00.000Z',
      '2020-09-11T10:18:00.000Z',
    ]);
    const admin = w.kafka.admin();
    await admin.connect();
    expect(await committedOffsets(admin, w.topic, w.group)).toEqual(new Map([[0, 3]]));
    await admin.disconnect();
  });

  it('two sessions in one group share the partitions; when one stops, the other takes its partitions and reads on', async () => {
    w = await world({ partitions: 2 });
    const a = session(w);
    const b = session(w);
    const ra = a.s.run();
    const rb = b.s.run();
    const joined = (x: { events: RunEvent[] }) => x.events.some((e) => e.type === 'ready');
    await until(() => joined(a) && joined(b), 30_000, 'both sessions to start');
    await w.send(
      Array.from({ length: 20 }, (_, i) =>
        event(i % 2 ? '100001' : '100009', `2021-01-01 00:00:${String(i).padStart(2, '0')}`),
      ),
      (i) => String(i),
    );
    await until(() => [...a.reports, ...b.reports].reduce((n, r) => n + r.input, 0) >= 20, 60_000, 'the 20 events');
    a.s.stop('SIGTERM');
    expect((await ra).kind).toBe('done');
    await w.send([event('100087', '2021-02-01 00:00:00'), event('100087', '2021-02-01 00:00:01')], (i) => String(i));
    await until(
      async () => (await w!.lastLogins()).get('100087') === '2021-02-01T00:00:01.000Z',
      60_000,
      'the survivor to write both partitions',
    );
    b.s.stop('SIGTERM');
    expect((await rb).kind).toBe('done');
    const t = await w.lastLogins();
    expect([t.get('100009'), t.get('100001')]).toEqual(['2021-01-01T00:00:18.000Z', '2021-01-01T00:00:19.000Z']);
  });

  it('reads ahead while it waits for the trigger; a plain CQL update between that read and the write wins and is not lost', async () => {
    w = await world();
    const x = w;
    let corrected = false;
    // Enes's last_login corrected by hand, backwards, right after the batch read his row
    const correct = async (ids: string[]) => {
      if (corrected || !ids.includes('100001')) return;
      await x.cql.execute(
        `UPDATE ${x.keyspace}.users SET last_login = '2019-05-05 00:00:00+0000' WHERE login_id = '100001'`,
      );
      corrected = true;
    };
    const { s, events, reports } = session(w, { triggerMs: 6_000, readAhead: 100 }, w.group, correct);
    const outcome = s.run();
    // a wait with time left before its trigger: the first round of reads is at half of it
    await until(
      () => events.some((e) => e.type === 'idle' && e.nextAt - Date.now() > 5_000),
      30_000,
      'a wait for the trigger',
    );
    await w.send([event('100001', '2020-09-09 10:18:00'), event('100009', '2020-09-09 10:18:00')]);
    await until(() => corrected, 6_000, 'the ids read ahead');
    expect(reports).toEqual([]);
    await until(() => reports.length >= 1, 10_000, 'the batch');
    s.stop('SIGTERM');
    expect((await outcome).kind).toBe('done');
    expect(reports[0]).toMatchObject({ input: 2, readAhead: 2, written: 2, join: 'lookup' });
    const t = await w.lastLogins();
    expect([t.get('100001'), t.get('100009')]).toEqual(['2019-05-05T00:00:00.000Z', '2020-09-09T10:18:00.000Z']);
  });

  it('a record batch over the 256 KB per partition is read while other partitions have a backlog, not after it', async () => {
    // Kafka gives a batch that large only to the first partition with records in a fetch, and kafkajs
    // asks for the partitions in a new random order each time: each partition starts with one, then
    // 50,000 small events, read 5,000 per 500 ms trigger; in a fixed order, the partition asked for
    // second would wait for all of the first one's backlog
    w = await world({ partitions: 2 });
    const users = ['100001', '100009'];
    const pad = 'x'.repeat(400 * 1024);
    for (const p of [0, 1]) {
      const big = JSON.stringify({ login_id: users[p], created_time: `2022-0${p + 1}-01 00:00:00`, pad });
      await w.producer.send({ topic: w.topic, acks: -1, messages: [{ partition: p, value: big }] });
      for (let i = 0; i < 50_000; i += 10_000) {
        await w.producer.send({
          topic: w.topic,
          acks: -1,
          messages: Array.from({ length: 10_000 }, (_, j) => ({
            partition: p,
            value: event(`nobody-${i + j}`, '2021-01-01 00:00:00'),
          })),
        });
      }
    }
    const { s, events, reports } = session(w, {
      triggerMs: 500,
      limits: { maxRecords: 5_000, maxDistinct: 5_000, maxHeldBytes: 64 * 1024 * 1024 },
    });
    const outcome = s.run();
    await until(() => reports.reduce((n, r) => n + r.input, 0) >= 100_002, 60_000, 'every event');
    s.stop('SIGTERM');
    expect((await outcome).kind).toBe('done');
    // per partition: the batch that read its large record (offset 0), and the one that read its last
    const firstBatch = (p: number) => reports.findIndex((r) => (r.committed.get(p)?.[0] ?? 1) === 0);
    const lastBatch = (p: number) => reports.findIndex((r) => (r.committed.get(p)?.[1] ?? 0) === 50_001);
    expect(firstBatch(0)).toBeGreaterThanOrEqual(0);
    expect(firstBatch(1)).toBeGreaterThanOrEqual(0);
    expect(firstBatch(1), `${JSON.stringify(reports.map((r) => [...r.committed]))}`).toBeLessThan(lastBatch(0));
    expect(firstBatch(0), `${JSON.stringify(reports.map((r) => [...r.committed]))}`).toBeLessThan(lastBatch(1));
    expect(events.filter((e) => e.type === 'partitions-stalled')).toEqual([]);
    const t = await w.lastLogins();
    expect([t.get('100001'), t.get('100009')]).toEqual(['2022-01-01T00:00:00.000Z', '2022-02-01T00:00:00.000Z']);
  });
});
