import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

/** The bench's behaviour on a small workload: it runs each scenario, checks the table, prints figures. */
describe('loginsync bench', () => {
  it('drain: runs loginsync run --once on a generated backlog and checks every user', async () => {
    const r = await runCli(['bench', '--scenario', 'drain', '--users', '2000', '--events', '20000', '--json'], { timeoutMs: 240_000 });
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { results: Array<Record<string, unknown>> };
    const d = report.results[0] as { scenario: string; events: number; batches: number; eventsPerSec: number; peakRssMB: number; correct: { ok: boolean; checked: number; wrong: number }; baseline: { totalMs: number }; stageMs: Record<string, number> };
    expect(d.scenario).toBe('drain');
    expect(d.events).toBe(20000);
    expect(d.correct).toMatchObject({ ok: true, checked: 2000, wrong: 0 });
    expect(d.batches).toBeGreaterThanOrEqual(1);
    expect(d.eventsPerSec).toBeGreaterThan(0);
    expect(d.baseline.totalMs).toBeGreaterThan(0);
    expect(Object.keys(d.stageMs)).toEqual(expect.arrayContaining(['fetch', 'decode', 'join', 'write', 'commit']));
  });

  it('latency and table-size: report percentiles and per-event cost, with the table checked', async () => {
    const r = await runCli(['bench', '--scenario', 'latency', '--users', '1000', '--rate', '200', '--seconds', '3'], { timeoutMs: 240_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/produce -> written p99 +│ [\d.]+ ms/);
    expect(r.stdout).toMatch(/events processed +│ 600 /);
    const t = await runCli(['bench', '--scenario', 'table-size', '--events', '5000', '--large-table', '20000', '--json'], { timeoutMs: 240_000 });
    expect(t.code).toBe(0);
    const size = (JSON.parse(t.stdout) as { results: Array<{ sizes: Array<{ users: number; correct: boolean }> }> }).results[0]!;
    expect(size.sizes.map((z) => [z.users, z.correct])).toEqual([[10000, true], [20000, true]]);
  });

  it('restart: kills the run and restarts it, times each recovery, and checks the table', async () => {
    const r = await runCli(['bench', '--scenario', 'restart', '--users', '1000', '--rate', '200', '--kills', '2', '--json'], { timeoutMs: 240_000 });
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    const x = (JSON.parse(r.stdout) as { results: Array<{ scenario: string; kills: number; recoveryMs: number[]; medianMs: number; maxMs: number; events: number; correct: { ok: boolean; checked: number } }> }).results[0]!;
    expect(x).toMatchObject({ scenario: 'restart', kills: 2, correct: { ok: true, checked: 1000 } });
    expect(x.recoveryMs).toHaveLength(2);
    expect(x.maxMs).toBe(Math.max(...x.recoveryMs));
    expect(x.events).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/kill 2\/2: first commit of the restarted run [\d.]+ s after the kill/);
  });
});
