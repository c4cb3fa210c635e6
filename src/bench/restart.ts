import { sleep } from '../util/sleep.js';
import type { CpuWindow } from './cpu.js';
import { median, progressLines, spawnRun, type Background } from './child.js';
import {
  envFor,
  inWorkspace,
  seeded,
  verify,
  waitForCommitted,
  type BenchContext,
  type Workspace,
} from './scenarios.js';
import { SteadyProducer } from './workload.js';

export interface RestartResult {
  scenario: 'restart';
  users: number;
  rate: number;
  kills: number;
  /** per kill: ms from the kill to the restarted run's first committed batch */
  recoveryMs: number[];
  medianMs: number;
  maxMs: number;
  events: number;
  correct: { ok: boolean; checked: number; wrong: number; example?: string };
  /** CPU-seconds from the first run's start to the last one's exit, every run's together */
  cpu: CpuWindow;
}

/** The first committed batch a run (by its progress runId) wrote after `since` lines; when seen. */
async function firstCommit(
  progressFile: string,
  since: number,
  known: Set<string>,
  run: Background,
  timeoutMs = 120_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void run.exited.then(() => {
    exited = true;
  });
  for (;;) {
    for (const line of progressLines(progressFile).slice(since)) {
      const o = JSON.parse(line) as { runId: string; batchId: number | null };
      if (!known.has(o.runId) && o.batchId !== null) {
        known.add(o.runId);
        return Date.now();
      }
    }
    if (exited) throw new Error(`the restarted run exited: ${run.stderr().trim().split('\n').slice(-2).join(' / ')}`);
    if (Date.now() > deadline) throw new Error(`the restarted run committed nothing within ${timeoutMs / 1000} s`);
    await sleep(20);
  }
}

/** Kill, restart at once, time the first commit; `kills` times. */
async function killCycles(
  ctx: BenchContext,
  w: Workspace,
  kills: number,
): Promise<{ recoveryMs: number[]; runs: Background[] }> {
  const args = [
    '--trigger',
    '0',
    '-k',
    w.n.keyspace,
    '-t',
    w.n.topic,
    '--group',
    w.n.group,
    '--checkpoint',
    w.ckpt,
    '--progress-json',
    w.progressFile,
    '-q',
    ...ctx.runArgs,
  ];
  const known = new Set<string>();
  const recoveryMs: number[] = [];
  let run = spawnRun(args, envFor(ctx));
  const runs = [run];
  await firstCommit(w.progressFile, 0, known, run);
  for (let i = 0; i < kills; i++) {
    // a while after its first commit, mid-stream
    await sleep(1_000 + Math.floor(Math.random() * 2_000));
    const since = progressLines(w.progressFile).length;
    run.kill('SIGKILL');
    const killedAt = Date.now();
    await run.exited;
    run = spawnRun(args, envFor(ctx));
    runs.push(run);
    recoveryMs.push((await firstCommit(w.progressFile, since, known, run)) - killedAt);
    const recoveredS = ((recoveryMs.at(-1) ?? 0) / 1000).toFixed(1);
    ctx.note(`kill ${i + 1}/${kills}: first commit of the restarted run ${recoveredS} s after the kill`);
  }
  return { recoveryMs, runs };
}

/**
 * Crash recovery: `kills` kill -9s of a streaming run under a steady `rate` events/s, each followed by
 * an immediate restart; the time from the kill to the restarted run's first committed batch. The
 * table is checked at the end.
 */
export async function restart(
  ctx: BenchContext,
  o: { users: number; rate: number; kills: number; partitions: number },
): Promise<RestartResult> {
  return inWorkspace(ctx, 'bench_restart', o.users, o.partitions, async (w) => {
    const producer = new SteadyProducer(ctx.kafka, w.n.topic, o.users, o.rate);
    const producing = producer.run();
    producing.catch(() => {});
    let last: Background | undefined;
    try {
      const from = ctx.cpu.mark();
      const cycles = await killCycles(ctx, w, o.kills);
      last = cycles.runs.at(-1)!;
      producer.stop();
      await producing;
      await waitForCommitted(ctx.kafka, w.n.group, w.n.topic, producer.sent, 120_000);
      last.kill('SIGTERM');
      await last.exited;
      const cpu = ctx.cpu.run(from, { sampledTicks: cycles.runs.reduce((sum, r) => sum + r.cpuTicks(), 0) });
      const correct = await verify(ctx.cql, w.n.keyspace, producer.latest, seeded);
      const ms = cycles.recoveryMs;
      return {
        scenario: 'restart',
        users: o.users,
        rate: o.rate,
        kills: o.kills,
        recoveryMs: ms,
        medianMs: median(ms),
        maxMs: Math.max(...ms),
        events: producer.sent,
        correct,
        cpu,
      };
    } finally {
      producer.stop();
      last?.kill('SIGKILL');
    }
  });
}
