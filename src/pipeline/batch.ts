import type { CassandraClient } from '../cassandra/client.js';
import { mapLimit, readStored, setIfNull, writeUpdates, type TimedUpdate, type StoredUser } from '../cassandra/lastlogin.js';
import type { Collapsed } from './collapse.js';
import type { DecodeOptions } from './decode.js';
import { record, toJson, type Histogram } from './histogram.js';
import type { PendingBatch } from './pending.js';
import { decide } from './plan.js';
import { deadLetterMessages, type SideTopic } from './sink.js';

export interface BatchDeps {
  cassandra: CassandraClient;
  keyspace: string;
  table: string;
  topic: string;
  decode: DecodeOptions;
  dlq: SideTopic | null;
  unmatched: SideTopic | null;
  /** Cassandra consistency levels (driver codes) of the join's reads and of the writes */
  consistency: { read: number; write: number };
}

export interface WrittenRow {
  login_id: string;
  user_name: string | null;
  last_login: number;
}

export interface BatchResult {
  /** per partition: first and last offset */
  offsets: Map<number, [number, number]>;
  input: number;
  malformed: number;
  unmatched: number;
  stale: number;
  written: number;
  distinct: number;
  /** the rows written, for display (the first `showRows`) */
  rows: WrittenRow[];
  /** fetch: from the batch opening to its processing; decode is the part of it spent decoding */
  durationMs: { fetch: number; decode: number; join: number; write: number; sideOutputs: number };
  /** reasons of malformed records, counted */
  reasons: Map<string, number>;
  /** Kafka record timestamp -> writes acknowledged, per record */
  latency: Histogram;
}

const now = () => performance.now();

/**
 * One micro-batch, already decoded and collapsed while it was fetched: join (read only its ids) ->
 * write -> dead letters and unmatched events. Idempotent: running it again on the same batch changes
 * nothing more (the write rule), so a failed batch is simply run again.
 */
export async function processBatch(batch: PendingBatch, deps: BatchDeps, showRows = 20): Promise<BatchResult> {
  const t1 = now();
  const collapsed = batch.collapsed;
  const read = { consistency: deps.consistency.read };
  const write = { consistency: deps.consistency.write };
  const stored = await readStored(deps.cassandra, deps.keyspace, deps.table, [...collapsed.keys()], read);
  const t2 = now();

  let unmatched = 0;
  let stale = 0;
  let written = 0;
  const unmatchedIds: string[] = [];
  const updates: TimedUpdate[] = [];
  let ifNull: Collapsed[] = [];
  const rows: WrittenRow[] = [];
  const show = (c: Collapsed, s: StoredUser | undefined) => {
    if (rows.length < showRows) rows.push({ login_id: c.id, user_name: s?.userName ?? null, last_login: c.timeMs });
  };
  // sorts one key's decision into the counts and the work lists
  const plan = (c: Collapsed, s: StoredUser | undefined, moreUpdates: TimedUpdate[], nextIfNull: Collapsed[]) => {
    if (s === undefined) {
      unmatched += c.count;
      unmatchedIds.push(c.id);
      return;
    }
    const d = decide(c, s);
    if (d.action === 'stale') stale += c.count;
    else if (d.action === 'update') {
      moreUpdates.push({ id: c.id, timeMs: c.timeMs, writetime: d.writetime });
      written++;
      stale += c.count - 1;
      show(c, s);
    } else nextIfNull.push(c);
  };
  for (const c of collapsed.values()) plan(c, stored.get(c.id), updates, ifNull);
  await writeUpdates(deps.cassandra, deps.keyspace, deps.table, updates, write);
  // cells with no value: a lightweight transaction each; one that loses a race is read and planned again
  for (let round = 0; ifNull.length > 0; round++) {
    const lost: Collapsed[] = [];
    const applied = await mapLimit(ifNull, 16, (c) => setIfNull(deps.cassandra, deps.keyspace, deps.table, c.id, c.timeMs, write.consistency));
    ifNull.forEach((c, i) => {
      if (applied[i]) {
        written++;
        stale += c.count - 1;
        show(c, stored.get(c.id));
      } else lost.push(c);
    });
    if (lost.length === 0) break;
    if (round >= 10) throw new Error(`last_login of ${lost.length} users kept changing during the write; the batch will be retried`);
    const again = await readStored(deps.cassandra, deps.keyspace, deps.table, lost.map((c) => c.id), read);
    const moreUpdates: TimedUpdate[] = [];
    ifNull = [];
    for (const c of lost) plan(c, again.get(c.id), moreUpdates, ifNull);
    await writeUpdates(deps.cassandra, deps.keyspace, deps.table, moreUpdates, write);
  }
  const acked = Date.now();
  const t3 = now();

  if (deps.dlq) await deps.dlq.send(deadLetterMessages(deps.topic, batch.dead));
  if (deps.unmatched && batch.raws && unmatchedIds.length > 0) {
    await deps.unmatched.send(unmatchedIds.flatMap((id) => batch.raws!.get(id) ?? []));
  }
  const t4 = now();

  const hist = new Map<number, number>();
  for (const ts of batch.timestamps()) record(hist, acked - ts);

  return {
    offsets: batch.offsets, input: batch.records, malformed: batch.dead.length, unmatched, stale, written,
    distinct: collapsed.size, rows,
    durationMs: { fetch: t1 - batch.openedAt, decode: batch.decodeMs, join: t2 - t1, write: t3 - t2, sideOutputs: t4 - t3 },
    reasons: batch.reasons,
    latency: toJson(hist),
  };
}
