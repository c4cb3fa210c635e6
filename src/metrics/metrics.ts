import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchReport, RunListener } from '../pipeline/events.js';
import { COUNT_NAMES } from '../pipeline/ports.js';

/** Seconds buckets for batch and stage durations: 1 ms to 2 minutes. */
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * What `run` exposes to Prometheus: counts of events by outcome, batches and failed attempts, batch
 * and stage durations, consumer lag per partition, the time of the last commit, and the process's own
 * figures (memory, CPU, event loop) from prom-client's defaults.
 */
export class RunMetrics {
  readonly registry = new Registry();
  private readonly events: Counter<'outcome'>;
  private readonly batches: Counter;
  private readonly failures: Counter<'server'>;
  private readonly lost: Counter<'partition'>;
  private readonly batchSeconds: Histogram;
  private readonly stageSeconds: Histogram<'stage'>;
  private readonly lag: Gauge<'topic' | 'partition'>;
  private readonly lastCommit: Gauge;
  /** failed attempts since the last batch that succeeded */
  private streak = 0;
  private lastError: string | undefined;
  private lastBatchAt: number | undefined;

  constructor(
    private readonly topic: string,
    readonly labels: { group: string },
    private readonly unhealthyAfter = 3,
  ) {
    const r = [this.registry];
    this.registry.setDefaultLabels({ group: labels.group });
    collectDefaultMetrics({ register: this.registry, prefix: 'loginsync_' });
    this.events = new Counter({
      name: 'loginsync_events_total',
      help: 'Login events read, by what became of them: input (all), malformed, unmatched, stale, written (rows)',
      labelNames: ['outcome'],
      registers: r,
    });
    for (const outcome of COUNT_NAMES) this.events.inc({ outcome }, 0);
    this.batches = new Counter({
      name: 'loginsync_batches_total',
      help: 'Batches written and committed',
      registers: r,
    });
    this.failures = new Counter({
      name: 'loginsync_batch_failures_total',
      help: 'Failed batch or commit attempts (each is retried), by the server that failed',
      labelNames: ['server'],
      registers: r,
    });
    this.lost = new Counter({
      name: 'loginsync_records_lost_total',
      help: 'Records deleted (retention, delete-records) before the run read them, skipped with --no-fail-on-data-loss',
      labelNames: ['partition'],
      registers: r,
    });
    this.batchSeconds = new Histogram({
      name: 'loginsync_batch_duration_seconds',
      help: 'Time to process and commit a batch',
      buckets: BUCKETS,
      registers: r,
    });
    this.stageSeconds = new Histogram({
      name: 'loginsync_stage_duration_seconds',
      help: 'Time per batch in each stage: fetch (includes decode), decode, join, write, side_outputs, commit',
      labelNames: ['stage'],
      buckets: BUCKETS,
      registers: r,
    });
    this.lag = new Gauge({
      name: 'loginsync_consumer_lag',
      help: 'Records behind the latest high watermark, per partition assigned to this run',
      labelNames: ['topic', 'partition'],
      registers: r,
    });
    this.lastCommit = new Gauge({
      name: 'loginsync_last_commit_timestamp_seconds',
      help: 'Unix time of the last successful offset commit',
      registers: r,
    });
  }

  /** The run's events, as metrics. */
  listener(): RunListener {
    return (e) => {
      if (e.type === 'batch-done') this.batch(e.report);
      else if (e.type === 'lag') this.setLag(e.byPartition);
      else if (e.type === 'failure') this.failed(e.server, e.message);
      else if (e.type === 'data-loss') this.lost.inc({ partition: String(e.loss.partition) }, e.loss.count ?? 0);
    };
  }

  batch(r: BatchReport): void {
    for (const outcome of COUNT_NAMES) this.events.inc({ outcome }, r[outcome]);
    this.batches.inc();
    this.batchSeconds.observe(r.totalMs / 1000);
    const d = r.durationMs;
    for (const [stage, ms] of [
      ['fetch', d.fetch],
      ['decode', d.decode],
      ['join', d.join],
      ['write', d.write],
      ['side_outputs', d.sideOutputs],
      ['commit', r.commitMs],
    ] as const) {
      this.stageSeconds.observe({ stage }, ms / 1000);
    }
    if (r.committed.size > 0) this.lastCommit.set(Date.now() / 1000);
    this.streak = 0;
    this.lastError = undefined;
    this.lastBatchAt = Date.now();
  }

  setLag(lagByPartition: Map<number, number>): void {
    this.lag.reset();
    for (const [p, n] of lagByPartition) this.lag.set({ topic: this.topic, partition: String(p) }, n);
  }

  failed(server: string, message: string): void {
    this.failures.inc({ server });
    this.streak++;
    this.lastError = message;
  }

  /** Healthy while batches succeed; unhealthy after `unhealthyAfter` failed attempts in a row. */
  health(): { healthy: boolean; consecutiveFailures: number; lastBatchAt: string | null; lastError: string | null } {
    return {
      healthy: this.streak < this.unhealthyAfter,
      consecutiveFailures: this.streak,
      lastBatchAt: this.lastBatchAt === undefined ? null : new Date(this.lastBatchAt).toISOString(),
      lastError: this.lastError ?? null,
    };
  }
}
