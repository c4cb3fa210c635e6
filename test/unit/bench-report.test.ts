import { describe, expect, it } from 'vitest';
import { histogramPairs } from '../../src/bench/child.js';
import { figures, type Cpu, type CpuPart, type CpuWindow } from '../../src/bench/cpu.js';
import { binsOf, int, renderReport, type BenchReport, type BenchResult } from '../../src/bench/report-html.js';
import { esc, linearTicks, logTicks } from '../../src/bench/svg.js';
import { record } from '../../src/pipeline/histogram.js';

/** a CPU window of `loginsync` CPU-seconds, the servers' as given, on 2 cores */
function cpu(wallS: number, loginsync: number, broker: Cpu, cassandra: Cpu, bench = 0.1): CpuWindow {
  return { ...figures(wallS, loginsync, { broker, cassandra }, 2), loginsync, bench };
}
const part = (wallS: number, client: number, broker: Cpu, cassandra: Cpu): CpuPart => ({
  ...figures(wallS, client, { broker, cassandra }, 2),
  client,
});

const drain: BenchResult = {
  scenario: 'drain',
  users: 100_000,
  events: 1_000_000,
  partitions: 2,
  wallMs: 9_870,
  eventsPerSec: 101_317,
  batches: 12,
  stageMs: {
    fetch: 2_500,
    decode: 1_800,
    join: 2_100,
    write: 3_300,
    sideOutputs: 4,
    commit: 60,
    triggerExecution: 8_100,
  },
  peakRssMB: 201,
  baseline: { consumeMs: 2_900, readMs: 1_700, writeMs: 3_600, totalMs: 8_200 },
  ratioToRaw: 1.2,
  speedupVsSpark: 5.22,
  correct: { ok: true, checked: 100_000, wrong: 0 },
  cpu: {
    ...cpu(9.87, 8.6, 2.4, 6.3),
    baseline: {
      consume: part(2.9, 1.7, 1.1, 0),
      read: part(1.7, 0.6, 0, 1.9),
      write: part(3.6, 1.2, 0, 4.4),
      total: part(8.2, 3.5, 1.1, 6.3),
    },
  },
};

const latencies = new Map<number, number>();
for (let i = 0; i < 1000; i++) record(latencies, 3 + (i % 50) * 0.4 + (i === 999 ? 200 : 0));
const latency: BenchResult = {
  scenario: 'latency',
  users: 100_000,
  rate: 1000,
  seconds: 60,
  leadS: 25,
  events: 60_000,
  batches: 6_000,
  medianBatchMs: 9,
  latencyMs: { p50: 13.1, p95: 21.6, p99: 48.7 },
  peakRssMB: 120,
  histogram: histogramPairs(latencies),
  commitLatencyMs: { p50: 15.2, p95: 24.9, p99: 52.3 },
  commitHistogram: histogramPairs(latencies),
  windowS: 10,
  windows: [
    {
      fromS: 0,
      toS: 10,
      events: 10_000,
      writtenMs: { p50: 14, p95: 30, p99: 91.4, max: 120 },
      committedMs: { p50: 16, p95: 33, p99: 97.2, max: 125 },
    },
    {
      fromS: 10,
      toS: 20,
      events: 0,
      writtenMs: { p50: null, p95: null, p99: null, max: null },
      committedMs: { p50: null, p95: null, p99: null, max: null },
    },
    {
      fromS: 20,
      toS: 30,
      events: 10_000,
      writtenMs: { p50: 12, p95: 20, p99: 41.1, max: 60 },
      committedMs: { p50: 14, p95: 23, p99: 44.8, max: 66 },
    },
  ],
  cpu: cpu(61, 12, 'not measured', 30, 8),
};

const tableSize: BenchResult = {
  scenario: 'table-size',
  events: 200_000,
  activeUsers: 10_000,
  ratio: 1.04,
  sizes: [
    { users: 10_000, wallMs: 3_000, joinWriteMs: 1_900, usPerEvent: 9.5, correct: true, cpu: cpu(3, 2, 1, 2) },
    { users: 1_000_000, wallMs: 3_100, joinWriteMs: 1_980, usPerEvent: 9.9, correct: true, cpu: cpu(3.1, 2, 1, 2.2) },
  ],
  cpu: cpu(6.1, 4, 2, 4.2),
};

