/**
 * W2's latency by windows of record time: each batch's histograms go to the window its oldest record
 * falls in, counted from the start of the load. Pure.
 */
import { count, merge, quantile, type Histogram } from '../pipeline/histogram.js';

/** A batch's latency histograms, and the Kafka timestamp of its oldest record (epoch ms; null if none). */
export interface BatchLatency {
  recordMin: number | null;
  latency: Histogram;
  commitLatency: Histogram;
}

export interface Quantiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface LatencyWindow {
  /** seconds of record time since the load started: [fromS, toS) */
  fromS: number;
  toS: number;
  /** records of the batches in the window */
  events: number;
  /** record timestamp -> write acknowledged */
  writtenMs: Quantiles;
  /** record timestamp -> the batch's offsets committed */
  committedMs: Quantiles;
}

/** p50/p95/p99/max of a histogram, ms to a tenth; nulls when it is empty. */
export function quantiles(h: Map<number, number>): Quantiles {
  const q = (x: number) => {
    const v = quantile(h, x);
    return v === undefined ? null : Math.round(v * 10) / 10;
  };
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) };
}

/**
 * The windows of `windowS` seconds over a load of `loadS` seconds from `startMs` (epoch ms); the last
 * one is shorter when `loadS` is no multiple, and a window with no batch is there, empty. A batch
 * counts in the first window if its records are older than the start (none are, past the warm-up), in
 * the last if they are newer than the load's end (a producer running a few ms late); one without
 * records in none.
 */
export function latencyWindows(batches: BatchLatency[], startMs: number, loadS: number, windowS = 10): LatencyWindow[] {
  const n = Math.max(1, Math.ceil(loadS / windowS));
  const acc = Array.from({ length: n }, () => ({
    written: new Map<number, number>(),
    committed: new Map<number, number>(),
  }));
  for (const b of batches) {
    if (b.recordMin === null) continue;
    const w = acc[Math.min(n - 1, Math.max(0, Math.floor((b.recordMin - startMs) / (windowS * 1000))))]!;
    merge(w.written, b.latency);
    merge(w.committed, b.commitLatency);
  }
  return acc.map((w, i) => ({
    fromS: i * windowS,
    toS: Math.min((i + 1) * windowS, loadS),
    events: count(w.written),
    writtenMs: quantiles(w.written),
    committedMs: quantiles(w.committed),
  }));
}
