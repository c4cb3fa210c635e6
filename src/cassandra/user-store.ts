import type { Closable, JoinRead, Keys, Stored, TimedUpdate, UserStore } from '../pipeline/ports.js';
import { UserError, classify, isSchemaError } from '../errors.js';
import { cassandraError, type CassandraClient } from './client.js';
import { JoinPlanner, type JoinStrategy } from './join-way.js';
import { mapLimit, readNames, readStored, setIfNull, writeUpdates } from './lastlogin.js';
import { estimateRows, scanStored } from './scan.js';
import { shapeDifferences, tableColumns } from './schema.js';
import { schemaGone } from './schema-gone.js';

export interface UserTable {
  keyspace: string;
  table: string;
  /** consistency levels (driver codes) of the join's reads and of the writes */
  consistency: { read: number; write: number };
  /** how the join reads a batch's users (default auto: a scan when the batch holds a large share of the table) */
  joinStrategy?: JoinStrategy;
}

/** Lightweight transactions in flight at once. */
const IF_NULL_CONCURRENCY = 16;

/** The users table on Cassandra: the join's reads and the last_login writes. */
export class CassandraUserStore implements UserStore, Closable {
  private readonly planner: JoinPlanner;

  constructor(
    private readonly client: CassandraClient,
    private readonly t: UserTable,
    private readonly contactPoints: string[],
  ) {
    this.planner = new JoinPlanner(t.joinStrategy ?? 'auto');
  }

  /** Before a run: the table exists and has the seed's shape; a one-line error otherwise. */
  async check(): Promise<void> {
    const { keyspace, table } = this.t;
    const columns = await tableColumns(this.client, keyspace, table).catch((err: unknown) => {
      throw cassandraError(err, this.contactPoints, 'reading the schema');
    });
    if (columns.length === 0)
      throw new UserError(`table ${keyspace}.${table} does not exist`, { hint: 'create it with "loginsync init"' });
    const diffs = shapeDifferences(columns);
    if (diffs.length > 0) throw new UserError(`table ${keyspace}.${table} has another shape: ${diffs.join('; ')}`);
  }

  read(ids: Keys): Promise<JoinRead> {
    return this.explained(this.join(ids), 'reading the users');
  }

  /** By key, or, when the batch holds a large share of the table, by one scan of it in token ranges. */
  private async join(ids: Keys): Promise<JoinRead> {
    const { keyspace, table, consistency } = this.t;
    await this.estimateFor(ids.size);
    if (this.planner.choose(ids.size) === 'lookup')
      return {
        found: await readStored(this.client, keyspace, table, ids.keys(), { consistency: consistency.read }),
        via: 'lookup',
      };
    const { found, rows } = await scanStored(this.client, keyspace, table, ids, { consistency: consistency.read });
    this.planner.learn(rows);
    return { found, via: 'scan' };
  }

  async scanFrom(keys: number): Promise<number> {
    await this.explained(this.estimateFor(keys), 'estimating the users table');
    return this.planner.scanFrom();
  }

  /** What the table holds, when a batch of `keys` keys needs it known to choose its way (and it is not). */
  private async estimateFor(keys: number): Promise<void> {
    const { keyspace, table, consistency } = this.t;
    if (this.planner.needsEstimate(keys))
      this.planner.learn(await estimateRows(this.client, keyspace, table, { consistency: consistency.read }));
  }

  lookup(ids: string[]): Promise<Map<string, Stored>> {
    const { keyspace, table, consistency } = this.t;
    return this.explained(
      readStored(this.client, keyspace, table, ids, { consistency: consistency.read }),
      'reading the users',
    );
  }

  names(ids: string[]): Promise<Map<string, string | null>> {
    return this.explained(
      readNames(this.client, this.t.keyspace, this.t.table, ids, this.t.consistency.read),
      'reading the users',
    );
  }

  update(updates: TimedUpdate[]): Promise<void> {
    return this.explained(
      writeUpdates(this.client, this.t.keyspace, this.t.table, updates, { consistency: this.t.consistency.write }),
      'writing last_login',
    );
  }

  setIfNull(items: Array<{ id: string; timeMs: number }>): Promise<boolean[]> {
    const { keyspace, table, consistency } = this.t;
    return this.explained(
      mapLimit(items, IF_NULL_CONCURRENCY, (u) =>
        setIfNull(this.client, keyspace, table, u.id, u.timeMs, consistency.write),
      ),
      'writing last_login',
    );
  }

  /**
   * A permission the role lacks becomes a one-line error saying which to grant; other failures stay as they are, for
   * the engine to retry or report.
   */
  private explained<T>(p: Promise<T>, doing: string): Promise<T> {
    return p.catch(async (err: unknown) => {
      if (isSchemaError(err)) throw await this.schemaFailure(err);
      throw classify(err, 'cassandra').kind === 'not-authorized' ? cassandraError(err, this.contactPoints, doing) : err;
    });
  }

  /**
   * A statement refused for want of its schema: the driver's prepared statements are forgotten (they name
   * a table that is gone, and would be refused after it is made again), and what is missing is named.
   */
  private async schemaFailure(err: unknown): Promise<unknown> {
    this.client.metadata.clearPrepared();
    const gone = await schemaGone(this.client, this.t.keyspace, this.t.table).catch(() => undefined);
    if (gone === undefined) return err;
    return Object.assign(gone, { cause: err });
  }

  close(): Promise<void> {
    return this.client.shutdown();
  }
}
