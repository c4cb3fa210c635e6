import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { requireChromium, screenshot, watchedPage } from '../support/browser.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ls-bench-'));
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Opens a report as a file in Chromium; nothing but the file may be requested, and nothing may fail. */
async function openReport(file: string): Promise<{ page: Page; done(): void }> {
  requireChromium('bench report');
  const watched = await watchedPage((url) => url.protocol === 'file:');
  ({ browser } = watched);
  const { page, requests, elsewhere, errors } = watched;
  const url = pathToFileURL(file).href;
  await page.goto(url);
  return {
    page,
    done() {
      expect(elsewhere).toEqual([]);
      expect(requests).toEqual([url]);
      expect(errors).toEqual([]);
    },
  };
}

/** CPU-seconds of a server: a number where it is found on this machine, "not measured" where not. */
const serverCpu = (x: unknown) => (typeof x === 'number' ? x >= 0 : x === 'not measured');

interface Cpu {
  loginsync?: number;
  client?: number;
  broker: unknown;
  cassandra: unknown;
  sum: number;
  cores: number;
  floorS: number;
  wallS: number;
  wallToFloor: number;
}

/** a CPU window: the run's (or the raw part's client's) CPU-seconds, the servers', their sum and floor */
function expectCpu(w: Cpu, client: 'loginsync' | 'client' = 'loginsync'): void {
  expect(w[client]).toBeGreaterThan(0);
  expect(serverCpu(w.broker)).toBe(true);
  expect(serverCpu(w.cassandra)).toBe(true);
  expect(w.sum).toBeGreaterThanOrEqual(w[client]!);
  expect(w.cores).toBeGreaterThanOrEqual(1);
  expect(w.floorS).toBeCloseTo(w.sum / w.cores, 1);
  expect(w.wallS).toBeGreaterThan(0);
}

const sectionsOf = (page: Page) => page.locator('section').evaluateAll((ss) => ss.map((s) => s.id));
/** the widths the bars (or histogram columns) of a section's charts are drawn with, in pixels */
const barWidths = (page: Page, sel: string) =>
  page.locator(sel).evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().width));

