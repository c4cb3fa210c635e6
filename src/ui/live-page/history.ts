import type { RunEvent } from '../../pipeline/events.js';
import { outageChange, pageBatch, pageRows, pageRun, type PageMessage, type PageOutage } from './messages.js';

/** One server-sent event: the data line and the blank line that ends it. */
export function sseFrame(m: PageMessage): string {
  return `data: ${JSON.stringify(m)}\n\n`;
}

/** Fixed-size history: the newest `max` items, oldest first. */
export class Ring<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(readonly max: number) {}

  push(item: T): void {
    if (this.items.length < this.max) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.max;
  }

  get size(): number {
    return this.items.length;
  }

  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }
}

export interface HistoryOptions {
  /** batches kept for a page opened late (default 1,000) */
  maxBatches?: number;
  /** lag samples kept (default 1,000) */
  maxLagSamples?: number;
  /** at most one lag sample this often (default 1 s: the run's monitor reports lag every second) */
  lagEveryMs?: number;
  now?: () => number;
}

/**
 * The run's events as the live page's messages, each serialized once: record() turns an event into the
 * frame every open page is sent (or nothing), and keeps what a page opened later needs first (the run,
 * the last batches and lag samples, the last rows written, the outages going on) for snapshot(). Pure:
 * no I/O, the time comes from `now`.
 */
export class LiveHistory {
  private run: string | undefined;
  private readonly batches: Ring<string>;
  private readonly lags: Ring<string>;
  private rows: string | undefined;
  private readonly outages = new Map<PageOutage['key'], PageOutage>();
  private outagesFrame: string | undefined;
  private stopped: string | undefined;
  private seq = 0;
  private prevEndedAt: number | undefined;
  private lastLagAt = -Infinity;
  private readonly lagEveryMs: number;
  private readonly now: () => number;

  constructor(o: HistoryOptions = {}) {
    this.batches = new Ring(o.maxBatches ?? 1000);
    this.lags = new Ring(o.maxLagSamples ?? 1000);
    this.lagEveryMs = o.lagEveryMs ?? 1000;
    this.now = o.now ?? Date.now;
  }

  /** The frame to send every open page for this event, if the page shows anything of it. */
  record(e: RunEvent): string | undefined {
    switch (e.type) {
      case 'ready':
        return (this.run = sseFrame({ kind: 'run', run: pageRun(e.info) }));
      case 'batch-done':
        return this.batch(e);
      case 'lag':
        return this.lag(e.byPartition);
      case 'stopped':
        return (this.stopped = sseFrame({ kind: 'stopped' }));
      default:
        return this.outage(e);
    }
  }

  /** Everything a page opened now is sent first, as one string, oldest first. */
  snapshot(): string {
    return [
      this.run ?? '',
      ...this.batches.toArray(),
      ...this.lags.toArray(),
      this.rows ?? '',
      this.outagesFrame ?? '',
      this.stopped ?? '',
    ].join('');
  }

  get batchCount(): number {
    return this.batches.size;
  }

  private batch(e: Extract<RunEvent, { type: 'batch-done' }>): string {
    const b = pageBatch(e.report, ++this.seq, this.prevEndedAt);
    this.prevEndedAt = b.endedAt;
    const frame = sseFrame({ kind: 'batch', batch: b });
    this.batches.push(frame);
    if (e.report.rows.length === 0) return frame;
    // the last rows written replace the ones before: a page shows the latest batch's, not a history
    this.rows = sseFrame({ kind: 'rows', at: b.endedAt, batchId: b.id, rows: pageRows(e.report) });
    return frame + this.rows;
  }

  private lag(byPartition: Map<number, number>): string | undefined {
    const at = this.now();
    if (at - this.lastLagAt < this.lagEveryMs) return undefined;
    this.lastLagAt = at;
    const frame = sseFrame({
      kind: 'lag',
      at,
      byPartition: Object.fromEntries([...byPartition].map(([p, n]) => [String(p), n])),
    });
    this.lags.push(frame);
    return frame;
  }

  private outage(e: RunEvent): string | undefined {
    const change = outageChange(e, this.now());
    if (!change) return undefined;
    if ('clear' in change) {
      if (!this.outages.delete(change.clear)) return undefined;
    } else {
      // the first line of an outage stays until it ends: kafkajs restarts its consumer again and again,
      // and reminders come every 30 s; the page counts the time itself
      if (this.outages.has(change.set.key)) return undefined;
      this.outages.set(change.set.key, change.set);
    }
    const frame = sseFrame({ kind: 'outages', outages: [...this.outages.values()] });
    this.outagesFrame = this.outages.size > 0 ? frame : undefined;
    return frame;
  }
}
