import { Command } from 'commander';
import { parseReplication, ensureKeyspace, ensureUsersTable, type Replication } from '../cassandra/schema.js';
import { cassandraError } from '../cassandra/client.js';
import { openCassandra, openKafkaAdmin } from '../config/connect.js';
import { declareSettings } from '../config/declare.js';
import { UsageError } from '../errors.js';
import { ensureTopic, replicated } from '../kafka/admin.js';
import { kafkaError } from '../kafka/client.js';
import { c, out, printJson } from '../ui/output.js';
import { commandSettings } from './settings.js';

export function initCommand(): Command {
  const cmd = new Command('init').description(
    'create the keyspace, the users table and the topic (each only if missing)',
  );
  declareSettings(cmd, 'init');
  cmd.addHelpText(
    'after',
    `
Idempotent: what exists is reported as "exists" and left as it is. An existing table of another shape
than users(login_id text PRIMARY KEY, user_name text, last_login timestamp) is an error.`,
  );
  return cmd.action(async (_opts: unknown, command: Command) => {
    const { settings: s, sources, origins } = commandSettings(command, 'init');
    if (s.replication !== undefined && sources.keyspaceReplication !== 'default') {
      throw new UsageError(`give --replication or ${origins.keyspaceReplication}, not both`);
    }
    const replication: Replication =
      s.replication !== undefined
        ? parseReplication(s.replication)
        : { class: 'SimpleStrategy', replicationFactor: s.keyspaceReplication };
    const { partitions, topicReplication } = s;

    const done: Record<string, string> = {};
    const client = await openCassandra(s);
    try {
      done.keyspace = await ensureKeyspace(client, s.keyspace, replication);
      done.table = await ensureUsersTable(client, s.keyspace, s.table);
    } catch (err) {
      throw cassandraError(err, s.cassandra, 'creating the schema');
    } finally {
      await client.shutdown();
    }
    const admin = await openKafkaAdmin(s);
    try {
      done.topic = await ensureTopic(admin, { topic: s.topic, partitions, ...replicated(topicReplication) });
    } catch (err) {
      throw kafkaError(err, s.brokers, `creating topic ${s.topic}`);
    } finally {
      await admin.disconnect();
    }
    if (s.json) {
      printJson({
        keyspace: { name: s.keyspace, result: done.keyspace },
        table: { name: `${s.keyspace}.${s.table}`, result: done.table },
        topic: { name: s.topic, result: done.topic },
      });
      return;
    }
    const mark = (r: string | undefined) => (r === 'created' ? c.green('created') : c.dim('exists'));
    out(`keyspace ${s.keyspace}: ${mark(done.keyspace)}`);
    out(`table    ${s.keyspace}.${s.table}: ${mark(done.table)}`);
    out(`topic    ${s.topic}: ${mark(done.topic)}`);
  });
}
