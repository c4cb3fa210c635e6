import { Command } from 'commander';
import { parseReplication, ensureKeyspace, ensureUsersTable, type Replication } from '../cassandra/schema.js';
import { cassandraError } from '../cassandra/client.js';
import { openCassandra, openKafkaAdmin } from '../config/connect.js';
import { withConnectionOptions } from '../config/settings.js';
import { parsePositiveInt } from '../config/validate.js';
import { UsageError } from '../errors.js';
import { ensureTopic, replicated } from '../kafka/admin.js';
import { kafkaError } from '../kafka/client.js';
import { c, out, printJson } from '../ui/output.js';
import { commandSettings } from './settings.js';

interface InitOptions {
  replicationFactor?: string;
  replication?: string;
  partitions: string;
  topicReplication: string;
  json?: boolean;
}

export function initCommand(): Command {
  const cmd = new Command('init')
    .description('create the keyspace, the users table and the topic (each only if missing)')
    .option('--replication-factor <n>', 'SimpleStrategy replication factor of a new keyspace (default: 1)')
    .option('--replication <spec>', "replication of a new keyspace, e.g. 'NetworkTopologyStrategy:dc1=3,dc2=3'")
    .option('--partitions <n>', 'partitions of a new topic', '1')
    .option('--topic-replication <n>', 'replication factor of a new topic', '1')
    .option('--json', 'print what was done as JSON');
  withConnectionOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Idempotent: what exists is reported as "exists" and left as it is. An existing table of another shape
than users(login_id text PRIMARY KEY, user_name text, last_login timestamp) is an error.`,
  );
  return cmd.action(async (opts: InitOptions, command: Command) => {
    const { settings: s } = commandSettings(command);
    if (opts.replication !== undefined && opts.replicationFactor !== undefined) {
      throw new UsageError('give --replication or --replication-factor, not both');
    }
    const replication: Replication =
      opts.replication !== undefined
        ? parseReplication(opts.replication)
        : {
            class: 'SimpleStrategy',
            replicationFactor: parsePositiveInt(opts.replicationFactor ?? '1', '--replication-factor'),
          };
    const partitions = parsePositiveInt(opts.partitions, '--partitions');
    const topicReplication = parsePositiveInt(opts.topicReplication, '--topic-replication', { max: 32767 });

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
    if (opts.json) {
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
