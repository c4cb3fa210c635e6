import type { Admin } from 'kafkajs';
import { anyError } from '../errors.js';
import { retryRetriable } from '../kafka/client.js';
import { processBatch, type BatchDeps, type BatchResult } from './batch.js';
import { Ledger } from './ledger.js';
import type { PendingBatch } from './pending.js';
import type { KafkaSource } from './source.js';
import { nextTriggerAt } from './trigger.js';

export interface EngineOptions {
  topic: string;
  group: string;
  triggerMs: number;
  once: boolean;
  /** available-now: the end offsets seen at start */
  endOffsets?: Map<number, number>;
  /**
   * available-now: of these partitions (not assigned here), those whose group offset is still short of
   * its end offset. A run may own only some partitions (another member has the rest, or a crashed one
   * still holds them until its session expires): it is done when the whole group is.
   */
  behindInGroup?: (partitions: number[]) => Promise<number[]>;
  showRows: number;
}

export interface BatchReport extends BatchResult {
  /** the ledger's id for the batch; null when nothing of it could be committed here */
  batchId: number | null;
  startedAt: Date;
  totalMs: number;
  commitMs: number;
  lag: number;
  /** per partition committed: [committed before, committed now] */
  committed: Map<number, [number, number]>;
}

export interface EngineEvents {
  /** a batch was taken and is being processed */
  started?(records: number, distinct: number): void;
  batch?(r: BatchReport): void;
  /** a batch or commit failed and will be retried after delayMs */
  retrying?(err: unknown, attempt: number, delayMs: number): void;
  idle?(nextAt: number): void;
  /** available-now: this run's partitions are done, these others of the group are not yet */
  waitingForGroup?(partitions: number[]): void;
}

/** Waits ms, or less when the signal fires; leaves no listener behind. */
const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (signal?.aborted) return resolve();
  const onAbort = () => { clearTimeout(t); resolve(); };
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
  signal?.addEventListener('abort', onAbort, { once: true });
});

export interface Totals {
  batches: number;
  input: number;
  malformed: number;
  unmatched: number;
  stale: number;
  written: number;
  ms: number;
}

/**
 * The trigger loop: every interval (or as fast as records come, with trigger 0) take what arrived,
 * process it as one batch, record it in the ledger, commit its offsets. A failed batch is retried with
 * backoff, never skipped; nothing is committed before its writes are acknowledged. stop() lets the
 * current batch finish and commit.
 */
export class Engine {
  private readonly stopping = new AbortController();
  private readonly aborting = new AbortController();
  private abortError: unknown;
  /** a batch has been taken and is not yet committed */
  private busy = false;
  readonly totals: Totals = { batches: 0, input: 0, malformed: 0, unmatched: 0, stale: 0, written: 0, ms: 0 };

  constructor(
    private readonly source: KafkaSource,
    private readonly deps: BatchDeps,
    private readonly ledger: Ledger,
    private readonly opts: EngineOptions,
    private readonly events: EngineEvents = {},
  ) {}

  stop(): void {
    this.stopping.abort();
  }

  /**
   * Ends the run with err: the batch in progress is not committed (it will be read again), retries
   * stop waiting, run() rejects with err.
   */
  abort(err: unknown): void {
    if (this.aborting.signal.aborted) return;
    this.abortError = err;
    this.aborting.abort();
    this.stopping.abort();
  }

  /** A batch is being processed or committed. */
  get inFlight(): boolean {
    return this.busy;
  }

