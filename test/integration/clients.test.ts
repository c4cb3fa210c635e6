import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connectCassandra } from '../../src/cassandra/client.js';
import { ensureKeyspace, ensureUsersTable } from '../../src/cassandra/schema.js';
import { forEachUser, type UserRow } from '../../src/cassandra/users.js';
import { ensureTopic, partitionCount } from '../../src/kafka/admin.js';
import { connectAdmin, createKafka } from '../../src/kafka/client.js';
import { uniqueName } from '../support/names.js';

describe('Kafka round trip through our client module', () => {
  it('creates a topic, produces keyed JSON and reads it back in order', async () => {
    const brokers = [inject('brokers')];
    const kafka = createKafka({ brokers });
    const admin = await connectAdmin(kafka, brokers);
    const topic = uniqueName('rt');
    try {
      expect(await ensureTopic(admin, { topic, partitions: 3, replicationFactor: 1 })).toBe('created');
      expect(await ensureTopic(admin, { topic, partitions: 3, replicationFactor: 1 })).toBe('exists');
      expect(await partitionCount(admin, topic)).toBe(3);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 50 }, (_, i) => ({
      login_id: String(100000 + (i % 5)),
      created_time: `2020-09-09 10:${String(i).padStart(2, '0')}:00`,
    }));
    await producer.send({ topic, messages: sent.map((e) => ({ key: e.login_id, value: JSON.stringify(e) })) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('g') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const got: Array<{ key: string; value: { login_id: string; created_time: string }; partition: number }> = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            got.push({ key: String(message.key), value: JSON.parse(String(message.value)), partition });
            if (got.length === sent.length) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(got.map((g) => g.value).sort((a, b) => a.created_time.localeCompare(b.created_time))).toEqual(sent);
    // keyed by login_id: one id always lands on one partition, and in order there
    for (const id of new Set(sent.map((e) => e.login_id))) {
      const mine = got.filter((g) => g.key === id);
      expect(new Set(mine.map((g) => g.partition)).size).toBe(1);
      const times = mine.map((g) => g.value.created_time);
      expect(times).toEqual([...times].sort());
    }
  });
});

describe('Cassandra round trip through our client module', () => {
  it('creates the schema, writes rows and pages them back', async () => {
    const client = await connectCassandra({ contactPoints: [inject('cassandra')], localDc: 'datacenter1' });
    const keyspace = uniqueName('rt');
    try {
      expect(await ensureKeyspace(client, keyspace, { class: 'SimpleStrategy', replicationFactor: 1 })).toBe('created');
      expect(await ensureUsersTable(client, keyspace, 'users')).toBe('created');
      expect(await ensureUsersTable(client, keyspace, 'users')).toBe('exists');
      const n = 2345;
      const insert = `INSERT INTO ${keyspace}.users (login_id, user_name, last_login) VALUES (?, ?, ?)`;
      await cassandra.concurrent.executeConcurrent(
        client,
        insert,
        Array.from({ length: n }, (_, i) => [String(i), `user ${i}`, new Date(Date.UTC(2020, 0, 1) + i * 1000)]),
      );
      const rows: UserRow[] = [];
      await forEachUser(client, keyspace, 'users', (r) => rows.push(r), 500);
      expect(rows.length).toBe(n);
      const byId = new Map(rows.map((r) => [r.login_id, r]));
      expect(byId.get('1234')).toEqual({
        login_id: '1234',
        user_name: 'user 1234',
        last_login: new Date(Date.UTC(2020, 0, 1) + 1234 * 1000),
      });
    } finally {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
      await client.shutdown();
    }
  });
});
