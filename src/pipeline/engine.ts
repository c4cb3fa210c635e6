import type { Admin } from 'kafkajs';
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
  showRows: number;
}

export interface BatchReport extends BatchResult {
  batchId: number;
  startedAt: Date;
  totalMs: number;
  commitMs: number;
  lag: number;
  /** committed next offsets per partition */
  committed: Map<number, number>;
}

export interface EngineEvents {
  batch?(r: BatchReport): void;
  /** a batch or commit failed and will be retried after delayMs */
  retrying?(err: unknown, attempt: number, delayMs: number): void;
  idle?(nextAt: number): void;
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  if (signal?.aborted) return resolve();
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
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
      if (this.opts.once && this.drained()) break;
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
      await this.runWithRetry(this.source.take(), new Date(startedAt));
    }
    this.totals.ms = Date.now() - t0;
    return this.totals;
  }

  private async runWithRetry(batch: PendingBatch, startedAt: Date): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const t = performance.now();
        const result = await processBatch(batch, this.deps, this.opts.showRows);
        const offsets: Record<string, [number, number]> = {};
        for (const [p, range] of result.offsets) offsets[String(p)] = range;
        const next = batch.nextOffsets();
        const beforeCommit = performance.now();
        const batchId = await this.ledger.append({
          startedAt: startedAt.toISOString(), topic: this.opts.topic, group: this.opts.group, offsets,
          counts: { input: result.input, malformed: result.malformed, unmatched: result.unmatched, stale: result.stale, written: result.written },
          durationMs: { ...roundAll(result.durationMs), total: Math.round(beforeCommit - t) },
          pid: process.pid,
        });
        const committed = await this.commitWithRetry(next);
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
        // an error that will not go away by waiting (a bad setting, a refused request) ends the run
        if (!isRetriable(err)) throw err;
        const delay = Math.min(10_000, 500 * 2 ** Math.min(attempt - 1, 5));
        this.events.retrying?.(err, attempt, delay);
        await sleep(delay);
        // a stop during an outage must not wait forever: the batch is left uncommitted for the next run
        if (this.stopped && attempt >= 3) throw err;
      }
    }
  }

  /**
   * Commits, waiting while the consumer rejoins its group (up to two minutes). A commit that fails for
   * good only means the batch is read again, harmless under the write rule: a streaming run goes on,
   * an available-now run stops with the error (it could not tell when it is done otherwise).
   */
  private async commitWithRetry(next: Map<number, number>): Promise<Map<number, number>> {
    const deadline = Date.now() + 120_000;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.source.commit(next);
      } catch (err) {
        if (!isRetriable(err) || Date.now() > deadline) {
          if (this.opts.once) throw err;
          this.events.retrying?.(err, attempt, 0);
          return new Map();
        }
        const delay = Math.min(5_000, 250 * 2 ** attempt);
        this.events.retrying?.(err, attempt, delay);
        await sleep(delay);
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
  for (let e: unknown = err, depth = 0; e && depth < 6; depth++) {
    const x = e as { name?: string; retriable?: boolean; code?: number; message?: string; cause?: unknown; originalError?: unknown; innerErrors?: unknown };
    if (x.retriable === true) return true;
    const name = x.name ?? '';
    if (['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError', 'KafkaJSConnectionError',
      'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded', 'NotInGroupError'].includes(name)) return true;
    // Cassandra: unavailable, overloaded, bootstrapping, write and read timeouts, truncate error
    if (name === 'ResponseError' && typeof x.code === 'number' && [0x1000, 0x1001, 0x1002, 0x1003, 0x1100, 0x1200].includes(x.code)) return true;
    if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up/.test(x.message ?? '')) return true;
    e = x.originalError ?? x.cause;
  }
  return false;
}
