import type { Closable, StoredUser, TimedUpdate, UserStore } from '../pipeline/ports.js';
import { UserError, classify } from '../errors.js';
import { cassandraError, type CassandraClient } from './client.js';
import { mapLimit, readStored, setIfNull, writeUpdates } from './lastlogin.js';
import { shapeDifferences, tableColumns } from './schema.js';

export interface UserTable {
  keyspace: string;
  table: string;
  /** consistency levels (driver codes) of the join's reads and of the writes */
  consistency: { read: number; write: number };
}

/** Lightweight transactions in flight at once. */
const IF_NULL_CONCURRENCY = 16;

/** The users table on Cassandra: the join's reads and the last_login writes. */
export class CassandraUserStore implements UserStore, Closable {
  constructor(private readonly client: CassandraClient, private readonly t: UserTable, private readonly contactPoints: string[]) {}

  /** Before a run: the table exists and has the seed's shape; a one-line error otherwise. */
  async check(): Promise<void> {
    const { keyspace, table } = this.t;
    const columns = await tableColumns(this.client, keyspace, table)
      .catch((err: unknown) => { throw cassandraError(err, this.contactPoints, 'reading the schema'); });
    if (columns.length === 0) throw new UserError(`table ${keyspace}.${table} does not exist`, { hint: 'create it with "loginsync init"' });
    const diffs = shapeDifferences(columns);
    if (diffs.length > 0) throw new UserError(`table ${keyspace}.${table} has another shape: ${diffs.join('; ')}`);
  }

  read(ids: string[]): Promise<Map<string, StoredUser>> {
    return this.explained(readStored(this.client, this.t.keyspace, this.t.table, ids, { consistency: this.t.consistency.read }), 'reading the users');
  }

  update(updates: TimedUpdate[]): Promise<void> {
    return this.explained(writeUpdates(this.client, this.t.keyspace, this.t.table, updates, { consistency: this.t.consistency.write }), 'writing last_login');
  }

  setIfNull(items: Array<{ id: string; timeMs: number }>): Promise<boolean[]> {
    const { keyspace, table, consistency } = this.t;
    return this.explained(mapLimit(items, IF_NULL_CONCURRENCY, (u) => setIfNull(this.client, keyspace, table, u.id, u.timeMs, consistency.write)), 'writing last_login');
  }

  /** A permission the role lacks becomes a one-line error saying which to grant; other failures stay as they are, for the engine to retry or report. */
  private explained<T>(p: Promise<T>, doing: string): Promise<T> {
    return p.catch((err: unknown) => {
      throw classify(err, 'cassandra').kind === 'not-authorized' ? cassandraError(err, this.contactPoints, doing) : err;
    });
  }

  close(): Promise<void> {
    return this.client.shutdown();
  }
}
