import type { OffsetMoves } from '../pipeline/ports.js';

/**
 * Where each partition stands for one consumer, and what a batch may commit. Pure: no client, no
 * clock. Three offsets per partition:
 *
 * - committed: the group's offset, as this member last knew it (at start, then after its own commits);
 * - fetched: the next offset to read, past what has been read into a batch (forgotten at each join:
 *   the consumer reads again from the committed offsets then);
 * - high watermark: the latest end of the log seen, for lag.
 *
 * A batch commits its next offsets only for partitions assigned here, and never moves a partition back
 * past this member's own last commit (a batch read again after a rebalance may end before it).
 */
export class OffsetTracker {
  /** partitions assigned to this member now; undefined until the first join */
  assigned: Set<number> | undefined;
  private readonly committedAt = new Map<number, number>();
  private readonly fetchedTo = new Map<number, number>();
  private readonly highWatermarks = new Map<number, number>();
  /** partitions this member has committed since it last joined: their committed offset is the group's */
  private readonly own = new Set<number>();

  /** Where the group stood at start (its offsets, or where a partition without one begins). */
  seed(start: Map<number, number>): void {
    for (const [p, o] of start) this.committedAt.set(p, o);
  }

  /** The consumer (re)joined with these partitions: it reads them again from the group's offsets. */
  assign(partitions: number[]): void {
    this.assigned = new Set(partitions);
    this.fetchedTo.clear();
    this.own.clear();
  }

  highWatermark(partition: number, hw: number): void {
    this.highWatermarks.set(partition, hw);
  }

  /** A record at `offset` was read into the batch. */
  read(partition: number, offset: number): void {
    this.fetchedTo.set(partition, offset + 1);
  }

  /**
   * Everything before `next` has been read (the fetch may end past its last record: transaction
   * markers). True when that moves the partition on.
   */
  readThrough(partition: number, next: number): boolean {
    if (next <= (this.fetchedTo.get(partition) ?? 0)) return false;
    this.fetchedTo.set(partition, next);
    return true;
  }

  /** Per partition, the next offset to read: where the next batch begins. */
  fetched(): ReadonlyMap<number, number> {
    return this.fetchedTo;
  }

  committed(partition: number): number | undefined {
    return this.committedAt.get(partition);
  }

  /**
   * What committing a batch means: the request (partition -> offset) and the moves it makes
   * ([committed before, committed now]). `next` is the batch's next offsets, `starts` where it began
   * reading; before this member's first commit of a partition, that start is where the group stood.
   */
  commitPlan(
    next: Map<number, number>,
    starts: Map<number, number>,
  ): { request: Array<{ partition: number; offset: number }>; moves: OffsetMoves } {
    const request: Array<{ partition: number; offset: number }> = [];
    const moves: OffsetMoves = new Map();
    for (const [partition, offset] of next) {
      if (this.assigned && !this.assigned.has(partition)) continue;
      const own = this.own.has(partition) ? this.committedAt.get(partition) : undefined;
      if (own !== undefined && offset <= own) continue;
      request.push({ partition, offset });
      moves.set(partition, [own ?? starts.get(partition) ?? offset, offset]);
    }
    return { request, moves };
  }

  /** The commit of these moves succeeded. */
  commitDone(moves: OffsetMoves): void {
    for (const [p, [, o]] of moves) {
      this.committedAt.set(p, o);
      this.own.add(p);
    }
  }

  /** Every assigned partition has been read (or committed) up to `end`. False before the first join. */
  caughtUp(end: Map<number, number>): boolean {
    if (!this.assigned) return false;
    for (const p of this.assigned) {
      const at = Math.max(this.fetchedTo.get(p) ?? 0, this.committedAt.get(p) ?? 0);
      if (at < (end.get(p) ?? 0)) return false;
    }
    return true;
  }

  /** Partitions of `end` not assigned here whose offset, as known here, is short of their end. */
  notHere(end: Map<number, number>): number[] {
    return [...end.keys()].filter((p) => !this.assigned?.has(p) && (this.committedAt.get(p) ?? 0) < end.get(p)!);
  }

  /** Per partition assigned here: records behind the latest high watermark seen. */
  lagByPartition(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [p, hw] of this.highWatermarks) {
      if (this.assigned && !this.assigned.has(p)) continue;
      const pos = this.committedAt.get(p);
      if (pos !== undefined) out.set(p, Math.max(0, hw - pos));
    }
    return out;
  }

  /**
   * Per partition assigned here: records not yet fetched, behind the latest high watermark seen, or
   * behind stopAt's offset when it is lower (an available-now run reads no further).
   */
  unfetched(stopAt?: ReadonlyMap<number, number>): Map<number, number> {
    const out = new Map<number, number>();
    for (const [p, hw] of this.highWatermarks) {
      if (this.assigned && !this.assigned.has(p)) continue;
      const pos = this.fetchedTo.get(p) ?? this.committedAt.get(p);
      if (pos !== undefined) out.set(p, Math.max(0, Math.min(hw, stopAt?.get(p) ?? hw) - pos));
    }
    return out;
  }
}
