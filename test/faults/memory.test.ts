import { readFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { endOffsets, groupOffsets } from '../support/offsets.js';
import { compareWithOracle, oracle, seedTime, type Ev } from '../support/oracle.js';
import { it, type SceneWorld } from '../support/scene.js';
import type { World } from '../support/world.js';

/** Peak resident memory of a process so far (VmHWM), in MB; undefined once it is gone. */
function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * n events over the users, produced fast: values built from a few thousand distinct times, sent in
 * large requests, a few at once. Returns the oracle's view of them (the latest time per user).
 */
async function produce(w: World, ids: string[], n: number): Promise<Ev[]> {
  const times = Array.from({ length: 4096 }, (_, i) => Date.UTC(2018, 6, 1) + i * 4 * 3600_000);
  const latest = new Map<string, number>();
  const chunk = 2000;
  let inFlight: Array<Promise<unknown>> = [];
  for (let i = 0; i < n; i += chunk) {
    const messages = [];
    for (let k = i; k < Math.min(n, i + chunk); k++) {
      const id = ids[(k * 7919) % ids.length]!;
      const ms = times[(k * 104729) % times.length]!;
      if ((latest.get(id) ?? -Infinity) < ms) latest.set(id, ms);
      messages.push({ value: `{"login_id":"${id}","created_time":"${seedTime(ms)}"}` });
    }
    inFlight.push(w.producer.send({ topic: w.topic, acks: -1, messages }));
    if (inFlight.length >= 16) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  return [...latest].map(([id, ms]) => ({ id, ms }));
}

/** Drains the topic with `run --once --max-offsets-per-trigger 100000`; returns its peak RSS (MB). */
async function drain(w: SceneWorld): Promise<{ peakMb: number; seconds: number }> {
  const t0 = Date.now();
  const run = w.startRun(['--once', '-q', '--max-offsets-per-trigger', '100000']);
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, peakRssMb(run.child.pid!) ?? 0);
  }, 100);
  const code = await run.exited;
  clearInterval(timer);
  expect(code, run.stderr()).toBe(0);
  return { peakMb: peak, seconds: (Date.now() - t0) / 1000 };
}

describe('bounded memory', () => {
  it('a 5,000,000-event backlog drains under the memory ceiling of a 300,000-event one', async ({ scene }) => {
    const figures: string[] = [];
    let smallPeak = 0;
    for (const n of [300_000, 5_000_000]) {
      const w = await scene.world({ partitions: 3, users: 10_000 });
      const { admin: a, originals } = w;
      const t0 = Date.now();
      const events = await produce(w, [...originals.keys()], n);
      const produced = (Date.now() - t0) / 1000;
      const { peakMb, seconds } = await drain(w);
      figures.push(
        `${n} events: produced in ${produced.toFixed(1)} s, drained in ${seconds.toFixed(1)} s, peak RSS ${peakMb.toFixed(0)} MB`,
      );
      expect(await groupOffsets(a, w.group, w.topic)).toEqual(await endOffsets(a, w.topic));
      const cmp = await compareWithOracle(w, oracle(originals, events));
      expect(cmp.lost.slice(0, 5), `${cmp.lost.length} lost`).toEqual([]);
      expect(cmp.wrong.slice(0, 5), `${cmp.wrong.length} wrong`).toEqual([]);
      expect(peakMb).toBeGreaterThan(30); // the sampling saw the process
      if (n === 300_000) smallPeak = peakMb;
      // memory does not follow the backlog: 16x the events, at most a little more than the small run
      else expect(peakMb, figures.join('; ')).toBeLessThan(smallPeak * 1.3 + 60);
      await a.deleteTopics({ topics: [w.topic] }); // its log is large
      await w.close();
    }
    process.stderr.write(`bounded memory: ${figures.join('; ')}\n`);
  });
});
