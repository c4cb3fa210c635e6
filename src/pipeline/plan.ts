/**
 * The write rule: last_login never moves backwards.
 *
 * Cassandra keeps, of two writes of a cell, the one with the higher write timestamp; on equal
 * timestamps, the one whose serialized value is larger as unsigned bytes. A `timestamp` value is a
 * big-endian signed 64-bit count of milliseconds, so among times from 1970 on, and among times before
 * 1970, the larger bytes are the later time; only across the two (a negative value has its top bit set)
 * the order flips.
 *
 * So loginsync writes last_login with the write timestamp the cell already has (read in the join, with
 * the value): all its writes of a cell then tie, and the tie keeps the later time, whatever order they
 * land in and however many `run` processes race. A plain CQL INSERT by someone else is just the write
 * that set that timestamp. An event older than (or equal to) the stored value is not written at all.
 * Where the tie would pick wrongly, a time from 1970 on replacing a stored time before 1970, the write
 * uses the stored timestamp + 1 so it wins outright; any racing write of a pre-1970 time still uses the
 * stored timestamp and loses, as it should, and racing post-1970 writes tie at +1 and the later wins.
 * A cell with no value has no timestamp to share: it is set with a lightweight transaction
 * (`IF last_login = null`), and if that loses a race the key is read again and planned anew.
 */

import type { Collapsed } from './collapse.js';
import type { Stored, TimedUpdate } from './ports.js';

export interface Candidate {
  id: string;
  timeMs: number;
}

export type Decision =
  | { action: 'update'; id: string; timeMs: number; writetime: bigint }
  | { action: 'set-if-null'; id: string; timeMs: number }
  | { action: 'stale'; id: string; timeMs: number; stored: number };

export function decide(c: Candidate, s: Stored): Decision {
  if (s.lastLogin === null || s.writetime === null) return { action: 'set-if-null', id: c.id, timeMs: c.timeMs };
  if (c.timeMs <= s.lastLogin) return { action: 'stale', id: c.id, timeMs: c.timeMs, stored: s.lastLogin };
  const crossesEpoch = s.lastLogin < 0 && c.timeMs >= 0;
  return { action: 'update', id: c.id, timeMs: c.timeMs, writetime: crossesEpoch ? s.writetime + 1n : s.writetime };
}

/** Simulates Cassandra's reconciliation of two writes of one cell: the winner. For tests and reasoning. */
export function reconcile(
  a: { ts: bigint; value: number },
  b: { ts: bigint; value: number },
): { ts: bigint; value: number } {
  if (a.ts !== b.ts) return a.ts > b.ts ? a : b;
  return unsignedBytes(a.value) >= unsignedBytes(b.value) ? a : b;
}

function unsignedBytes(ms: number): bigint {
  return BigInt.asUintN(64, BigInt(ms));
}

/** The writes one batch needs, planned from its collapsed events and the stored rows they join. */
export interface WritePlan {
  /** updates that share the stored write timestamp (or beat a pre-1970 value by one) */
  updates: TimedUpdate[];
  /** cells with no value: a lightweight transaction each */
  ifNull: Collapsed[];
  /** ids with no row in the table */
  unmatchedIds: string[];
  /** events of ids with no row */
  unmatched: number;
  /** events not written: older than the stored value, or collapsed into a newer event of their id */
  stale: number;
  /** rows to update (the set-if-null ones are counted when they apply) */
  written: number;
}

/**
 * The write rule over a whole batch: per collapsed id, unmatched (no row), stale (not newer), an
 * update with the stored write timestamp, or a set-if-null. Pure: the caller reads and writes.
 */
export function planWrites(batch: Iterable<Collapsed>, stored: (id: string) => Stored | undefined): WritePlan {
  const plan: WritePlan = { updates: [], ifNull: [], unmatchedIds: [], unmatched: 0, stale: 0, written: 0 };
  for (const c of batch) {
    const s = stored(c.id);
    if (s === undefined) {
      plan.unmatched += c.count;
      plan.unmatchedIds.push(c.id);
      continue;
    }
    const d = decide(c, s);
    if (d.action === 'stale') plan.stale += c.count;
    else if (d.action === 'update') {
      plan.updates.push({ id: c.id, timeMs: c.timeMs, writetime: d.writetime });
      plan.written++;
      plan.stale += c.count - 1;
    } else plan.ifNull.push(c);
  }
  return plan;
}
