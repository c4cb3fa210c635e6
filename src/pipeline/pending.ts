import { addEvent, type Collapsed } from './collapse.js';
import { decode, type DecodeOptions } from './decode.js';
import type { DeadLetter, FillingBatch, SourceRecord, Stored } from './ports.js';

export interface PendingLimits {
  /** close the batch at this many records (--max-offsets-per-trigger) */
  maxRecords: number;
  /** ... or at this many distinct login ids (memory) */
  maxDistinct: number;
  /** ... or when the raw records held (dead letters, events kept for the unmatched topic) reach this many bytes */
  maxHeldBytes: number;
}

/**
 * The batch being filled: records are decoded and collapsed as they arrive from Kafka, so what waits
 * for the next trigger is one entry per distinct login id plus the malformed records, not every event.
 */
export class PendingBatch implements FillingBatch {
  readonly collapsed = new Map<string, Collapsed>();
  readonly dead: DeadLetter[] = [];
  readonly reasons = new Map<string, number>();
  /** per partition: first and last offset */
  readonly offsets = new Map<number, [number, number]>();
  /** per partition: the offset this batch began reading at (the previous batch's end, or its first record) */
  readonly starts: Map<number, number>;
  private readonly ends = new Map<number, number>();
  /** Kafka timestamps of the records, for produce-to-write latency */
  private stamps = new Float64Array(1024);
  records = 0;
  private heldBytes = 0;
  /** raw records of each id, kept only when unmatched events go to a topic */
  readonly raws: Map<string, Array<{ key: Buffer | null; value: Buffer | null }>> | undefined;
  readonly openedAt = performance.now();
  /** the source's session it was read in: only that session may commit it */
  epoch = 0;
  decodeMs = 0;
  /**
   * ids in the order they first arrived, up to the read-ahead's maximum, kept only when users are read ahead
   * (read-ahead.ts)
   */
  readonly arrivals: string[] | undefined;
  /** how many of `arrivals` have been read ahead */
  readAheadTo = 0;
  /** the rows of ids read ahead (ids without a row are not kept: they are read again at the trigger) */
  private early = new Map<string, Stored>();

  constructor(
    private readonly decodeOpts: DecodeOptions,
    private readonly limits: PendingLimits,
    keepRaws: boolean,
    starts?: Map<number, number>,
    private readonly maxArrivals = 0,
  ) {
    this.raws = keepRaws ? new Map() : undefined;
    this.starts = new Map(starts);
    this.arrivals = maxArrivals > 0 ? [] : undefined;
  }

  /** Per id, its events so far: taken when a read ahead of them begins. */
  eventsOf(ids: string[]): number[] {
    return ids.map((id) => this.collapsed.get(id)?.count ?? 0);
  }

  /**
   * Rows read ahead of the trigger, kept for the ids with no event since their read began (`events`,
   * from eventsOf then): an event that arrives after the read is compared, at the trigger, with what
   * the table holds then, as without reading ahead (a hand-written correction made meanwhile included).
   */
  readAhead(ids: string[], events: number[], rows: Map<string, Stored>): void {
    ids.forEach((id, i) => {
      const s = rows.get(id);
      if (s && this.collapsed.get(id)?.count === events[i]) this.early.set(id, s);
    });
  }

  /**
   * The rows read ahead, once: a batch tried again after a failure reads every row anew, as it would
   * have without them.
   */
  takeEarly(): Map<string, Stored> {
    const e = this.early;
    this.early = new Map();
    return e;
  }

  get full(): boolean {
    return (
      this.records >= this.limits.maxRecords ||
      this.collapsed.size >= this.limits.maxDistinct ||
      this.heldBytes >= this.limits.maxHeldBytes
    );
  }

  get empty(): boolean {
    return this.records === 0;
  }

  add(r: SourceRecord): void {
    const range = this.offsets.get(r.partition);
    if (range === undefined) {
      this.offsets.set(r.partition, [r.offset, r.offset]);
      if (!this.starts.has(r.partition)) this.starts.set(r.partition, r.offset);
    } else range[1] = r.offset;
    if (this.records === this.stamps.length) {
      const bigger = new Float64Array(this.stamps.length * 2);
      bigger.set(this.stamps);
      this.stamps = bigger;
    }
    this.stamps[this.records++] = r.timestamp;
    const d = decode(r.value, this.decodeOpts);
    if (d.ok) {
      const before = this.collapsed.size;
      addEvent(this.collapsed, { id: d.id, timeMs: d.timeMs, partition: r.partition, offset: r.offset });
      // an event after its id's row was read ahead: read again at the trigger (readAhead)
      if (this.early.size > 0) this.early.delete(d.id);
      if (this.arrivals && this.collapsed.size > before && this.arrivals.length < this.maxArrivals)
        this.arrivals.push(d.id);
      if (this.raws) {
        const list = this.raws.get(d.id);
        const raw = { key: r.key ? Buffer.from(r.key) : null, value: r.value ? Buffer.from(r.value) : null };
        this.heldBytes += (r.value?.length ?? 0) + (r.key?.length ?? 0) + 64;
        if (list) list.push(raw);
        else this.raws.set(d.id, [raw]);
      }
    } else {
      // copied: a slice would keep Kafka's whole fetch buffer alive
      this.dead.push({
        record: { ...r, key: r.key ? Buffer.from(r.key) : null, value: r.value ? Buffer.from(r.value) : null },
        reason: d.reason,
      });
      this.heldBytes += (r.value?.length ?? 0) + (r.key?.length ?? 0) + 200;
      this.reasons.set(d.reason, (this.reasons.get(d.reason) ?? 0) + 1);
    }
  }

  /**
   * Records up to `next` (exclusive) of a partition have been read into this batch, even if the last
   * ones were not data records (transaction markers): committing `next` is right.
   */
  through(partition: number, next: number): void {
    const cur = this.ends.get(partition);
    if (cur === undefined || next > cur) this.ends.set(partition, next);
    if (!this.starts.has(partition)) this.starts.set(partition, next);
  }

  /** The offsets to commit once this batch is written: per partition, the next offset to read. */
  nextOffsets(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [p, [, last]] of this.offsets) out.set(p, last + 1);
    for (const [p, next] of this.ends) if (next > (out.get(p) ?? -1)) out.set(p, next);
    return out;
  }

  timestamps(): Float64Array {
    return this.stamps.subarray(0, this.records);
  }
}
