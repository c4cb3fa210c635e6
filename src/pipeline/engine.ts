import { isRetriable } from '../errors.js';
import { backoff, retry } from '../util/retry.js';
import { sleep } from '../util/sleep.js';
import type { BatchResult } from './batch.js';
import type { BatchReport, Totals } from './events.js';
import { latencyHistogram } from './histogram.js';
import type { LedgerEntry } from './ledger.js';
import { addCounts, countsOf, zeroCounts, type FillingBatch, type OffsetMoves, type RecordSource } from './ports.js';
import { nextTriggerAt } from './trigger.js';

export interface EngineOptions {
  topic: string;
  group: string;
  /** 0: a batch as soon as records arrive */
  triggerMs: number;
  /** available-now: process what the topic held at start (up to endOffsets), then return */
  once: boolean;
  endOffsets?: Map<number, number>;
  /**
   * available-now: of these partitions (not read here), those whose group offset is still short of its
   * end offset. A run may own only some partitions (another member has the rest, or a crashed one still
   * holds them until its session expires): it is done when the whole group is.
   */
  behindInGroup?: (partitions: number[]) => Promise<number[]>;
  /** retry delays, ms, by attempt (1, 2, ...); commits give up after commitDeadlineMs */
  backoff?: Partial<Backoff>;
}

export interface Backoff {
  batch(attempt: number): number;
  commit(attempt: number): number;
  commitDeadlineMs: number;
}

const DEFAULT_BACKOFF: Backoff = {
  batch: backoff(500, 10_000),
  commit: backoff(500, 5_000),
  commitDeadlineMs: 120_000,
};

export interface EngineHooks {
  /** a batch was taken and is being processed */
  started?(records: number, distinct: number): void;
  batch?(r: BatchReport): void;
  /** a batch or commit failed and is retried after delayMs (0: the commit is given up, the batch read again) */
  retrying?(err: unknown, attempt: number, delayMs: number): void;
  idle?(nextAt: number): void;
  /**
   * work to do while the engine waits for its next trigger (at nextAt) and no batch is in flight, until `idle` fires
   */
  whileIdle?(idle: AbortSignal, nextAt: number): void;
  /** available-now: this run's partitions are done, these others of the group are not yet */
  waitingForGroup?(partitions: number[]): void;
}

/** The ledger, as the engine writes it: a commit and its line under one lock. */
export interface CommitLog {
  locked<T>(fn: () => Promise<T>): Promise<T>;
  appendLocked(entry: Omit<LedgerEntry, 'batchId'>): number;
}

/** A batch the engine can process: what the source fills, with its distinct ids. */
export interface EngineBatch extends FillingBatch {
  readonly collapsed: { readonly size: number };
  /** the Kafka timestamps of its records, epoch ms */
  timestamps(): Float64Array;
}

/**
 * The trigger loop: every interval (or as fast as records come, with trigger 0) take what arrived,
 * process it as one batch, commit its offsets, record it in the ledger. A failed batch is retried with
 * backoff, never skipped; nothing is committed before its writes are acknowledged. stop() lets the
 * current batch finish and commit; abort() drops it.
 */
export class Engine<B extends EngineBatch> {
  private readonly stopping = new AbortController();
  private readonly aborting = new AbortController();
  private abortError: unknown;
  /** a batch has been taken and is not yet committed */
  private busy = false;
  private readonly backoff: Backoff;
  private readonly group: GroupWait;
  readonly totals: Totals = { batches: 0, ms: 0, ...zeroCounts() };

  constructor(
    private readonly source: RecordSource<B>,
    private readonly process: (batch: B) => Promise<BatchResult>,
    private readonly ledger: CommitLog,
    private readonly opts: EngineOptions,
    private readonly hooks: EngineHooks = {},
  ) {
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.group = new GroupWait(source, opts, hooks);
  }

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

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private checkAborted(): void {
    if (this.aborting.signal.aborted) throw this.abortError;
  }

  /** Whether the pending batch should be processed now. */
  private ready(): boolean {
    if (this.source.size === 0) return false;
    // available-now: one batch as large as the limits allow, so each user is written once
    if (this.opts.once && this.opts.endOffsets) return this.source.full || this.source.caughtUp(this.opts.endOffsets);
    return true;
  }

  /** Waits for the next trigger (interval triggers only); false when stopped meanwhile. */
  private async untilTrigger(lastStart: number): Promise<boolean> {
    if (this.opts.triggerMs === 0 || this.opts.once) return true;
    const at = nextTriggerAt(lastStart, this.opts.triggerMs, Date.now());
    if (at <= Date.now()) return true;
    this.hooks.idle?.(at);
    const idle = new AbortController();
    this.hooks.whileIdle?.(idle.signal, at);
    try {
      await sleep(at - Date.now(), this.stopping.signal);
    } finally {
      idle.abort();
    }
    return !this.stopped;
  }

  /** Nothing to process yet: wait for records (trigger 0 and available-now) or for the next trigger. */
  private async waitForRecords(): Promise<void> {
    if (this.opts.triggerMs === 0 || this.opts.once) await this.source.waitForData(this.opts.once ? 100 : 1000);
    if (this.opts.once && this.source.size > 0 && !this.ready()) await sleep(50, this.stopping.signal);
  }

