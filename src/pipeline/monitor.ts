import { errorMessage, serverOf } from '../errors.js';
import type { BatchReport, RunEvents } from './events.js';
import { OutageWatch } from './outage.js';
import { STALLED_AFTER_MS, type FillingBatch, type RecordSource, type Server } from './ports.js';

/** Fetches wait 100 ms for data at most: this long without an answer is an outage. */
export const KAFKA_SILENCE_MS = 10_000;

/** A server stayed unreachable longer than the run allows: the run gives up, nothing unwritten committed. */
export class OutageTooLong extends Error {
  constructor(
    readonly server: Server,
    readonly downMs: number,
    readonly maxMs: number,
    readonly reason: string,
  ) {
    super(`${server} unreachable for longer than ${maxMs} ms (${reason})`);
    this.name = 'OutageTooLong';
  }
}

export interface MonitorOptions {
  /** give up after a server is unreachable this long; undefined: never */
  maxOutageMs?: number;
  remindEveryMs?: number;
}

/**
 * The run's health: failures and answers from both servers become outages (began, still going, ended),
 * fetches that go unanswered become a Kafka outage, and an outage past the maximum aborts the run. It
 * turns what the engine and the source report into events; tick() runs once a second.
 */
export class HealthMonitor {
  private readonly outage: OutageWatch;
  /** fetches went unanswered (an outage seen while idle): the next answered one ends it */
  private fetchesSilent = false;
  /** when the fetches went silent, as the source measured it (the outage is counted from its report) */
  private silentSince = 0;
  /** partitions stalled since the first of them was reported (see stalls()) */
  private stallEpisode: { since: number; partitions: Set<number> } | undefined;

  constructor(
    private readonly events: RunEvents,
    private readonly source: Pick<RecordSource<FillingBatch>, 'silentMs' | 'lagByPartition' | 'stalledPartitions'>,
    private readonly abort: (err: unknown) => void,
    opts: MonitorOptions,
  ) {
    this.outage = new OutageWatch({
      maxMs: opts.maxOutageMs,
      remindEveryMs: opts.remindEveryMs ?? 30_000,
    });
  }

  /** A batch or commit attempt failed (delayMs 0: a commit given up, which ends its retries, not an outage). */
  retrying(err: unknown, attempt: number, delayMs: number): void {
    const server = serverOf(err);
    const message = errorMessage(err);
    this.events.emit({ type: 'failure', server: server ?? 'other', message });
    const firstOfOutage = server === undefined || delayMs === 0 || this.outage.failed(server, message, Date.now());
    this.events.emit({ type: 'retrying', error: err, server, attempt, delayMs, firstOfOutage });
  }

  /** The consumer crashed and kafkajs restarts it. */
  consumerError(err: Error): void {
    const message = errorMessage(err);
    this.events.emit({ type: 'failure', server: 'Kafka', message });
    this.events.emit({
      type: 'consumer-error',
      message,
      firstOfOutage: this.outage.failed('Kafka', message, Date.now()),
    });
  }

  /** A fetch was answered: after a silence, Kafka is back. */
  fetched(): void {
    if (!this.fetchesSilent) return;
    this.fetchesSilent = false;
    this.ended('Kafka', 'fetch', false, undefined, this.silentSince);
  }

  /** The consumer (re)joined its group. */
  joined(partitions: number[]): void {
    this.fetchesSilent = false;
    this.ended('Kafka', 'join', false, partitions);
  }

  /** A batch was written: Cassandra answers; Kafka too when it was committed. */
  batchDone(r: BatchReport): void {
    const committed = r.batchId !== null;
    this.ended('Cassandra', 'batch', committed);
    if (committed) this.ended('Kafka', 'batch', committed);
  }

  /** since: when the outage began, if before it was reported */
  private ended(
    server: Server,
    how: 'batch' | 'fetch' | 'join',
    committed: boolean,
    partitions?: number[],
    since?: number,
  ): void {
    const now = Date.now();
    let downMs = this.outage.recovered(server, now);
    if (downMs !== undefined && since !== undefined) downMs = Math.max(downMs, now - since);
    if (downMs !== undefined)
      this.events.emit({ type: 'outage-ended', server, downMs, how, committed, ...(partitions ? { partitions } : {}) });
  }

  /** Once a second: lag, silence, stalled partitions, reminders, and the maximum outage. */
  tick(now: number): void {
    const lag = this.source.lagByPartition();
    this.events.emit({ type: 'lag', byPartition: lag });
    this.stalls(now, lag);
    // idle, a run only fetches: a broker gone shows as fetches no longer answered
    const silent = this.source.silentMs(now);
    if (silent >= KAFKA_SILENCE_MS) {
      if (!this.fetchesSilent) this.silentSince = now - silent;
      this.fetchesSilent = true;
      // counted from now, not from the silence's start: a suspended laptop must not trip the maximum at once
      if (this.outage.failed('Kafka', 'fetch requests unanswered', now)) {
        this.events.emit({ type: 'failure', server: 'Kafka', message: 'fetch requests unanswered' });
        this.events.emit({ type: 'kafka-silent', silentMs: silent });
      }
    }
    for (const n of this.outage.check(now)) {
      if (n.kind === 'still-down')
        this.events.emit({ type: 'outage-still', server: n.server, downMs: n.downMs, reason: n.reason });
      else this.abort(new OutageTooLong(n.server, n.downMs, this.maxMs(), n.reason));
    }
  }

  /**
   * Stalled partitions make one episode, from the first until none is left: a broker gone stalls the
   * partitions it led, and kafkajs' retries may hold others a while. Its start is reported once, with
   * the partitions stalled then; its end names every partition it held.
   */
  private stalls(now: number, lag: Map<number, number>): void {
    const stalled = this.source.stalledPartitions(now);
    if (stalled.length > 0 && !this.stallEpisode) {
      this.stallEpisode = { since: now, partitions: new Set(stalled) };
      const behind = stalled.reduce((n, p) => n + (lag.get(p) ?? 0), 0);
      this.events.emit({ type: 'partitions-stalled', partitions: stalled, lag: behind, stalledMs: STALLED_AFTER_MS });
    } else if (stalled.length > 0) {
      for (const p of stalled) this.stallEpisode!.partitions.add(p);
    } else if (this.stallEpisode) {
      const { since, partitions } = this.stallEpisode;
      this.stallEpisode = undefined;
      this.events.emit({
        type: 'partitions-resumed',
        partitions: [...partitions].sort((a, b) => a - b),
        afterMs: now - since + STALLED_AFTER_MS,
      });
    }
  }

  private maxMs(): number {
    return this.outage.maxMs ?? 0;
  }
}
