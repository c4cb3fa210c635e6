// What went away when Cassandra refuses the run's statements for want of their schema, found by asking
// its schema tables, and what makes it again: the keyspace, the table, or a column.
import { SchemaGone } from '../errors.js';
import type { CassandraClient } from './client.js';
import { tableColumns, USERS_COLUMNS } from './schema.js';

const GOES_ON = 'the run goes on by itself once it is back';

/** The keyspace, the table or a column of the users table missing or retyped; undefined when all is there. */
export async function schemaGone(
  client: CassandraClient,
  keyspace: string,
  table: string,
): Promise<SchemaGone | undefined> {
  const columns = await tableColumns(client, keyspace, table);
  if (columns.length === 0) {
    const ks = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [
      keyspace,
    ]);
    const make = `loginsync init -k ${keyspace} --table ${table}`;
    if (ks.rowLength === 0)
      return new SchemaGone(`keyspace ${keyspace} does not exist (dropped under the run)`, {
        hint: `make it again: ${make} --keyspace-replication N, then restore its users; ${GOES_ON}`,
      });
    return new SchemaGone(`table ${keyspace}.${table} does not exist (dropped under the run)`, {
      hint: `make it again: ${make}, then restore its users; ${GOES_ON}`,
    });
  }
  const byName = new Map(columns.map((c) => [c.name, c.type]));
  const wrong = USERS_COLUMNS.filter((c) => byName.get(c.name) !== c.type && c.kind === 'regular');
  if (wrong.length === 0) return undefined;
  const missing = wrong.filter((c) => !byName.has(c.name));
  // a column of another type cannot be made again in place (Cassandra refuses to re-add a dropped column
  // with another type, and dropping it loses its data): the table is restored, or another one made
  const fix =
    missing.length === wrong.length
      ? missing.map((c) => `ALTER TABLE ${keyspace}.${table} ADD ${c.name} ${c.type}`).join('; ')
      : `restore ${keyspace}.${table} from a backup, or make another table (loginsync init -k ${keyspace} --table NEW) and run with --table NEW`;
  const what = wrong.map((c) => (byName.has(c.name) ? `${c.name} is ${byName.get(c.name)}` : `${c.name} is missing`));
  return new SchemaGone(`table ${keyspace}.${table}: column ${what.join(', ')}`, { hint: `${fix}; ${GOES_ON}` });
}
