import { sleep } from '../util/sleep.js';
import type { PendingBatch } from './pending.js';
import type { UserStore } from './ports.js';

export interface ReadAheadOptions {
  /** ids read ahead per batch at most: past it the trigger reads the rest (and may scan the table) */
  max: number;
  /** ids per round of reads */
  chunk: number;
  /** how long to wait when no new id has arrived */
  pauseMs: number;
}

export const READ_AHEAD: Omit<ReadAheadOptions, 'max'> = { chunk: 200, pauseMs: 100 };

/**
 * While the engine waits for an interval trigger, the users of the ids that arrived in the batch being
 * filled are read by key, so that at the trigger only the rest is read: the join's wait moves into
 * time that was idle. Only while no batch is being written: every row read ahead was read after the
 * previous batch's writes, so the write rule (plan.ts) holds as if it were read at the trigger. A
 * later hand-written update of a row read ahead has a newer write timestamp than the one read, so it
 * wins over the batch's write, as it does over any write planned before it; an id found without a row
 * is read again at the trigger, so that a user added meanwhile is joined.
 */
export class ReadAhead {
  constructor(private readonly store: Pick<UserStore, 'lookup'>, private readonly o: ReadAheadOptions) {}

  /**
   * Reads ahead for the batch `filling()` returns (it changes when a rebalance starts a new one) until
   * `idle` fires; resolves then. Rows read after it fired are dropped: the batch may be in the join by
   * then. A failed read ends the reading ahead until the next wait; the trigger reads those rows.
   */
  async run(filling: () => PendingBatch | undefined, idle: AbortSignal): Promise<void> {
    while (!idle.aborted) {
      const batch = filling();
      const ids = batch ? this.next(batch) : [];
      if (ids.length === 0) {
        await sleep(this.o.pauseMs, idle);
        continue;
      }
      let rows;
      try {
        rows = await this.store.lookup(ids);
      } catch {
        return;
      }
      if (idle.aborted || !batch || filling() !== batch) continue;
      batch.readAhead(rows);
      batch.readAheadTo += ids.length;
    }
  }

  /** The next ids of the batch to read, up to the chunk and the batch's maximum. */
  private next(batch: PendingBatch): string[] {
    const arrivals = batch.arrivals;
    if (!arrivals) return [];
    const end = Math.min(arrivals.length, this.o.max, batch.readAheadTo + this.o.chunk);
    return end > batch.readAheadTo ? arrivals.slice(batch.readAheadTo, end) : [];
  }
}
