import type { Collapsed } from './collapse.js';
import { deadLetterMessages } from './dead-letters.js';
import { latencyHistogram, type Histogram } from './histogram.js';
import type { PendingBatch } from './pending.js';
import { planWrites, type WritePlan } from './plan.js';
import type { Counts, JoinRead, JoinWay, SideOutput, Stored, UserStore } from './ports.js';

export interface BatchDeps {
  store: UserStore;
  /** the input topic, named in the dead letters' headers */
  topic: string;
  dlq: SideOutput | null;
  unmatched: SideOutput | null;
}

export interface WrittenRow {
  login_id: string;
  user_name: string | null;
  last_login: number;
}

export interface StageMs {
  /** from the batch opening to its processing; decode is the part of it spent decoding */
  fetch: number;
  decode: number;
  join: number;
  write: number;
  /** the dead letters and unmatched events sent, and the user names of the rows shown read, side by side */
  sideOutputs: number;
}

export interface BatchResult extends Counts {
  /** per partition: first and last offset */
  offsets: Map<number, [number, number]>;
  distinct: number;
  /** the rows written, for display (the first `showRows`) */
  rows: WrittenRow[];
  /** how the join read the batch's users (those not read ahead) */
  join: JoinWay;
  /** users whose rows were read ahead, while the batch waited for its trigger */
  readAhead: number;
  durationMs: StageMs;
  /** reasons of malformed records, counted */
  reasons: Map<string, number>;
  /** Kafka record timestamp -> writes acknowledged, per record */
  latency: Histogram;
  /** the oldest and newest Kafka record timestamp of the batch (epoch ms); null for an empty one */
  recordTimes: { min: number; max: number } | null;
}

/** Lightweight-transaction rounds before a batch whose cells keep changing is given up (and retried). */
const MAX_IF_NULL_ROUNDS = 10;

const now = () => performance.now();

/** What the writes of a batch came to: counts and the first rows written. */
class Tally {
  unmatched = 0;
  stale = 0;
  written = 0;
  readonly rows: WrittenRow[] = [];

  constructor(private readonly showRows: number) {}

  plan(p: WritePlan): void {
    this.unmatched += p.unmatched;
    this.stale += p.stale;
    this.written += p.written;
    for (const u of p.updates) this.show(u.id, u.timeMs);
  }

  applied(c: Collapsed): void {
    this.written++;
    this.stale += c.count - 1;
    this.show(c.id, c.timeMs);
  }

  private show(id: string, timeMs: number): void {
    if (this.rows.length < this.showRows) this.rows.push({ login_id: id, user_name: null, last_login: timeMs });
  }

  /** The user names of the rows shown: read for those few rows only, not with the join. */
  async named(store: UserStore): Promise<void> {
    if (this.rows.length === 0) return;
    const names = await store.names(this.rows.map((r) => r.login_id));
    for (const r of this.rows) r.user_name = names.get(r.login_id) ?? null;
  }
}

/**
 * Cells with no value: a lightweight transaction each; one that loses a race is read again and planned
 * anew (it may now be an update, or stale).
 */
async function setEmptyCells(
  ifNull: Collapsed[],
  store: UserStore,
  tally: Tally,
  unmatchedIds: string[],
): Promise<void> {
  for (let round = 0; ifNull.length > 0; round++) {
    const applied = await store.setIfNull(ifNull.map((c) => ({ id: c.id, timeMs: c.timeMs })));
    const lost: Collapsed[] = [];
    ifNull.forEach((c, i) => (applied[i] ? tally.applied(c) : lost.push(c)));
    if (lost.length === 0) return;
    if (round >= MAX_IF_NULL_ROUNDS)
      throw new Error(`last_login of ${lost.length} users kept changing during the write; the batch will be retried`);
    const again = (await store.read(new Set(lost.map((c) => c.id)))).found;
    const plan = planWrites(lost, (id) => again.get(id));
    // a row deleted meanwhile: its events are unmatched now
    unmatchedIds.push(...plan.unmatchedIds);
    tally.plan(plan);
    await store.update(plan.updates);
    ifNull = plan.ifNull;
  }
}

async function sendSideOutputs(batch: PendingBatch, deps: BatchDeps, unmatchedIds: string[]): Promise<void> {
  if (deps.dlq) await deps.dlq.send(deadLetterMessages(deps.topic, batch.dead));
  if (deps.unmatched && batch.raws && unmatchedIds.length > 0) {
    await deps.unmatched.send(unmatchedIds.flatMap((id) => batch.raws!.get(id) ?? []));
  }
}

/**
 * One micro-batch, already decoded and collapsed while it was fetched: join (read only its ids) ->
 * plan -> write -> dead letters and unmatched events. Idempotent: running it again on the same batch
 * changes nothing more (the write rule), so a failed batch is simply run again.
 */
export async function processBatch(batch: PendingBatch, deps: BatchDeps, showRows = 20): Promise<BatchResult> {
  const t1 = now();
  const { found: stored, via, early } = await joinRead(batch, batch.takeEarly(), deps.store);
  const t2 = now();
  const tally = new Tally(showRows);
  const plan = planWrites(batch.collapsed.values(), (id) => stored.get(id));
  tally.plan(plan);
  await deps.store.update(plan.updates);
  await setEmptyCells(plan.ifNull, deps.store, tally, plan.unmatchedIds);
  const acked = Date.now();
  const t3 = now();
  await Promise.all([sendSideOutputs(batch, deps, plan.unmatchedIds), tally.named(deps.store)]);
  const t4 = now();

  return {
    offsets: batch.offsets,
    input: batch.records,
    malformed: batch.dead.length,
    unmatched: tally.unmatched,
    stale: tally.stale,
    written: tally.written,
    distinct: batch.collapsed.size,
    rows: tally.rows,
    join: via,
    readAhead: early,
    durationMs: {
      fetch: t1 - batch.openedAt,
      decode: batch.decodeMs,
      join: t2 - t1,
      write: t3 - t2,
      sideOutputs: t4 - t3,
    },
    reasons: batch.reasons,
    latency: latencyHistogram(batch.timestamps(), acked),
    recordTimes: timeRange(batch.timestamps()),
  };
}

/**
 * The stored rows of the batch's ids: those read ahead, and the rest read now; `early`, how many were
 * read ahead. A batch that grew to be scanned is scanned whole: its rows read ahead are not used (the
 * rest alone could be too few for a scan, and looking it up would cost more than the one scan).
 */
async function joinRead(
  batch: PendingBatch,
  early: Map<string, Stored>,
  store: UserStore,
): Promise<JoinRead & { early: number }> {
  const all = batch.collapsed;
  if (early.size === 0 || (await store.scanFrom(all.size)) <= all.size) return { ...(await store.read(all)), early: 0 };
  const rest = new Set<string>();
  for (const id of all.keys()) if (!early.has(id)) rest.add(id);
  const read = rest.size > 0 ? await store.read(rest) : { found: new Map<string, Stored>(), via: 'lookup' as const };
  for (const [id, s] of early) read.found.set(id, s);
  return { ...read, early: early.size };
}

function timeRange(stamps: Float64Array): { min: number; max: number } | null {
  if (stamps.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  for (const ts of stamps) {
    if (ts < min) min = ts;
    if (ts > max) max = ts;
  }
  return { min, max };
}