const restart: BenchResult = {
  scenario: 'restart',
  users: 10_000,
  rate: 1000,
  kills: 3,
  recoveryMs: [1_100, 2_600, 900],
  medianMs: 1_100,
  maxMs: 2_600,
  events: 40_000,
  correct: { ok: true, checked: 10_000, wrong: 0 },
  cpu: cpu(40, 9, 5, 20, 3),
};

function report(results: BenchResult[]): BenchReport {
  return {
    machine: { cpus: 2, cpuModel: 'Fast <b>CPU</b> & "co"', memoryGB: 24, node: 'v20.20.2', platform: 'linux' },
    settings: { brokers: ['127.0.0.1:9092'], cassandra: ['127.0.0.1:9042'] },
    results,
  };
}

const sections = (html: string) => [...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]);

describe('bench HTML report', () => {
  const html = renderReport(report([drain, latency, tableSize, restart]), { at: new Date(Date.UTC(2025, 0, 2, 3, 4)) });

  it('has the machine, the settings and a section with charts for each scenario run', () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('Measured on 2025-01-02 03:04 UTC; scenarios: drain, latency, table-size, restart.');
    for (const s of ['2 × Fast', '24 GB', 'v20.20.2', '127.0.0.1:9092', '127.0.0.1:9042']) expect(html).toContain(s);
    expect(sections(html)).toEqual(['drain', 'latency', 'table-size', 'restart']);
    // drain: time and CPU; latency: histogram, CDF and p99 by window; table-size and restart: one each
    expect(html.match(/<svg /g)).toHaveLength(7);
  });

  it('shows the drain by stage next to the raw parts, with the whole figures', () => {
    const d = html.slice(html.indexOf('<section id="drain"'), html.indexOf('<section id="latency"'));
    for (const s of [
      'fetch (includes decode)',
      'join (read users)',
      'side outputs',
      'commit',
      'consume + JSON.parse',
      'read users (IN lists of 100)',
      'write (batches of 100)',
      'raw parts, one after the other',
    ]) {
      expect(d).toContain(`>${s}</text>`);
    }
    // six stages, three raw parts, three totals (the CPU chart after it)
    expect(d.slice(0, d.indexOf('CPU-seconds per process')).match(/<g class="bar">/g)).toHaveLength(12);
    for (const s of ['9.87 s', '101,317', '1.2×', '5.22×', '201 MB', '3.30 s', '3.60 s']) expect(d).toContain(s);
    expect(d).toContain('100,000 users checked, 0 wrong');
  });

  it('shows the CPU-seconds of each process, for the drain and each raw part, with the floor', () => {
    const d = html.slice(html.indexOf('<section id="drain"'), html.indexOf('<section id="latency"'));
    const chart = d.slice(d.indexOf('CPU-seconds per process'));
    expect(chart).toContain('>run --once (9.87 s wall)</text>');
    for (const g of ['consume + JSON.parse (2.90 s wall)', 'read users (1.70 s wall)', 'write (3.60 s wall)'])
      expect(chart).toContain(`>raw part: ${g}</text>`);
    // a process and two servers in each of the four groups
    expect(chart.match(/<g class="bar">/g)).toHaveLength(12);
    for (const s of ['>8.60 s</text>', '>2.40 s</text>', '>6.30 s</text>', '>4.40 s</text>'])
      expect(chart).toContain(s);
    // the sum 17.3 CPU-s over 2 cores: a floor of 8.65 s, the wall 9.87 s is 1.14x of it
    for (const s of ['17.30 s', 'floor 8.65 s', '1.14×']) expect(d).toContain(s);
  });

  it('says "not measured" for a server elsewhere', () => {
    const l = html.slice(html.indexOf('<section id="latency"'), html.indexOf('<section id="table-size"'));
    expect(l).toContain('<div class="label">CPU: Kafka broker</div><div class="value">not measured</div>');
    expect(l).toContain('<div class="value">42.00 s</div>');
  });

  it('draws the p99 of each window of record time, to the write and to the commit', () => {
    const l = html.slice(html.indexOf('<section id="latency"'), html.indexOf('<section id="table-size"'));
    const chart = l.slice(l.indexOf('p99 latency by 10 s of record time'));
    expect(chart.split('>0–10 s</text>')).toHaveLength(3);
    for (const s of ['>91.4 ms</text>', '>97.2 ms</text>', '>41.1 ms</text>', '>44.8 ms</text>', '>–</text>'])
      expect(chart).toContain(s);
    expect(l).toContain(
      '<div class="label">p99 to the commit</div><div class="value">52.3 ms</div><div class="note">record timestamp → its batch committed; p50 15.2 ms, p95 24.9 ms</div>',
    );
  });

  it('draws the latency distribution as a histogram and a CDF, with the percentiles marked', () => {
    const l = html.slice(html.indexOf('<section id="latency"'), html.indexOf('<section id="table-size"'));
    expect(l).toContain('Latency histogram');
    expect(l).toContain('Cumulative distribution');
    expect(l.match(/<rect [^>]*><title>/g)?.length).toBeGreaterThan(5);
    expect(l).toContain('<polyline');
    for (const p of ['p50 13.1 ms', 'p95 21.6 ms', 'p99 48.7 ms']) expect(l.split(`>${p}</text>`)).toHaveLength(3);
  });

  it('shows table sizes and recoveries as bars, with their ratio and median', () => {
    expect(html).toContain('large / small = 1.04×');
    expect(html).toContain('>9.9 µs/event</text>');
    expect(html).toContain('>table of 1,000,000 rows</text>');
    for (const s of ['>kill 1</text>', '>kill 3</text>', '>2.6 s</text>', '>median 1.1 s</text>'])
      expect(html).toContain(s);
  });

  it('loads nothing: no script, no URL, no link; text is escaped', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|url\(|@import/i);
    // the only "http" is the meta tag that forbids loading anything (Content-Security-Policy)
    expect(html.replace('<meta http-equiv="Content-Security-Policy"', '')).not.toMatch(/http/i);
    expect(html).toContain("content=\"default-src 'none'; style-src 'unsafe-inline'\"");
    expect(html).not.toContain('<b>');
    expect(html).toContain('Fast &lt;b&gt;CPU&lt;/b&gt; &amp; &quot;co&quot;');
  });

  it('has only the scenarios that ran', () => {
    const only = renderReport(report([drain]));
    expect(sections(only)).toEqual(['drain']);
    expect(only).not.toContain('Latency');
    expect(only).not.toContain('id="latency"');
    expect(only).toContain('scenarios: drain.');
  });

  it('says so when a latency run recorded nothing', () => {
    const none = renderReport(
      report([
        {
          ...latency,
          events: 0,
          latencyMs: { p50: null, p95: null, p99: null },
          histogram: [],
          windows: [],
        } as BenchResult,
      ]),
    );
    expect(none).toContain('No latency was recorded');
    expect(none).not.toContain('<svg');
  });
});

describe('report helpers', () => {
  it('keeps every event when it joins histogram buckets into bins, and the bins tile the range', () => {
    const pairs = histogramPairs(latencies);
    expect(pairs.reduce((s, [, n]) => s + n, 0)).toBe(1000);
    expect(pairs.map(([u]) => u)).toEqual([...pairs.map(([u]) => u)].sort((a, b) => a - b));
    const bins = binsOf(pairs, 10);
    expect(bins.length).toBeLessThanOrEqual(10);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(1000);
    for (let i = 1; i < bins.length; i++) expect(bins[i]!.lo).toBeCloseTo(bins[i - 1]!.hi, 9);
    expect(bins[0]!.lo).toBeLessThanOrEqual(3);
    expect(bins.at(-1)!.hi).toBeGreaterThanOrEqual(222.6);
  });

  it('makes ticks and escapes', () => {
    expect(linearTicks(9_870)).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(linearTicks(0)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(logTicks(3, 230)).toEqual([2, 5, 10, 20, 50, 100, 200, 500]);
    expect(int(1234567.4)).toBe('1,234,567');
    expect(esc(`<a href='x'>&</a>`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
  });
});
