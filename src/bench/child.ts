import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bucketUpper, merge, quantile } from '../pipeline/histogram.js';

const BIN = fileURLToPath(new URL('../../bin/loginsync.js', import.meta.url));

export interface ChildRun {
  code: number | null;
  wallMs: number;
  /** peak resident memory (VmHWM), bytes; 0 where /proc is not available */
  peakRssBytes: number;
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

/**
 * Runs `loginsync run ...` as its own process, the way a user does, timing it from spawn to exit and
 * sampling its peak RSS. `control` may signal it (for runs that do not end by themselves).
 */
export function runChild(args: string[], env: NodeJS.ProcessEnv, control?: (child: { pid: number; kill(sig: NodeJS.Signals): void }) => Promise<void>): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'run', ...args], { env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    let peak = 0;
    const sampler = setInterval(() => { if (child.pid) peak = Math.max(peak, peakRss(child.pid)); }, 100);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      resolve({ code, wallMs: performance.now() - t0, peakRssBytes: peak, stderr });
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
}

export function spawnRun(args: string[], env: NodeJS.ProcessEnv): Background {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  if (child.pid === undefined) throw new Error('could not start loginsync run');
  return { pid: child.pid, kill: (sig) => child.kill(sig), exited, stderr: () => stderr };
}

export interface ProgressTotals {
  batches: number;
  input: number;
  written: number;
  stageMs: Record<string, number>;
  batchMs: number[];
  latency: Map<number, number>;
}

/** Adds up the progress objects a run wrote. */
export function progressLines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '') : [];
}

/** Adds up the progress objects a run wrote, after the first `skip` (warm-up) batches. */
export function readProgress(file: string, skip = 0): ProgressTotals {
  const t: ProgressTotals = { batches: 0, input: 0, written: 0, stageMs: {}, batchMs: [], latency: new Map() };
  for (const line of progressLines(file).slice(skip)) {
    const o = JSON.parse(line) as { numInputRows: number; durationMs: Record<string, number>; loginsync: { written: number; latencyHistogram: Record<string, number> } };
    t.batches++;
    t.input += o.numInputRows;
    t.written += o.loginsync.written;
    for (const [k, v] of Object.entries(o.durationMs)) t.stageMs[k] = (t.stageMs[k] ?? 0) + v;
    t.batchMs.push(o.durationMs.triggerExecution ?? 0);
    merge(t.latency, o.loginsync.latencyHistogram);
  }
  return t;
}

export function percentiles(h: Map<number, number>): { p50: number | null; p95: number | null; p99: number | null } {
  const q = (x: number) => { const v = quantile(h, x); return v === undefined ? null : Math.round(v * 10) / 10; };
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
