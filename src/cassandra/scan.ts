import type { Stored } from '../pipeline/ports.js';
import type { CassandraClient } from './client.js';
import { bigIntToLong, mapLimit, storedOf } from './lastlogin.js';

/** The Murmur3 partitioner's tokens: (MIN, MAX]; it never gives a key the token MIN. */
const MIN_TOKEN = -(2n ** 63n);
const MAX_TOKEN = 2n ** 63n - 1n;

/** A token range (start, end]: the keys whose token is greater than start, up to and including end. */
export type TokenRange = readonly [bigint, bigint];

/** The whole ring cut into `n` consecutive ranges of (nearly) equal width. */
export function tokenRanges(n: number): TokenRange[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`token ranges: ${n} is not a positive whole number`);
  const width = (MAX_TOKEN - MIN_TOKEN) / BigInt(n);
  const out: TokenRange[] = [];
  for (let i = 0; i < n; i++) {
    const start = MIN_TOKEN + width * BigInt(i);
    out.push([start, i === n - 1 ? MAX_TOKEN : start + width]);
  }
  return out;
}

/**
 * `parts` ranges spread evenly around the ring, together `fraction` of it: a sample of the table that
 * does not depend on where its keys cluster (Murmur3 spreads keys evenly over the ring).
 */
export function sampleRanges(fraction: number, parts: number): TokenRange[] {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`sample: ${fraction} is not a fraction of the ring`);
  const each = BigInt(Math.floor((Number(MAX_TOKEN - MIN_TOKEN) * fraction) / parts));
  return tokenRanges(parts).map(([start]) => [start, start + each] as const);
}

export interface ScanOptions {
  /** ranges the ring is cut into, and how many are read at once */
  ranges?: number;
  concurrency?: number;
  consistency?: number;
  /** rows per page */
  fetchSize?: number;
}

/**
 * The stored `last_login` and its write time of the wanted keys, read by scanning the whole table in
 * token ranges (the access Spark's connector uses) and keeping the wanted rows: cheaper for Cassandra
 * than looking each key up when a batch holds a large share of the table. Also returns how many rows
 * the table has, learnt on the way.
 */
export async function scanStored(
  client: CassandraClient,
  keyspace: string,
  table: string,
  wanted: { has(id: string): boolean },
  { ranges = 16, concurrency = 4, consistency, fetchSize = 2000 }: ScanOptions = {},
): Promise<{ found: Map<string, Stored>; rows: number }> {
  const found = new Map<string, Stored>();
  let rows = 0;
  const query =
    'SELECT login_id, last_login, WRITETIME(last_login) AS wt ' +
    `FROM ${keyspace}.${table} WHERE token(login_id) > ? AND token(login_id) <= ?`;
  await mapLimit(tokenRanges(ranges), concurrency, async ([start, end]) => {
    let pageState: string | undefined;
    do {
      const rs = await client.execute(query, [bigIntToLong(start), bigIntToLong(end)], {
        prepare: true,
        fetchSize,
        ...(consistency !== undefined ? { consistency } : {}),
        ...(pageState ? { pageState } : {}),
      });
      rows += rs.rows.length;
      for (const r of rs.rows) {
        const id = String(r.login_id);
        if (wanted.has(id)) found.set(id, storedOf(r));
      }
      pageState = rs.pageState ?? undefined;
    } while (pageState);
  });
  return { found, rows };
}

/**
 * An estimate of the table's rows from a count of a sample of the ring (`fraction` of it in `parts`
 * ranges): cheap next to a scan, and right from the first second after a load, unlike
 * system.size_estimates, which Cassandra refreshes every few minutes.
 */
export async function estimateRows(
  client: CassandraClient,
  keyspace: string,
  table: string,
  { fraction = 1 / 64, parts = 8, consistency }: { fraction?: number; parts?: number; consistency?: number } = {},
): Promise<number> {
  const query = `SELECT COUNT(*) AS n FROM ${keyspace}.${table} WHERE token(login_id) > ? AND token(login_id) <= ?`;
  const counts = await mapLimit(sampleRanges(fraction, parts), parts, async ([start, end]) => {
    const rs = await client.execute(query, [bigIntToLong(start), bigIntToLong(end)], {
      prepare: true,
      ...(consistency !== undefined ? { consistency } : {}),
    });
    return Number((rs.first()?.n as { toString(): string } | undefined)?.toString() ?? 0);
  });
  return Math.round(counts.reduce((a, b) => a + b, 0) / fraction);
}