  async run(): Promise<Totals> {
    const t0 = Date.now();
    // the first batch starts at once, as in Spark; the next ones every interval
    let startedAt = Date.now() - this.opts.triggerMs;
    while (!this.stopped) {
      if (this.opts.once && (await this.group.finished())) break;
      if (!(await this.untilTrigger(startedAt))) break;
      startedAt = Date.now();
      if (!this.ready()) {
        await this.waitForRecords();
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

  /**
   * Processes and commits a batch, retrying with backoff while it fails with an error that waiting can
   * cure; any other error ends the run. A stop (SIGTERM) does not end the retries: the batch is finished
   * if the servers come back within the shutdown timeout, and left uncommitted otherwise.
   */
  private async runWithRetry(batch: B, startedAt: Date): Promise<void> {
    this.hooks.started?.(batch.records, batch.collapsed.size);
    try {
      await retry(() => this.processAndCommit(batch, startedAt), {
        retriable: isRetriable,
        delayMs: this.backoff.batch,
        signal: this.aborting.signal,
        onRetry: (err, attempt, delayMs) => this.hooks.retrying?.(err, attempt, delayMs),
      });
    } catch (err) {
      this.checkAborted();
      throw err;
    }
  }

  private async processAndCommit(batch: B, startedAt: Date): Promise<void> {
    this.checkAborted();
    const t = performance.now();
    const result = await this.process(batch);
    const beforeCommit = performance.now();
    const { batchId, committed } = await this.commitAndRecord(batch, result, startedAt, beforeCommit - t);
    const end = performance.now();
    const commitLatency = committed.size > 0 ? latencyHistogram(batch.timestamps(), Date.now()) : {};
    this.totals.batches++;
    addCounts(this.totals, result);
    const lag = [...this.source.lagByPartition().values()].reduce((a, b) => a + b, 0);
    this.hooks.batch?.({
      ...result,
      batchId,
      startedAt,
      totalMs: end - t,
      commitMs: end - beforeCommit,
      commitLatency,
      lag,
      committed,
    });
  }

  /**
   * The commit and its ledger line under one lock: a run starting meanwhile (same checkpoint) sees both
   * or neither. Nothing committed (the batch belongs to an earlier session): no line, batch id null.
   */
  private commitAndRecord(
    batch: B,
    result: BatchResult,
    startedAt: Date,
    processMs: number,
  ): Promise<{ batchId: number | null; committed: OffsetMoves }> {
    const t = performance.now();
    return this.ledger.locked(async () => {
      const committed = await this.commitWithRetry(batch);
      if (committed.size === 0) return { batchId: null, committed };
      const batchId = this.ledger.appendLocked(
        ledgerLine(this.opts, result, committed, startedAt, {
          total: Math.round(processMs),
          commit: Math.round(performance.now() - t),
        }),
      );
      return { batchId, committed };
    });
  }

  /**
   * Commits, waiting while the consumer rejoins its group (up to two minutes). A commit that fails for
   * good only means the batch is read again, harmless under the write rule: a streaming run goes on,
   * an available-now run stops with the error (it could not tell when it is done otherwise).
   */
  private async commitWithRetry(batch: B): Promise<OffsetMoves> {
    let attempts = 0;
    try {
      return await retry(
        (attempt) => {
          attempts = attempt;
          this.checkAborted();
          return this.source.commit(batch);
        },
        {
          retriable: isRetriable,
          delayMs: this.backoff.commit,
          deadlineMs: this.backoff.commitDeadlineMs,
          signal: this.aborting.signal,
          onRetry: (err, attempt, delayMs) => this.hooks.retrying?.(err, attempt, delayMs),
        },
      );
    } catch (err) {
      this.checkAborted();
      if (this.opts.once) throw err;
      this.hooks.retrying?.(err, attempts, 0);
      return new Map();
    }
  }
}

/** The ledger's line for a committed batch. */
function ledgerLine(
  o: EngineOptions,
  r: BatchResult,
  committed: OffsetMoves,
  startedAt: Date,
  ms: { total: number; commit: number },
): Omit<LedgerEntry, 'batchId'> {
  const offsets: Record<string, [number, number]> = {};
  for (const [p, range] of r.offsets) offsets[String(p)] = range;
  const startOffset: Record<string, number> = {};
  const endOffset: Record<string, number> = {};
  for (const [p, [from, to]] of committed) {
    startOffset[String(p)] = from;
    endOffset[String(p)] = to;
  }
  return {
    startedAt: startedAt.toISOString(),
    topic: o.topic,
    group: o.group,
    startOffset,
    endOffset,
    offsets,
    counts: countsOf(r),
    durationMs: { ...roundAll(r.durationMs), ...ms },
    pid: process.pid,
  };
}

function roundAll(o: object): Record<string, number> {
  return Object.fromEntries(Object.entries(o as Record<string, number>).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}

/**
 * Available-now, for the whole group: this run's partitions are drained, and every other partition
 * has been committed up to its end offset by whoever owns it. Asks the group at most once a second;
 * while it waits, a rebalance may hand those partitions here, and they are read like the others.
 */
class GroupWait {
  private checkedAt = 0;
  private waitingFor = '';

  constructor(
    private readonly source: RecordSource<FillingBatch>,
    private readonly opts: EngineOptions,
    private readonly hooks: EngineHooks,
  ) {}

  async finished(): Promise<boolean> {
    const end = this.opts.endOffsets;
    // batches are processed and committed in order: read up to the end and nothing pending is all committed
    if (!end || this.source.size !== 0 || !this.source.caughtUp(end)) return false;
    const others = this.source.notHere(end);
    if (others.length === 0 || !this.opts.behindInGroup) return true;
    if (Date.now() - this.checkedAt < 1000) return false;
    this.checkedAt = Date.now();
    const behind = await this.opts.behindInGroup(others);
    if (behind.length === 0) return true;
    const key = behind.join(',');
    if (key !== this.waitingFor) {
      this.waitingFor = key;
      this.hooks.waitingForGroup?.(behind);
    }
    return false;
  }
}
