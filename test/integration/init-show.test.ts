import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { connectCassandra, type CassandraClient } from '../../src/cassandra/client.js';
import kafkajs from 'kafkajs';
import { createKafka } from '../../src/kafka/client.js';
import { names } from '../support/names.js';
import { runCli } from '../support/cli.js';

const { ConfigResourceTypes } = kafkajs;

let client: CassandraClient;
beforeAll(async () => {
  client = await connectCassandra({ contactPoints: [inject('cassandra')], localDc: 'datacenter1' });
});
afterAll(async () => {
  await client?.shutdown();
});

describe('loginsync init', () => {
  it('creates keyspace, table and topic, then reports them as existing', async () => {
    const { keyspace, topic } = names();
    const first = await runCli(['init', '-k', keyspace, '-t', topic, '--partitions', '2', '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      keyspace: { name: keyspace, result: 'created' },
      table: { name: `${keyspace}.users`, result: 'created' },
      topic: { name: topic, result: 'created' },
    });
    const cols = await client.execute(
      'SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
      [keyspace, 'users'],
    );
    expect(cols.rows.map((r) => `${r.column_name} ${r.type} ${r.kind}`).sort()).toEqual([
      'last_login timestamp regular',
      'login_id text partition_key',
      'user_name text regular',
    ]);
    // writes acknowledged by min(2, replicas) replicas: here one
    const admin = createKafka({ brokers: [inject('brokers')] }).admin();
    await admin.connect();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
    });
    await admin.disconnect();
    expect(resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('1');

    const second = await runCli(['init', '-k', keyspace, '-t', topic]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`keyspace ${keyspace}: exists`));
    expect(second.stdout).toMatch(/table +\S+\.users: exists/);
    expect(second.stdout).toMatch(new RegExp(`topic +${topic}: exists`));
  });

  it('refuses a table of another shape and says what differs', async () => {
    const { keyspace, topic } = names();
    await client.execute(
      `CREATE KEYSPACE ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await client.execute(`CREATE TABLE ${keyspace}.users (login_id text PRIMARY KEY, last_login text)`);
    const r = await runCli(['init', '-k', keyspace, '-t', topic]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`table ${keyspace}.users exists with another shape`);
    expect(r.stderr).toContain('column user_name is missing');
    expect(r.stderr).toContain('column last_login is text, expected timestamp');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('creates a NetworkTopologyStrategy keyspace when asked', async () => {
    const { keyspace, topic } = names();
    const r = await runCli([
      'init',
      '-k',
      keyspace,
      '-t',
      topic,
      '--replication',
      'NetworkTopologyStrategy:datacenter1=1',
    ]);
    expect(r.code).toBe(0);
    const ks = await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [
      keyspace,
    ]);
    expect(ks.rows[0]?.replication).toMatchObject({
      class: 'org.apache.cassandra.locator.NetworkTopologyStrategy',
      datacenter1: '1',
    });
  });
});

describe('loginsync show users', () => {
  it('prints an empty table for a new keyspace', async () => {
    const { keyspace, topic } = names();
    expect((await runCli(['init', '-k', keyspace, '-t', topic])).code).toBe(0);
    const r = await runCli(['show', 'users', '-k', keyspace]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('login_id');
    expect(r.stdout).not.toMatch(/1000\d\d/);
    expect(r.stderr).toContain('0 rows');
    const j = await runCli(['show', 'users', '-k', keyspace, '--json']);
    expect(JSON.parse(j.stdout)).toEqual([]);
  });

  it('prints rows sorted by login_id, in both forms, and pages with --limit', async () => {
    const { keyspace, topic } = names();
    expect((await runCli(['init', '-k', keyspace, '-t', topic])).code).toBe(0);
    // written by hand as seed 000 does, plus one without a last_login
    await client.execute(
      `INSERT INTO ${keyspace}.users (login_id, user_name, last_login) VALUES ('100087', 'Osman', '2019-06-12 09:43:00+0000')`,
    );
    await client.execute(
      `INSERT INTO ${keyspace}.users (login_id, user_name, last_login) VALUES ('100001', 'Enes', '2019-02-05 10:05:00+0000')`,
    );
    await client.execute(
      `INSERT INTO ${keyspace}.users (login_id, user_name, last_login) VALUES ('100009', 'Dilara', '2019-03-07 11:03:00+0000')`,
    );
    await client.execute(`INSERT INTO ${keyspace}.users (login_id, user_name) VALUES ('100100', 'Nobody')`);

    const table = await runCli(['show', 'users', '-k', keyspace]);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n').filter((l) => /\d{6}/.test(l));
    expect(lines.map((l) => l.match(/\d{6}/)?.[0])).toEqual(['100001', '100009', '100087', '100100']);
    expect(lines[0]).toMatch(/100001 +│ Enes +│ 2019-02-05 10:05:00/);
    expect(lines[3]).toMatch(/100100 +│ Nobody +│ null/);

    const json = await runCli(['show', 'users', '-k', keyspace, '--json']);
    expect(JSON.parse(json.stdout)).toEqual([
      { login_id: '100001', user_name: 'Enes', last_login: '2019-02-05T10:05:00.000Z' },
      { login_id: '100009', user_name: 'Dilara', last_login: '2019-03-07T11:03:00.000Z' },
      { login_id: '100087', user_name: 'Osman', last_login: '2019-06-12T09:43:00.000Z' },
      { login_id: '100100', user_name: 'Nobody', last_login: null },
    ]);

    const limited = await runCli(['show', 'users', '-k', keyspace, '--limit', '2', '--json']);
    expect(JSON.parse(limited.stdout).map((u: { login_id: string }) => u.login_id)).toEqual(['100001', '100009']);
    const limitedTable = await runCli(['show', 'users', '-k', keyspace, '--limit', '2']);
    expect(limitedTable.stderr).toContain('only showing 2 of 4 rows');

    const all = await runCli(['show', 'users', '-k', keyspace, '--limit', '0', '--json']);
    const ids = (JSON.parse(all.stdout) as Array<{ login_id: string }>).map((u) => u.login_id).sort();
    expect(ids).toEqual(['100001', '100009', '100087', '100100']);
  });

  it('says to run init when the table is missing', async () => {
    const { keyspace } = names();
    const r = await runCli(['show', 'users', '-k', keyspace]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`table ${keyspace}.users does not exist`);
    expect(r.stderr).toContain('loginsync init');
  });
});
