import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bucketUpper, merge, quantile, type Histogram } from '../pipeline/histogram.js';
import { readTicks } from './cpu.js';
import type { BatchLatency } from './windows.js';

const BIN = fileURLToPath(new URL('../../bin/loginsync.js', import.meta.url));

export interface ChildRun {
  code: number | null;
  wallMs: number;
  /** peak resident memory (VmHWM), bytes; 0 where /proc is not available */
  peakRssBytes: number;
  /** its CPU (utime + stime, of what it waited for too) at the last sample, clock ticks; 0 without /proc */
  cpuTicks: number;
  stderr: string;
}

function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples a process every 100 ms while it lives: its peak RSS and its CPU ticks, the last read kept. */
function sampler(pid: number | undefined): { peak: number; ticks: number; stop(): void } {
  const s = { peak: 0, ticks: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    if (pid === undefined) return;
    s.peak = Math.max(s.peak, peakRss(pid));
    s.ticks = readTicks(pid, true) ?? s.ticks;
  }, 100);
  if (pid === undefined) s.stop();
  return s;
}

/**
 * Runs `loginsync run ...` as its own process, the way a user does, timing it from spawn to exit and
 * sampling its peak RSS and CPU. `control` may signal it (for runs that do not end by themselves).
 */
export function runChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  control?: (child: { pid: number; kill(sig: NodeJS.Signals): void }) => Promise<void>,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'run', ...args], {
      env: { ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const sampled = sampler(child.pid);
    child.on('error', reject);
    child.on('close', (code) => {
      sampled.stop();
      resolve({ code, wallMs: performance.now() - t0, peakRssBytes: sampled.peak, cpuTicks: sampled.ticks, stderr });
    });
    if (control && child.pid) {
      const pid = child.pid;
      control({ pid, kill: (sig) => child.kill(sig) }).catch(reject);
    }
  });
}

/** A `loginsync run` started in the background, to be killed at will. */
export interface Background {
  pid: number;
  kill(sig: NodeJS.Signals): void;
  exited: Promise<number | null>;
  stderr(): string;
  /** its CPU at the last sample, clock ticks (see ChildRun) */
  cpuTicks(): number;
}

export function spawnRun(args: string[], env: NodeJS.ProcessEnv): Background {
  const child = spawn(process.execPath, [BIN, 'run', ...args], {
    env: { ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const sampled = sampler(child.pid);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      sampled.stop();
      resolve(code);
    }),
  );
  if (child.pid === undefined) {
    sampled.stop();
    throw new Error('could not start loginsync run');
  }
  return {
    pid: child.pid,
    kill: (sig) => child.kill(sig),
    exited,
    stderr: () => stderr,
    cpuTicks: () => sampled.ticks,
  };
}

export interface ProgressTotals {
  batches: number;
  input: number;
  written: number;
  stageMs: Record<string, number>;
  batchMs: number[];
  /** record timestamp -> write acknowledged, merged over the batches */
  latency: Map<number, number>;
  /** record timestamp -> the batch committed, merged over the batches */
  commitLatency: Map<number, number>;
  /** each batch's own latencies, by its oldest record's timestamp (for windows of record time) */
  perBatch: BatchLatency[];
}

interface ProgressLine {
  numInputRows: number;
  durationMs: Record<string, number>;
  loginsync: {
    written: number;
    latencyHistogram: Histogram;
    commitLatencyHistogram?: Histogram;
    recordTimestamps?: { min: string; max: string } | null;
  };
}

/** Adds up the progress objects a run wrote. */
export function progressLines(file: string): string[] {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
    : [];
}

/** Adds up the progress objects a run wrote, after the first `skip` (warm-up) batches. */
export function readProgress(file: string, skip = 0): ProgressTotals {
  const t: ProgressTotals = {
    batches: 0,
    input: 0,
    written: 0,
    stageMs: {},
    batchMs: [],
    latency: new Map(),
    commitLatency: new Map(),
    perBatch: [],
  };
  for (const line of progressLines(file).slice(skip)) {
    const o = JSON.parse(line) as ProgressLine;
    t.batches++;
    t.input += o.numInputRows;
    t.written += o.loginsync.written;
    for (const [k, v] of Object.entries(o.durationMs)) t.stageMs[k] = (t.stageMs[k] ?? 0) + v;
    t.batchMs.push(o.durationMs.triggerExecution ?? 0);
    const commitLatency = o.loginsync.commitLatencyHistogram ?? {};
    merge(t.latency, o.loginsync.latencyHistogram);
    merge(t.commitLatency, commitLatency);
    const min = o.loginsync.recordTimestamps?.min;
    t.perBatch.push({
      recordMin: min === undefined ? null : Date.parse(min),
      latency: o.loginsync.latencyHistogram,
      commitLatency,
    });
  }
  return t;
}

export function percentiles(h: Map<number, number>): { p50: number | null; p95: number | null; p99: number | null } {
  const q = (x: number) => {
    const v = quantile(h, x);
    return v === undefined ? null : Math.round(v * 10) / 10;
  };
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99) };
}

/**
 * A merged latency histogram as [upper bound of the bucket in ms, events in it], ascending. The buckets
 * are log-spaced, each about 2% wider than the one before: a bucket's lower bound is its upper / 1.02.
 */
export function histogramPairs(h: Map<number, number>): Array<[number, number]> {
  return [...h].sort((x, y) => x[0] - y[0]).map(([b, n]) => [Math.round(bucketUpper(b) * 100) / 100, n]);
}

export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
