import cassandra from 'cassandra-driver';
import type { CassandraClient } from './client.js';
import type { Stored, TimedUpdate } from '../pipeline/ports.js';

const { types } = cassandra;
const LOCAL_QUORUM = types.consistencies.localQuorum;

/** A consistency level by its CQL name (local_quorum, one, ...), as the driver numbers it. */
export function consistencyCode(name: string): number {
  const key = name
    .toLowerCase()
    .replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()) as keyof typeof types.consistencies;
  const code = types.consistencies[key];
  if (typeof code !== 'number') throw new Error(`unknown consistency ${name}`);
  return code;
}

/**
 * Runs fn over items with at most `limit` in flight. After the first failure no new item is started
 * (the batch will be retried whole): the calls in flight finish, and the failure is thrown.
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  await Promise.all(workers);
  return out;
}

function chunks<T>(items: Iterable<T>, size: number): T[][] {
  const out: T[][] = [];
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      out.push(chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) out.push(chunk);
  return out;
}

/**
 * A driver Long as a BigInt, from its two 32-bit halves: a tenth of the cost of going through its
 * decimal string, which counted once per key read.
 */
export function longToBigInt(l: { high: number; low: number }): bigint {
  return (BigInt(l.high) << 32n) | BigInt(l.low >>> 0);
}

/** A BigInt (64-bit signed) as a driver Long, from its two halves; the way back of longToBigInt. */
export function bigIntToLong(b: bigint): cassandra.types.Long {
  return types.Long.fromBits(Number(BigInt.asIntN(32, b)), Number(BigInt.asIntN(32, b >> 32n)));
}

/** A row's `last_login` and its write time (null when the cell is empty). */
export function storedOf(r: Record<string, unknown>): Stored {
  const last = r.last_login as Date | null;
  const wt = r.wt as cassandra.types.Long | null | undefined;
  return {
    lastLogin: last ? last.getTime() : null,
    writetime: wt === null || wt === undefined ? null : longToBigInt(wt),
  };
}

/**
 * The stored last_login and its write time of the given keys only (IN lists of `chunk` keys,
 * `concurrency` at a time): the join costs what the batch holds, not what the table holds. Keys without
 * a row are absent from the map. Lists of 20 cost Cassandra less per key than lists of 100 (bench
 * --scenario access).
 */
export async function readStored(
  client: CassandraClient,
  keyspace: string,
  table: string,
  ids: Iterable<string>,
  { chunk = 20, concurrency = 16, consistency = LOCAL_QUORUM } = {},
): Promise<Map<string, Stored>> {
  const found = new Map<string, Stored>();
  const query =
    'SELECT login_id, last_login, WRITETIME(last_login) AS wt ' + `FROM ${keyspace}.${table} WHERE login_id IN ?`;
  await mapLimit(chunks(ids, chunk), concurrency, async (keys) => {
    const rs = await client.execute(query, [keys], { prepare: true, consistency, fetchSize: keys.length + 1 });
    for (const r of rs.rows) found.set(String(r.login_id), storedOf(r));
  });
  return found;
}

/** The user_name of a few keys (one IN list): the rows a batch shows. */
export async function readNames(
  client: CassandraClient,
  keyspace: string,
  table: string,
  ids: string[],
  consistency = LOCAL_QUORUM,
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  if (ids.length === 0) return out;
  const rs = await client.execute(`SELECT login_id, user_name FROM ${keyspace}.${table} WHERE login_id IN ?`, [ids], {
    prepare: true,
    consistency,
    fetchSize: ids.length + 1,
  });
  for (const r of rs.rows) out.set(String(r.login_id), (r.user_name as string | null) ?? null);
  return out;
}

/**
 * Sets last_login (and nothing else) with the given write timestamps, in unlogged batches. Batches of
 * 50, 8 at a time, cost Cassandra the least per row of the ways measured (bench --scenario access):
 * a quarter less than batches of 100, and half what single updates cost.
 */
export async function writeUpdates(
  client: CassandraClient,
  keyspace: string,
  table: string,
  updates: TimedUpdate[],
  { batch = 50, concurrency = 8, consistency = LOCAL_QUORUM } = {},
): Promise<void> {
  const query = `UPDATE ${keyspace}.${table} USING TIMESTAMP ? SET last_login = ? WHERE login_id = ?`;
  await mapLimit(chunks(updates, batch), concurrency, async (group) => {
    const params = (u: TimedUpdate) => [bigIntToLong(u.writetime), new Date(u.timeMs), u.id];
    if (group.length === 1) {
      await client.execute(query, params(group[0]!), { prepare: true, consistency });
      return;
    }
    await client.batch(
      group.map((u) => ({ query, params: params(u) })),
      { prepare: true, logged: false, consistency },
    );
  });
}

/** Sets last_login only if it has no value: a lightweight transaction. True when applied. */
export async function setIfNull(
  client: CassandraClient,
  keyspace: string,
  table: string,
  id: string,
  timeMs: number,
  consistency = LOCAL_QUORUM,
): Promise<boolean> {
  const rs = await client.execute(
    `UPDATE ${keyspace}.${table} SET last_login = ? WHERE login_id = ? IF last_login = null`,
    [new Date(timeMs), id],
    { prepare: true, consistency, serialConsistency: types.consistencies.localSerial },
  );
  return rs.wasApplied();
}
