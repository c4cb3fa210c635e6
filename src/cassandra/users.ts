import { isRetriable } from '../errors.js';
import { backoff, retry } from '../util/retry.js';
import type { CassandraClient } from './client.js';

export interface UserRow {
  login_id: string;
  user_name: string | null;
  last_login: Date | null;
}

/**
 * Pages through the users table (fetchSize rows at a time), calling onRow for each. Memory stays
 * bounded by the page, whatever the table's size. Rows come in Cassandra's token order.
 */
export async function forEachUser(
  client: CassandraClient,
  keyspace: string,
  table: string,
  onRow: (row: UserRow) => void,
  fetchSize = 5000,
  afterPage?: () => Promise<void> | undefined,
): Promise<void> {
  let pageState: string | undefined;
  do {
    const rs = await client.execute(`SELECT login_id, user_name, last_login FROM ${keyspace}.${table}`, [], {
      prepare: true,
      fetchSize,
      ...(pageState ? { pageState } : {}),
    });
    for (const r of rs.rows) {
      onRow({
        login_id: String(r.login_id),
        user_name: (r.user_name as string | null) ?? null,
        last_login: (r.last_login as Date | null) ?? null,
      });
    }
    pageState = rs.pageState ?? undefined;
    await afterPage?.();
  } while (pageState);
}

/**
 * Keeps the `limit` smallest rows by login_id while rows stream past: memory O(limit), not O(table).
 */
export class SmallestRows {
  private rows: UserRow[] = [];
  seen = 0;

  constructor(private readonly limit: number) {}

  add(row: UserRow): void {
    this.seen++;
    this.rows.push(row);
    if (this.rows.length >= 2 * this.limit + 1024) this.trim();
  }

  private trim(): void {
    this.rows.sort(compareUsers);
    this.rows.length = Math.min(this.rows.length, this.limit);
  }

  result(): UserRow[] {
    this.trim();
    return this.rows;
  }
}

export function compareUsers(a: UserRow, b: UserRow): number {
  return a.login_id < b.login_id ? -1 : a.login_id > b.login_id ? 1 : 0;
}

/**
 * Inserts users as a plain CQL INSERT does (default write time), in unlogged batches of `batch` rows,
 * `concurrency` batches in flight. onProgress gets the number written so far. A batch that times out or
 * finds too few replicas (a busy or restarting node) is sent again, for up to a minute: an INSERT of the
 * same values twice leaves the same row.
 */
export async function insertUsers(
  client: CassandraClient,
  keyspace: string,
  table: string,
  users: Iterable<{ login_id: string; user_name: string | null; last_login: number | null }>,
  {
    batch = 100,
    concurrency = 8,
    onProgress,
    consistency,
  }: { batch?: number; concurrency?: number; onProgress?: (n: number) => void; consistency?: number } = {},
): Promise<number> {
  const query = `INSERT INTO ${keyspace}.${table} (login_id, user_name, last_login) VALUES (?, ?, ?)`;
  let written = 0;
  const inFlight = new Set<Promise<void>>();
  let group: Array<{ query: string; params: unknown[] }> = [];
  const flush = async (g: typeof group) => {
    await retry(
      () => client.batch(g, { prepare: true, logged: false, ...(consistency !== undefined ? { consistency } : {}) }),
      { retriable: isRetriable, delayMs: backoff(200, 5000), deadlineMs: 60_000 },
    );
    written += g.length;
    onProgress?.(written);
  };
  for (const u of users) {
    group.push({ query, params: [u.login_id, u.user_name, u.last_login === null ? null : new Date(u.last_login)] });
    if (group.length >= batch) {
      const p = flush(group).finally(() => inFlight.delete(p));
      inFlight.add(p);
      group = [];
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
  }
  if (group.length > 0) {
    const p = flush(group).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return written;
}