/** The bench's behaviour on a small workload: it runs each scenario, checks the table, prints figures. */
describe('loginsync bench', () => {
  it('drain: runs loginsync run --once on a generated backlog and checks every user; the HTML report shows it', async () => {
    const html = join(dir, 'drain.html');
    const r = await runCli(
      ['bench', '--scenario', 'drain', '--users', '2000', '--events', '20000', '--json', '--html', html],
      { timeoutMs: 240_000 },
    );
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`HTML report written to ${html}`);
    const report = JSON.parse(r.stdout) as { results: Array<Record<string, unknown>> };
    const d = report.results[0] as {
      scenario: string;
      events: number;
      batches: number;
      eventsPerSec: number;
      peakRssMB: number;
      correct: { ok: boolean; checked: number; wrong: number };
      baseline: { totalMs: number };
      stageMs: Record<string, number>;
      cpu: Cpu & { baseline: Record<string, Cpu> };
    };
    expect(d.scenario).toBe('drain');
    expect(d.events).toBe(20000);
    expect(d.correct).toMatchObject({ ok: true, checked: 2000, wrong: 0 });
    expect(d.batches).toBeGreaterThanOrEqual(1);
    expect(d.eventsPerSec).toBeGreaterThan(0);
    expect(d.baseline.totalMs).toBeGreaterThan(0);
    expect(Object.keys(d.stageMs)).toEqual(expect.arrayContaining(['fetch', 'decode', 'join', 'write', 'commit']));
    expectCpu(d.cpu);
    expect(d.cpu.wallToFloor).toBeGreaterThan(0);
    expect(Object.keys(d.cpu.baseline)).toEqual(['consume', 'read', 'write', 'total']);
    for (const part of Object.values(d.cpu.baseline)) expectCpu(part, 'client');

    const { page, done } = await openReport(html);
    expect(await sectionsOf(page)).toEqual(['drain']);
    // time by stage, and CPU-seconds per process
    expect(await page.locator('#drain svg').count()).toBe(2);
    // the stages, the three raw parts and three totals, nearly all of them visible
    const widths = await page
      .locator('#drain svg')
      .first()
      .locator('g.bar rect')
      .evaluateAll((rs) => rs.map((r) => r.getBoundingClientRect().width));
    expect(widths.length).toBe(Object.keys(d.stageMs).length - 1 + 3 + 3);
    expect(widths.filter((w) => w > 0).length).toBeGreaterThanOrEqual(8);
    const text = await page.locator('#drain').innerText();
    expect(text).toContain('2,000 users checked, 0 wrong');
    expect(text).toContain(d.eventsPerSec.toLocaleString('en-US'));
    for (const s of [
      'fetch (includes decode)',
      'consume + JSON.parse',
      'raw parts, one after the other',
      'CPU-seconds per process',
      'wall / CPU floor',
    ])
      expect(text).toContain(s);
    // the run and the raw parts, three processes each
    expect(await page.locator('#drain svg').nth(1).locator('g.bar').count()).toBe(12);
    expect(await page.locator('header').innerText()).toMatch(/CPUs\s+\d+ ×/);
    await screenshot(page, 'bench-report.png', 'bench report');
    done();
  });

  it('latency and table-size: report percentiles and per-event cost, with the table checked', async () => {
    const html = join(dir, 'latency.html');
    const json = join(dir, 'latency.json');
    const r = await runCli(
      [
        'bench',
        '--scenario',
        'latency',
        '--users',
        '1000',
        '--rate',
        '200',
        '--seconds',
        '3',
        '--lead',
        '2',
        '--html',
        html,
        '--out',
        json,
      ],
      { timeoutMs: 240_000 },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/produce -> written p99 +│ [\d.]+ ms/);
    expect(r.stdout).toMatch(/events processed +│ 600 /);
    expect(r.stdout).toMatch(/produce -> committed p50\/p95\/p99 +│ [\d.]+ \/ [\d.]+ \/ [\d.]+ ms/);
    expect(r.stdout).toMatch(
      / {2}0-3 s +│ [\d.]+ \/ [\d.]+ \/ [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \/ [\d.]+ +│ \d+ events/,
    );
    expect(r.stdout).toMatch(
      /CPU +│ loginsync [\d.]+ \+ broker ([\d.]+|not measured) \+ Cassandra ([\d.]+|not measured) = [\d.]+ CPU-s/,
    );
    type Quantiles = Record<'p50' | 'p95' | 'p99' | 'max', number | null>;
    const lat = (
      JSON.parse(readFileSync(json, 'utf8')) as {
        results: Array<{
          commitLatencyMs: Record<string, number | null>;
          windowS: number;
          windows: Array<{ fromS: number; toS: number; events: number; writtenMs: Quantiles; committedMs: Quantiles }>;
          cpu: Cpu;
        }>;
      }
    ).results[0]!;
    expectCpu(lat.cpu);
    expect(lat.commitLatencyMs.p99).toBeGreaterThan(0);
    expect(lat.windowS).toBe(10);
    // a 3 s load: one window, as long as the load
    expect(lat.windows.map((w) => [w.fromS, w.toS])).toEqual([[0, 3]]);
    expect(lat.windows.reduce((sum, w) => sum + w.events, 0)).toBe(600);
    for (const w of lat.windows.filter((x) => x.events > 0)) {
      // to the commit includes the write: at least as long, record for record (in buckets 2% wide)
      expect(w.committedMs.max!).toBeGreaterThanOrEqual(w.writtenMs.max! / 1.03);
      expect(w.writtenMs.p99!).toBeGreaterThan(0);
    }

    const { page, done } = await openReport(html);
    expect(await sectionsOf(page)).toEqual(['latency']);
    // a histogram and a CDF, each with the three percentiles marked; the p99 by window
    expect(await page.locator('#latency svg').count()).toBe(3);
    expect((await barWidths(page, '#latency svg rect')).filter((w) => w > 0).length).toBeGreaterThan(0);
    expect(await page.locator('#latency svg polyline').count()).toBe(1);
    const marks = await page.locator('#latency svg .mark-label').allTextContents();
    expect(marks).toHaveLength(6);
    const p99 = /produce -> written p99 +│ ([\d.]+) ms/.exec(r.stdout)![1]!;
    expect(marks).toContain(Number(p99) >= 1000 ? `p99 ${(Number(p99) / 1000).toFixed(2)} s` : `p99 ${p99} ms`);
    await screenshot(page, 'bench-report-latency.png', 'bench latency report');
    done();

    const t = await runCli(
      [
        'bench',
        '--scenario',
        'table-size',
        '--events',
        '5000',
        '--large-table',
        '20000',
        '--json',
        '--html',
        join(dir, 'size.html'),
      ],
      { timeoutMs: 240_000 },
    );
    expect(t.code).toBe(0);
    const size = (
      JSON.parse(t.stdout) as {
        results: Array<{ sizes: Array<{ users: number; correct: boolean; cpu: Cpu }>; cpu: Cpu }>;
      }
    ).results[0]!;
    expect(size.sizes.map((z) => [z.users, z.correct])).toEqual([
      [10000, true],
      [20000, true],
    ]);
    for (const z of size.sizes) expectCpu(z.cpu);
    expectCpu(size.cpu);
    expect(size.cpu.loginsync).toBeCloseTo(size.sizes[0]!.cpu.loginsync! + size.sizes[1]!.cpu.loginsync!, 1);
    const sizeHtml = readFileSync(join(dir, 'size.html'), 'utf8');
    expect(sizeHtml).toContain('<section id="table-size">');
    expect(sizeHtml).toContain('>table of 20,000 rows</text>');
  });

  it('restart: kills the run and restarts it, times each recovery, and checks the table', async () => {
    const r = await runCli(
      [
        'bench',
        '--scenario',
        'restart',
        '--users',
        '1000',
        '--rate',
        '200',
        '--kills',
        '2',
        '--json',
        '--html',
        join(dir, 'restart.html'),
      ],
      { timeoutMs: 240_000 },
    );
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    const x = (
      JSON.parse(r.stdout) as {
        results: Array<{
          scenario: string;
          kills: number;
          recoveryMs: number[];
          medianMs: number;
          maxMs: number;
          events: number;
          correct: { ok: boolean; checked: number };
          cpu: Cpu;
        }>;
      }
    ).results[0]!;
    expectCpu(x.cpu);
    expect(x).toMatchObject({ scenario: 'restart', kills: 2, correct: { ok: true, checked: 1000 } });
    expect(x.recoveryMs).toHaveLength(2);
    expect(x.maxMs).toBe(Math.max(...x.recoveryMs));
    expect(x.events).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/kill 2\/2: first commit of the restarted run [\d.]+ s after the kill/);
    const html = readFileSync(join(dir, 'restart.html'), 'utf8');
    expect(html).toContain('<section id="restart">');
    expect(html).toContain('>kill 2</text>');
  });

  it('access: every way of reading and writing the users, each with its CPU per key, and a chart of them', async () => {
    const r = await runCli(
      ['bench', '--scenario', 'access', '--users', '600', '--json', '--html', join(dir, 'access.html')],
      { timeoutMs: 240_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const x = (
      JSON.parse(r.stdout) as {
        results: Array<{
          scenario: string;
          users: number;
          figures: Array<{
            kind: string;
            pattern: string;
            keys: number;
            cpu: Cpu;
            cassandraUsPerKey: number | null;
            clientUsPerKey: number;
          }>;
        }>;
      }
    ).results[0]!;
    expect(x).toMatchObject({ scenario: 'access', users: 600 });
    expect(x.figures.map((f) => f.pattern)).toEqual(
      expect.arrayContaining(['scan 16 ranges x4', 'IN-20 x16', 'point x64', 'batch-50 x8', 'single x64']),
    );
    expect(new Set(x.figures.map((f) => f.kind))).toEqual(new Set(['read', 'write']));
    for (const f of x.figures) {
      expect(f.keys).toBe(600);
      expect(f.clientUsPerKey).toBeGreaterThanOrEqual(0);
      if (typeof f.cpu.cassandra === 'number')
        expect(f.cassandraUsPerKey).toBeCloseTo((f.cpu.cassandra * 1e6) / 600, 0);
      else expect(f.cassandraUsPerKey).toBeNull();
    }
    const html = readFileSync(join(dir, 'access.html'), 'utf8');
    expect(html).toContain('<section id="access">');
    expect(html).toContain('>IN-20 x16</text>');
  });

  it('--html in a directory that is not there: a one-line error before anything is measured', async () => {
    const r = await runCli(['bench', '--html', join(dir, 'no-such-dir', 'r.html')], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `error: --html ${join(dir, 'no-such-dir', 'r.html')}: there is no directory ${join(dir, 'no-such-dir')}`,
    );
    expect(r.stdout).toBe('');
  });
});
