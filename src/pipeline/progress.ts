import type { BatchReport, RunListener } from './events.js';
import { merge, quantile, type Histogram } from './histogram.js';

/** p50/p99/max of a batch's latency histogram (produce to write, or to commit). */
export function latencySummary(h: Histogram): { p50: number | null; p99: number | null; max: number | null } {
  const m = new Map<number, number>();
  merge(m, h);
  const r = (q: number) => {
    const v = quantile(m, q);
    return v === undefined ? null : Math.round(v);
  };
  return { p50: r(0.5), p99: r(0.99), max: r(1) };
}

/**
 * A Spark-style progress object (StreamingQueryProgress) for one batch, with loginsync's own counts:
 * tools that read Spark's progress find the fields they know.
 */
export function progressObject(
  r: BatchReport,
  ctx: { runId: string; topic: string; group: string; prevEndMs?: number },
): Record<string, unknown> {
  const start: Record<string, number> = {};
  const end: Record<string, number> = {};
  for (const [p, [from, to]] of r.offsets) {
    start[String(p)] = from;
    end[String(p)] = to + 1;
  }
  const secs = r.totalMs / 1000;
  const sinceLast = ctx.prevEndMs !== undefined ? (r.startedAt.getTime() + r.totalMs - ctx.prevEndMs) / 1000 : secs;
  return {
    id: ctx.group,
    runId: ctx.runId,
    name: 'loginsync',
    timestamp: r.startedAt.toISOString(),
    batchId: r.batchId,
    numInputRows: r.input,
    inputRowsPerSecond: sinceLast > 0 ? round(r.input / sinceLast) : 0,
    processedRowsPerSecond: secs > 0 ? round(r.input / secs) : 0,
    durationMs: {
      fetch: Math.round(r.durationMs.fetch),
      decode: Math.round(r.durationMs.decode),
      join: Math.round(r.durationMs.join),
      write: Math.round(r.durationMs.write),
      sideOutputs: Math.round(r.durationMs.sideOutputs),
      commit: Math.round(r.commitMs),
      triggerExecution: Math.round(r.totalMs),
    },
    sources: [
      {
        description: `KafkaV2[Subscribe[${ctx.topic}]]`,
        startOffset: { [ctx.topic]: start },
        endOffset: { [ctx.topic]: end },
        numInputRows: r.input,
      },
    ],
    sink: { description: 'loginsync last_login writer', numOutputRows: r.written },
    loginsync: {
      malformed: r.malformed,
      unmatched: r.unmatched,
      stale: r.stale,
      written: r.written,
      distinctIds: r.distinct,
      lag: r.lag,
      join: r.join,
      readAhead: r.readAhead,
      malformedReasons: Object.fromEntries(r.reasons),
      latencyMs: latencySummary(r.latency),
      latencyHistogram: r.latency,
      commitLatencyMs: latencySummary(r.commitLatency),
      commitLatencyHistogram: r.commitLatency,
      recordTimestamps: r.recordTimes && {
        min: new Date(r.recordTimes.min).toISOString(),
        max: new Date(r.recordTimes.max).toISOString(),
      },
    },
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * The progress file as a listener of the run: one Spark-style progress object per batch, as a JSON line
 * handed to `write` (a file's append, or stdout).
 */
export function progressWriter(
  ctx: { runId: string; topic: string; group: string },
  write: (line: string) => void,
): RunListener {
  let prevEnd: number | undefined;
  return (e) => {
    if (e.type !== 'batch-done') return;
    const r = e.report;
    const obj = progressObject(r, { ...ctx, ...(prevEnd !== undefined ? { prevEndMs: prevEnd } : {}) });
    prevEnd = r.startedAt.getTime() + r.totalMs;
    write(JSON.stringify(obj) + '\n');
  };
}
