import { sleep } from '../util/sleep.js';
import type { PendingBatch } from './pending.js';
import type { Stored, UserStore } from './ports.js';

export interface ReadAheadOptions {
  /** ids read ahead per batch at most (and no more than the store would read by key: UserStore.scanFrom) */
  max: number;
  /** no round of reads starts with less than this left before the trigger: what arrives then is read at it */
  minLeadMs: number;
}

export const READ_AHEAD: Omit<ReadAheadOptions, 'max'> = { minLeadMs: 200 };

/**
 * While the engine waits for an interval trigger, the users of the ids that arrived in the batch being
 * filled are read by key, so that at the trigger only the rest is read: the join's wait moves into
 * time that was idle. The reads go in a few rounds, each when half of the time left before the trigger
 * has passed, each reading all that arrived since the last: Cassandra spends much of its CPU per
 * request when requests trickle in, so a few bursts cost it up to a sixth more than the one burst at
 * the trigger, where reading each id as it arrives cost it two and a half times as much (bench/README.md).
 *
 * Only while no batch is being written: every row read ahead was read after the previous batch's
 * writes, so the write rule (plan.ts) holds as if it were read at the trigger. A later hand-written
 * update of a row read ahead has a newer write timestamp than the one read, so it wins over the batch's
 * write, as it does over any write planned before it; an id found without a row is read again at the
 * trigger, so that a user added meanwhile is joined.
 */
export class ReadAhead {
  constructor(
    private readonly store: Pick<UserStore, 'lookup' | 'scanFrom'>,
    private readonly o: ReadAheadOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** ids read ahead per batch at most: how many of a batch's arrivals are worth keeping for it */
  get max(): number {
    return this.o.max;
  }

  /**
   * Reads ahead for the batch `filling()` returns (it changes when a rebalance starts a new one), for
   * the trigger at `nextAt`, until too little time is left or `idle` fires. Rows read after it fired
   * are dropped: the batch may be in the join by then. A failed read ends the reading ahead until the
   * next wait; the trigger reads those rows.
   */
  async run(filling: () => PendingBatch | undefined, idle: AbortSignal, nextAt: number): Promise<void> {
    let lastRoundMs = 0;
    for (;;) {
      // the next round starts when half of the time left has passed: not with less than the minimum left
      const wait = (nextAt - this.now()) / 2;
      if (idle.aborted || wait < Math.max(this.o.minLeadMs, 2 * lastRoundMs)) return;
      await sleep(wait, idle);
      const batch = filling();
      if (idle.aborted || !batch) continue;
      const started = this.now();
      let read: Round | null;
      try {
        read = await this.readNew(batch, idle);
      } catch {
        // the trigger reads these rows, and reports what keeps failing
        return;
      }
      lastRoundMs = this.now() - started;
      if (read && !idle.aborted && filling() === batch) {
        batch.readAhead(read.ids, read.events, read.rows);
        batch.readAheadTo += read.ids.length;
      }
    }
  }

  /**
   * Reads the ids that arrived since the last round, up to the batch's maximum and short of the ids
   * from which its trigger would scan the table (reading more ahead would be wasted on that batch);
   * null when there is none, or the wait ended meanwhile.
   */
  private async readNew(batch: PendingBatch, idle: AbortSignal): Promise<Round | null> {
    const arrivals = batch.arrivals;
    if (!arrivals) return null;
    const end = Math.min(arrivals.length, this.o.max);
    if (end <= batch.readAheadTo) return null;
    const upTo = Math.min(end, await this.store.scanFrom(end));
    if (upTo <= batch.readAheadTo || idle.aborted) return null;
    const ids = arrivals.slice(batch.readAheadTo, upTo);
    // counted before the read: an id with an event after it is read again at the trigger
    const events = batch.eventsOf(ids);
    return { ids, events, rows: await this.store.lookup(ids) };
  }
}

/** One round's reads: the ids, their events counted when the read began, the rows found. */
interface Round {
  ids: string[];
  events: number[];
  rows: Map<string, Stored>;
}
