import { describe, expect, it } from 'vitest';
import { ESTIMATE_TTL_MS, JoinPlanner, MIN_SCAN_KEYS, SCAN_SHARE } from '../../src/cassandra/join-way.js';
import { sampleRanges, tokenRanges } from '../../src/cassandra/scan.js';

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

describe('token ranges', () => {
  it('cut the whole ring into consecutive ranges: (MIN, ...], each starting where the last ended, up to MAX', () => {
    for (const n of [1, 2, 7, 16]) {
      const r = tokenRanges(n);
      expect(r).toHaveLength(n);
      expect(r[0]![0]).toBe(MIN);
      expect(r.at(-1)![1]).toBe(MAX);
      for (let i = 1; i < n; i++) expect(r[i]![0]).toBe(r[i - 1]![1]);
      for (const [a, b] of r) expect(b > a).toBe(true);
    }
  });

  it('are of nearly equal width', () => {
    const widths = tokenRanges(16).map(([a, b]) => b - a);
    const spread = widths.reduce((m, w) => (w > m ? w : m), 0n) - widths.reduce((m, w) => (w < m ? w : m), widths[0]!);
    expect(spread < 16n).toBe(true);
  });

  it('refuse a count that is not a positive whole number', () => {
    expect(() => tokenRanges(0)).toThrow(/not a positive whole number/);
    expect(() => tokenRanges(1.5)).toThrow(/not a positive whole number/);
  });

  it('a sample is a fraction of the ring in evenly spread pieces, inside it and apart', () => {
    const s = sampleRanges(1 / 64, 8);
    expect(s).toHaveLength(8);
    const total = s.reduce((sum, [a, b]) => sum + (b - a), 0n);
    const ring = MAX - MIN;
    expect(Number(total) / Number(ring)).toBeCloseTo(1 / 64, 4);
    for (let i = 0; i < s.length; i++) {
      expect(s[i]![0] >= MIN && s[i]![1] <= MAX).toBe(true);
      if (i > 0) expect(s[i]![0] > s[i - 1]![1]).toBe(true);
    }
    expect(() => sampleRanges(0, 8)).toThrow(/fraction/);
  });
});

describe('join planner', () => {
  it('looks small batches up without estimating the table', () => {
    const p = new JoinPlanner('auto');
    expect(p.needsEstimate(MIN_SCAN_KEYS - 1)).toBe(false);
    expect(p.choose(MIN_SCAN_KEYS - 1)).toBe('lookup');
  });

  it('estimates the table for a large batch, then scans when the batch holds the share that pays, and looks up otherwise', () => {
    const p = new JoinPlanner('auto');
    expect(p.needsEstimate(50_000)).toBe(true);
    expect(p.choose(50_000)).toBe('lookup'); // nothing known yet: the safe way
    p.learn(100_000);
    expect(p.needsEstimate(50_000)).toBe(false);
    expect(p.choose(SCAN_SHARE * 100_000)).toBe('scan');
    expect(p.choose(SCAN_SHARE * 100_000 - 1)).toBe('lookup');
    p.learn(10_000_000);
    expect(p.choose(100_000)).toBe('lookup');
  });

  it('tells from how many keys a batch is scanned: the read-ahead stops short of it', () => {
    const p = new JoinPlanner('auto');
    expect(p.scanFrom()).toBe(MIN_SCAN_KEYS);
    p.learn(100_000);
    expect(p.scanFrom()).toBe(SCAN_SHARE * 100_000);
    expect(p.choose(p.scanFrom())).toBe('scan');
    expect(p.choose(p.scanFrom() - 1)).toBe('lookup');
    p.learn(1_000);
    expect(p.scanFrom()).toBe(MIN_SCAN_KEYS);
    expect([new JoinPlanner('lookup').scanFrom(), new JoinPlanner('scan').scanFrom()]).toEqual([Infinity, 0]);
  });

  it('makes the estimate again once it is old', () => {
    let now = 0;
    const p = new JoinPlanner('auto', () => now);
    p.learn(100_000);
    now += ESTIMATE_TTL_MS;
    expect(p.needsEstimate(MIN_SCAN_KEYS)).toBe(false);
    now += 1;
    expect(p.needsEstimate(MIN_SCAN_KEYS)).toBe(true);
  });

  it('a strategy given by the user is kept whatever the sizes, and needs no estimate', () => {
    for (const way of ['lookup', 'scan'] as const) {
      const p = new JoinPlanner(way);
      expect(p.needsEstimate(1_000_000)).toBe(false);
      expect(p.choose(1)).toBe(way);
      expect(p.choose(1_000_000)).toBe(way);
    }
  });
});
