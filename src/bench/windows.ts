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
  const q = (x: number) => { const v = quantile(h, x); return v === undefined ? null : Math.round(v * 10) / 10; };
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) };
}

/**
 * The windows of `windowS` seconds from `startMs` (the load's start, epoch ms) up to the last batch's;
 * a window with no batch is there, empty. A batch with records older than the start (none, past the
 * warm-up) counts in the first window; one without records in none.
 */
export function latencyWindows(batches: BatchLatency[], startMs: number, windowS = 10): LatencyWindow[] {
  const acc: Array<{ written: Map<number, number>; committed: Map<number, number> }> = [];
  for (const b of batches) {
    if (b.recordMin === null) continue;
    const i = Math.max(0, Math.floor((b.recordMin - startMs) / (windowS * 1000)));
    for (let k = acc.length; k <= i; k++) acc.push({ written: new Map(), committed: new Map() });
    merge(acc[i]!.written, b.latency);
    merge(acc[i]!.committed, b.commitLatency);
  }
  return acc.map((w, i) => ({
    fromS: i * windowS, toS: (i + 1) * windowS, events: count(w.written),
    writtenMs: quantiles(w.written), committedMs: quantiles(w.committed),
  }));
}
