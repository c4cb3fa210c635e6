import type { CassandraClient } from '../cassandra/client.js';
import { readStored, setIfNull, writeUpdates, type TimedUpdate, type StoredUser } from '../cassandra/lastlogin.js';
import { collapse, type Collapsed, type LoginEvent } from './collapse.js';
import { decode, type DecodeOptions } from './decode.js';
import { decide } from './plan.js';
import { deadLetterMessages, type DeadLetter, type SideTopic } from './sink.js';
import type { SourceRecord } from './source.js';

export interface BatchDeps {
  cassandra: CassandraClient;
  keyspace: string;
  table: string;
  topic: string;
  decode: DecodeOptions;
  dlq: SideTopic | null;
  unmatched: SideTopic | null;
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
  /** the rows written, for display (first `showRows`) */
  rows: WrittenRow[];
  durationMs: { decode: number; join: number; write: number; sideOutputs: number };
  /** reasons of malformed records, counted */
  reasons: Map<string, number>;
}

const now = () => performance.now();

/**
 * One micro-batch: decode -> collapse -> join -> write, plus the dead letters and unmatched events.
 * Idempotent: running it again on the same records changes nothing more (the write rule), so a failed
 * batch is simply run again.
 */
export async function processBatch(parts: SourceRecord[][], deps: BatchDeps, showRows = 20): Promise<BatchResult> {
  const t0 = now();
  const offsets = new Map<number, [number, number]>();
  const events: LoginEvent[] = [];
  const dead: DeadLetter[] = [];
  const reasons = new Map<string, number>();
  let input = 0;
  for (const records of parts) {
    if (records.length === 0) continue;
    offsets.set(records[0]!.partition, [records[0]!.offset, records[records.length - 1]!.offset]);
    input += records.length;
    for (const r of records) {
      const d = decode(r.value, deps.decode);
      if (d.ok) events.push({ id: d.id, timeMs: d.timeMs, partition: r.partition, offset: r.offset });
      else {
        dead.push({ record: r, reason: d.reason });
        reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
      }
    }
  }
  const collapsed = collapse(events);
  const t1 = now();

  const stored = await readStored(deps.cassandra, deps.keyspace, deps.table, [...collapsed.keys()]);
  const t2 = now();

  let unmatched = 0;
  let stale = 0;
  let written = 0;
  const unmatchedIds = new Set<string>();
  const updates: TimedUpdate[] = [];
  const ifNull: Collapsed[] = [];
  const rows: WrittenRow[] = [];
  const show = (c: Collapsed, s: StoredUser | undefined) => {
    if (rows.length < showRows) rows.push({ login_id: c.id, user_name: s?.userName ?? null, last_login: c.timeMs });
  };
  for (const c of collapsed.values()) {
    const s = stored.get(c.id);
    if (s === undefined) {
      unmatched += c.count;
      unmatchedIds.add(c.id);
      continue;
    }
    const d = decide(c, s);
    if (d.action === 'stale') stale += c.count;
    else if (d.action === 'update') {
      updates.push({ id: c.id, timeMs: c.timeMs, writetime: d.writetime });
      written++;
      stale += c.count - 1;
      show(c, s);
    } else {
      ifNull.push(c);
    }
  }
  await writeUpdates(deps.cassandra, deps.keyspace, deps.table, updates);
  // cells with no value: a lightweight transaction each; one that loses a race is read and planned again
  for (let pending = ifNull, round = 0; pending.length > 0; round++) {
    const retry: Collapsed[] = [];
    for (const c of pending) {
      if (await setIfNull(deps.cassandra, deps.keyspace, deps.table, c.id, c.timeMs)) {
        written++;
        stale += c.count - 1;
        show(c, stored.get(c.id));
      } else retry.push(c);
    }
    if (retry.length === 0) break;
    if (round >= 10) throw new Error(`last_login of ${retry.length} users kept changing during the write; the batch will be retried`);
    const again = await readStored(deps.cassandra, deps.keyspace, deps.table, retry.map((c) => c.id));
    const next: Collapsed[] = [];
    const moreUpdates: TimedUpdate[] = [];
    for (const c of retry) {
      const s = again.get(c.id);
      if (s === undefined) { unmatched += c.count; unmatchedIds.add(c.id); continue; }
      const d = decide(c, s);
      if (d.action === 'stale') stale += c.count;
      else if (d.action === 'update') {
        moreUpdates.push({ id: c.id, timeMs: c.timeMs, writetime: d.writetime });
        written++;
        stale += c.count - 1;
        show(c, s);
      } else next.push(c);
    }
    await writeUpdates(deps.cassandra, deps.keyspace, deps.table, moreUpdates);
    pending = next;
  }
  const t3 = now();

  if (deps.dlq) await deps.dlq.send(deadLetterMessages(deps.topic, dead));
  if (deps.unmatched && unmatchedIds.size > 0) {
    const msgs = [];
    for (const records of parts) {
      for (const r of records) {
        const d = decode(r.value, deps.decode);
        if (d.ok && unmatchedIds.has(d.id)) msgs.push({ key: r.key, value: r.value });
      }
    }
    await deps.unmatched.send(msgs);
  }
  const t4 = now();

  return {
    offsets, input, malformed: dead.length, unmatched, stale, written, distinct: collapsed.size, rows,
    durationMs: { decode: t1 - t0, join: t2 - t1, write: t3 - t2, sideOutputs: t4 - t3 },
    reasons,
  };
}
