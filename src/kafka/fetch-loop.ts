import type { EachBatchPayload } from 'kafkajs';
import type { FillingBatch } from '../pipeline/ports.js';
import type { OffsetTracker } from './offset-tracker.js';

/** Wakes whoever waits, once. */
class Waiters {
  private list: Array<() => void> = [];

  /** Resolves when woken or after ms. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.list = this.list.filter((w) => w !== waiter);
        resolve();
      }, ms);
      this.list.push(waiter);
    });
  }

  wake(): void {
    const w = this.list;
    this.list = [];
    for (const f of w) f();
  }
}

/**
 * The fetch loop's side of the pending batch: kafkajs hands over fetched record batches (eachBatch),
 * their records go into the batch being filled, and a full batch holds the fetch loop (heartbeating)
 * until a trigger takes it: backpressure, bounded memory.
 */
export class FetchLoop<B extends FillingBatch> {
  private pending: B;
  private readonly data = new Waiters();
  private readonly room = new Waiters();
  /** handlers holding the fetch loop while the batch is full */
  private holders = 0;

  /** stopAt: available-now, records at or past these offsets (per partition) are not read */
  /** arrived: told of each partition's fetched records as they come (before any wait for room) */
  constructor(
    private readonly tracker: OffsetTracker,
    private readonly newBatch: () => B,
    private readonly stopAt?: Map<number, number>,
    private readonly arrived: (partition: number) => void = () => {},
  ) {
    this.pending = newBatch();
  }

  get size(): number {
    return this.pending.records;
  }

  get full(): boolean {
    return this.pending.full;
  }

  /** The fetch loop is held back by a full batch (its silence is no outage). */
  get holding(): boolean {
    return this.holders > 0;
  }

  /** Takes the pending batch and starts a new one where reading stands. */
  take(): B {
    const b = this.pending;
    this.pending = this.newBatch();
    this.room.wake();
    return b;
  }

  /**
   * After a rebalance the consumer fetches again from the committed offsets: what was gathered and not
   * yet taken would be read twice, so it is dropped and read again.
   */
  restart(): void {
    this.pending = this.newBatch();
    this.room.wake();
  }

  /** Resolves when records are pending (true) or after ms (false). */
  async waitForData(ms: number): Promise<boolean> {
    if (this.pending.records > 0) return true;
    await this.data.wait(ms);
    return this.pending.records > 0;
  }

  /** Lets every waiter go (the source stops). */
  wakeAll(): void {
    this.data.wake();
    this.room.wake();
  }

  /** kafkajs' eachBatch: reads the fetched records into the pending batch. */
  async handle({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const p = batch.partition;
    this.arrived(p);
    this.tracker.highWatermark(p, Number(batch.highWatermark));
    // available-now reads the partitions there at start, up to where they ended then; none added since
    const stop = this.stopAt ? (this.stopAt.get(p) ?? -1) : undefined;
    let t = performance.now();
    // isStale() is not free (kafkajs builds a key per call): asked per batch and after each wait
    if (isStale() || !isRunning()) return;
    for (const m of batch.messages) {
      if (this.pending.full) {
        this.pending.decodeMs += performance.now() - t;
        if (!(await this.holdWhileFull(heartbeat, isRunning, isStale))) return;
        t = performance.now();
      }
      const offset = Number(m.offset);
      if (stop !== undefined && offset >= stop) break;
      this.pending.add({ partition: p, offset, key: m.key, value: m.value, timestamp: Number(m.timestamp) });
      this.tracker.read(p, offset);
    }
    if (!isStale() && isRunning()) {
      // the batch may end past its last record (transaction markers): the next fetch starts there
      let through = Number(batch.lastOffset()) + 1;
      if (stop !== undefined) through = Math.min(through, stop);
      if (this.tracker.readThrough(p, through)) this.pending.through(p, through);
    }
    this.pending.decodeMs += performance.now() - t;
    this.data.wake();
  }

  /** Holds the fetch loop, heartbeating, until a trigger takes the full batch; false when the fetch is void. */
  private async holdWhileFull(
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
    isStale: () => boolean,
  ): Promise<boolean> {
    this.data.wake();
    this.holders++;
    try {
      while (this.pending.full && isRunning() && !isStale()) {
        await this.room.wait(1000);
        await heartbeat();
      }
    } finally {
      this.holders--;
    }
    return !isStale() && isRunning();
  }
}