  private checkAborted(): void {
    if (this.aborting.signal.aborted) throw this.abortError;
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /**
   * available-now: every assigned partition has been read up to the end offset seen at start and
   * nothing waits; batches are processed and committed in order, so all of it is committed.
   */
  private drained(): boolean {
    const end = this.opts.endOffsets;
    return end !== undefined && this.source.size === 0 && this.source.caughtUp(end);
  }

  private groupCheckedAt = 0;
  private waitingFor = '';

  /**
   * available-now, for the whole group: this run's partitions are drained, and every other partition
   * has been committed up to its end offset by whoever owns it. Asks the group at most once a second;
   * while it waits, a rebalance may hand those partitions here, and they are read like the others.
   */
  private async finished(): Promise<boolean> {
    const end = this.opts.endOffsets;
    if (!this.drained() || !end) return false;
    const others = [...end.keys()].filter((p) => !this.source.assigned?.has(p) && (this.source.positions.get(p) ?? 0) < end.get(p)!);
    if (others.length === 0 || !this.opts.behindInGroup) return true;
    if (Date.now() - this.groupCheckedAt < 1000) return false;
    this.groupCheckedAt = Date.now();
    const behind = await this.opts.behindInGroup(others);
    if (behind.length === 0) return true;
    const key = behind.join(',');
    if (key !== this.waitingFor) {
      this.waitingFor = key;
      this.events.waitingForGroup?.(behind);
    }
    return false;
  }

  /** Whether the pending batch should be processed now. */
  private ready(): boolean {
    if (this.source.size === 0) return false;
    // available-now: one batch as large as the limits allow, so each user is written once
    if (this.opts.once && this.opts.endOffsets) return this.source.full || this.source.caughtUp(this.opts.endOffsets);
    return true;
  }

  async run(): Promise<Totals> {
    const t0 = Date.now();
    // the first batch starts at once, as in Spark; the next ones every interval
    let startedAt = Date.now() - this.opts.triggerMs;
    while (!this.stopped) {
      if (this.opts.once && (await this.finished())) break;
      if (this.opts.triggerMs > 0 && !this.opts.once) {
        const at = nextTriggerAt(startedAt, this.opts.triggerMs, Date.now());
        if (at > Date.now()) {
          this.events.idle?.(at);
          await sleep(at - Date.now(), this.stopping.signal);
          if (this.stopped) break;
        }
      }
      startedAt = Date.now();
      if (!this.ready()) {
        // wait for records (trigger 0 and available-now) or for the next trigger
        if (this.opts.triggerMs === 0 || this.opts.once) await this.source.waitForData(this.opts.once ? 100 : 1000);
        if (this.opts.once && this.source.size > 0 && !this.ready()) await sleep(50, this.stopping.signal);
        continue;
      }
      const batch = this.source.take();
      this.busy = true;
      try {
        await this.runWithRetry(batch, new Date(startedAt));
      } finally {
        this.busy = false;
      }
    }
    this.checkAborted();
    this.totals.ms = Date.now() - t0;
    return this.totals;
  }

  private async runWithRetry(batch: PendingBatch, startedAt: Date): Promise<void> {
    this.events.started?.(batch.records, batch.collapsed.size);
    for (let attempt = 1; ; attempt++) {
      try {
        this.checkAborted();
        const t = performance.now();
        const result = await processBatch(batch, this.deps, this.opts.showRows);
        const offsets: Record<string, [number, number]> = {};
        for (const [p, range] of result.offsets) offsets[String(p)] = range;
        const beforeCommit = performance.now();
        // the commit and its ledger line under one lock: a run starting meanwhile (same checkpoint)
        // sees both or neither
        const { batchId, committed } = await this.ledger.locked(async () => {
          const committed = await this.commitWithRetry(batch);
          if (committed.size === 0) return { batchId: null, committed };
          const startOffset: Record<string, number> = {};
          const endOffset: Record<string, number> = {};
          for (const [p, [from, to]] of committed) {
            startOffset[String(p)] = from;
            endOffset[String(p)] = to;
          }
          const batchId = this.ledger.appendLocked({
            startedAt: startedAt.toISOString(), topic: this.opts.topic, group: this.opts.group, startOffset, endOffset, offsets,
            counts: { input: result.input, malformed: result.malformed, unmatched: result.unmatched, stale: result.stale, written: result.written },
            durationMs: { ...roundAll(result.durationMs), total: Math.round(beforeCommit - t), commit: Math.round(performance.now() - beforeCommit) },
            pid: process.pid,
          });
          return { batchId, committed };
        });
        const end = performance.now();
        this.totals.batches++;
        this.totals.input += result.input;
        this.totals.malformed += result.malformed;
        this.totals.unmatched += result.unmatched;
        this.totals.stale += result.stale;
        this.totals.written += result.written;
        this.events.batch?.({
          ...result, batchId, startedAt, totalMs: end - t, commitMs: end - beforeCommit, lag: this.source.lag(), committed,
        });
        return;
      } catch (err) {
        this.checkAborted();
        // an error that will not go away by waiting (a bad setting, a refused request) ends the run
        if (!isRetriable(err)) throw err;
        const delay = Math.min(10_000, 500 * 2 ** Math.min(attempt - 1, 5));
        this.events.retrying?.(err, attempt, delay);
        // a stop (SIGTERM) does not end the retries: the batch is finished if the servers come back
        // within the shutdown timeout, and left uncommitted otherwise
        await sleep(delay, this.aborting.signal);
      }
    }
  }

  /**
   * Commits, waiting while the consumer rejoins its group (up to two minutes). A commit that fails for
   * good only means the batch is read again, harmless under the write rule: a streaming run goes on,
   * an available-now run stops with the error (it could not tell when it is done otherwise).
   */
  private async commitWithRetry(batch: PendingBatch): Promise<Map<number, [number, number]>> {
    const deadline = Date.now() + 120_000;
    for (let attempt = 1; ; attempt++) {
      this.checkAborted();
      try {
        return await this.source.commit(batch);
      } catch (err) {
        this.checkAborted();
        if (!isRetriable(err) || Date.now() > deadline) {
          if (this.opts.once) throw err;
          this.events.retrying?.(err, attempt, 0);
          return new Map();
        }
        const delay = Math.min(5_000, 250 * 2 ** attempt);
        this.events.retrying?.(err, attempt, delay);
        await sleep(delay, this.aborting.signal);
      }
    }
  }
}

function roundAll(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}

/** End offsets of a topic (available-now) and where the group stands. */
export async function availableNowTargets(admin: Admin, topic: string, group: string, fromBeginning: boolean): Promise<{ end: Map<number, number>; start: Map<number, number>; committed: Set<number> }> {
  const offsets = await retryRetriable(() => admin.fetchTopicOffsets(topic));
  const committed = await retryRetriable(() => admin.fetchOffsets({ groupId: group, topics: [topic] }));
  const committedBy = new Map<number, number>();
  for (const t of committed) for (const p of t.partitions) committedBy.set(p.partition, Number(p.offset));
  const end = new Map<number, number>();
  const start = new Map<number, number>();
  const has = new Set<number>();
  for (const o of offsets) {
    end.set(o.partition, Number(o.high));
    const c = committedBy.get(o.partition) ?? -1;
    if (c >= 0) has.add(o.partition);
    start.set(o.partition, c >= 0 ? c : fromBeginning ? Number(o.low) : Number(o.high));
  }
  return { end, start, committed: has };
}

/**
 * Errors that waiting can cure: a server unreachable, overloaded or timing out, a Kafka error Kafka
 * itself calls retriable, a consumer rejoining its group. Anything else is a fault to report.
 */
export function isRetriable(err: unknown): boolean {
  return anyError(err, (x) => {
    if (x.retriable === true) return true;
    const name = x.name ?? '';
    if (['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError', 'KafkaJSConnectionError',
      'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded', 'NotInGroupError'].includes(name)) return true;
    // Cassandra: unavailable, overloaded, bootstrapping, write and read timeouts, truncate error
    if (name === 'ResponseError' && typeof x.code === 'number' && [0x1000, 0x1001, 0x1002, 0x1003, 0x1100, 0x1200].includes(x.code)) return true;
    return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up/.test(x.message ?? '');
  });
}
