import { describe, expect, it } from 'vitest';
import { latencyWindows, quantiles, type BatchLatency } from '../../src/bench/windows.js';
import { record, toJson, type Histogram } from '../../src/pipeline/histogram.js';

const hist = (...ms: number[]): Histogram => {
  const h = new Map<number, number>();
  for (const x of ms) record(h, x);
  return toJson(h);
};
const batch = (recordMin: number | null, written: number[], committed: number[]): BatchLatency => ({
  recordMin,
  latency: hist(...written),
  commitLatency: hist(...committed),
});

const START = Date.UTC(2025, 0, 1);

describe('W2 windows of record time', () => {
  it('puts each batch in the window of its oldest record, from the start of the load', () => {
    const ws = latencyWindows(
      [
        batch(START, [10, 12], [15, 16]),
        batch(START + 9_999, [30], [40]),
        batch(START + 10_000, [5], [7]),
        batch(START + 25_500, [100, 8], [110, 9]),
      ],
      START,
      30,
    );
    expect(ws.map((w) => [w.fromS, w.toS, w.events])).toEqual([
      [0, 10, 3],
      [10, 20, 1],
      [20, 30, 2],
    ]);
    // the bucket bounds are about 2% wide: the values come back a little above what went in
    expect(ws[0]!.writtenMs.max).toBeGreaterThanOrEqual(30);
    expect(ws[0]!.writtenMs.max).toBeLessThan(31);
    expect(ws[0]!.committedMs.p50).toBeGreaterThanOrEqual(16);
    expect(ws[0]!.committedMs.p50).toBeLessThan(16.5);
    expect(ws[2]!.committedMs.max).toBeGreaterThanOrEqual(110);
    expect(ws[2]!.writtenMs.p50).toBeLessThan(8.3);
  });

  it('has every window of the load, empty ones too; the last is shorter when the load is no multiple', () => {
    const ws = latencyWindows([batch(START + 12_000, [3], [4]), batch(START + 31_000, [3], [4])], START, 35);
    expect(ws.map((w) => [w.fromS, w.toS, w.events])).toEqual([
      [0, 10, 0],
      [10, 20, 1],
      [20, 30, 0],
      [30, 35, 1],
    ]);
    expect(ws[0]!.writtenMs).toEqual({ p50: null, p95: null, p99: null, max: null });
    expect(latencyWindows([], START, 3).map((w) => [w.fromS, w.toS, w.events])).toEqual([[0, 3, 0]]);
  });

  it('counts records older than the start in the first window, later than the load in the last; skips batches without records', () => {
    const ws = latencyWindows(
      [batch(START - 500, [3], [4]), batch(START + 20_040, [5], [6]), batch(null, [], [])],
      START,
      20,
    );
    expect(ws.map((w) => [w.fromS, w.toS, w.events])).toEqual([
      [0, 10, 1],
      [10, 20, 1],
    ]);
    expect(latencyWindows([batch(START + 7_000, [3], [4])], START, 10, 5).map((w) => w.events)).toEqual([0, 1]);
  });

  it('reads p50/p95/p99/max off a histogram', () => {
    const h = new Map<number, number>();
    for (let i = 1; i <= 100; i++) record(h, i);
    const q = quantiles(h);
    expect(q.p50).toBeGreaterThanOrEqual(50);
    expect(q.p50).toBeLessThan(51.1);
    expect(q.p99).toBeGreaterThanOrEqual(99);
    expect(q.max).toBeGreaterThanOrEqual(100);
    expect(q.max).toBeLessThan(102);
  });
});
