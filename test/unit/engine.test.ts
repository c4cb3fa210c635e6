import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { processBatch } from '../../src/pipeline/batch.js';
import { Engine, type EngineHooks, type EngineOptions } from '../../src/pipeline/engine.js';
import type { BatchReport } from '../../src/pipeline/events.js';
import { quantile } from '../../src/pipeline/histogram.js';
import { Ledger, type LedgerEntry } from '../../src/pipeline/ledger.js';
import type { PendingBatch } from '../../src/pipeline/pending.js';
import { progressObject } from '../../src/pipeline/progress.js';
import { LIMITS, MemorySource, MemoryStore, records, rejoining, unreachable } from '../support/memory-ports.js';

/**
 * The trigger loop against in-memory ports, on fake time: when batches start, what they commit, how
 * they are retried, how a run stops.
 */

let ledger: Ledger;
let store: MemoryStore;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  ledger = new Ledger(mkdtempSync(join(tmpdir(), 'ls-engine-')));
  store = new MemoryStore();
  store.seed('100001', 'Enes', '2019-01-01T00:00:00Z');
  store.seed('100009', 'Dilara', '2019-03-07T11:03:00Z');
  store.seed('100087', 'Osman', null);
});

afterEach(() => {
  vi.useRealTimers();
});

interface Rig {
  engine: Engine<PendingBatch>;
  reports: BatchReport[];
  retries: Array<{ attempt: number; delayMs: number; message: string }>;
  idles: number[];
  waiting: number[][];
}

function rig(source: MemorySource, opts: Partial<EngineOptions> = {}, hooks: EngineHooks = {}): Rig {
  const r: Rig = {
    engine: undefined as unknown as Engine<PendingBatch>,
    reports: [],
    retries: [],
    idles: [],
    waiting: [],
  };
  r.engine = new Engine(
    source,
    (b) => processBatch(b, { store, topic: 'logins', dlq: null, unmatched: null }),
    ledger,
    {
      topic: 'logins',
      group: 'g',
      triggerMs: 0,
      once: false,
      backoff: { batch: (a) => 100 * a, commit: (a) => 10 * a, commitDeadlineMs: 1_000 },
      ...opts,
    },
    {
      batch: (rep) => r.reports.push(rep),
      retrying: (err, attempt, delayMs) => r.retries.push({ attempt, delayMs, message: (err as Error).message }),
      idle: (at) => r.idles.push(at),
      waitingForGroup: (ps) => r.waiting.push(ps),
      ...hooks,
    },
  );
  return r;
}

/** Stops the engine and lets fake time run until it returns (a wait for records lasts up to a second). */
async function stopped<T>(r: Rig, running: Promise<T>): Promise<T> {
  r.engine.stop();
  await vi.advanceTimersByTimeAsync(1_000);
  return running;
}

const lines = (): LedgerEntry[] => {
  try {
    return readFileSync(ledger.file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LedgerEntry);
  } catch {
    return [];
  }
};

describe('engine: trigger 0 (as soon as records arrive)', () => {
  it('processes what arrived as one batch, writes only newer times, commits after the writes, records the ledger line', async () => {
    const source = new MemorySource();
    const r = rig(source);
    const running = r.engine.run();
    source.push(
      records(0, 0, [
        ['100001', '2020-09-09 10:18:00'],
        ['100001', '2020-09-09 10:05:00'],
        ['100009', '2018-01-01 00:00:00'],
        ['100087', '2020-01-01 00:00:00'],
        ['999', '2020-01-01 00:00:00'],
      ]),
    );
    await vi.advanceTimersByTimeAsync(50);
    expect(r.reports).toHaveLength(1);
    expect(r.reports[0]).toMatchObject({ batchId: 0, input: 5, written: 2, stale: 2, unmatched: 1, malformed: 0 });
    expect(store.lastLogin('100001')).toBe('2020-09-09T10:18:00.000Z');
    expect(store.lastLogin('100009')).toBe('2019-03-07T11:03:00.000Z');
    expect(store.lastLogin('100087')).toBe('2020-01-01T00:00:00.000Z');
    expect(source.committed.get(0)).toBe(5);
    expect(lines().map((l) => [l.batchId, l.startOffset, l.endOffset])).toEqual([[0, { 0: 0 }, { 0: 5 }]]);

    source.push(records(0, 5, [['100009', '2021-01-01 00:00:00']]));
    await vi.advanceTimersByTimeAsync(1_100);
    expect(r.reports.map((x) => x.batchId)).toEqual([0, 1]);
    expect(lines()[1]).toMatchObject({ batchId: 1, startOffset: { 0: 5 }, endOffset: { 0: 6 } });
    const totals = await stopped(r, running);
    expect(totals).toMatchObject({ batches: 2, input: 6, written: 3 });
  });
});

describe('engine: interval trigger', () => {
  it('starts the first batch at once and the next ones every interval, idle in between', async () => {
    const source = new MemorySource();
    const r = rig(source, { triggerMs: 1_000 });
    const t0 = Date.now();
    source.push(records(0, 0, [['100001', '2020-01-01 00:00:00']]));
    const running = r.engine.run();
    await vi.advanceTimersByTimeAsync(10);
    expect(r.reports).toHaveLength(1);

    source.push(records(0, 1, [['100001', '2020-01-02 00:00:00']]));
    await vi.advanceTimersByTimeAsync(500);
    expect(r.reports).toHaveLength(1); // not before the trigger
    expect(r.idles[0]).toBe(t0 + 1_000);
    await vi.advanceTimersByTimeAsync(600);
    expect(r.reports).toHaveLength(2);
    expect(r.reports[1]!.startedAt.getTime()).toBe(t0 + 1_000);
    await stopped(r, running);
  });
});

describe('engine: available now (--once)', () => {
  it('waits until the end offsets seen at start are read, then processes one batch and returns', async () => {
    const source = new MemorySource();
    const r = rig(source, { once: true, endOffsets: new Map([[0, 4]]) });
    const running = r.engine.run();
    source.push(
      records(0, 0, [
        ['100001', '2020-01-01 00:00:00'],
        ['100009', '2020-01-01 00:00:00'],
      ]),
    );
    await vi.advanceTimersByTimeAsync(500);
    expect(r.reports).toHaveLength(0); // 2 of 4 read: one batch as large as it can be, so each user is written once
    source.push(
      records(0, 2, [
        ['100001', '2020-02-01 00:00:00'],
        ['100087', '2020-01-01 00:00:00'],
      ]),
    );
    await vi.advanceTimersByTimeAsync(200);
    const totals = await running;
    expect(r.reports).toHaveLength(1);
    expect(totals).toMatchObject({ batches: 1, input: 4, written: 3, stale: 1 });
    expect(source.committed.get(0)).toBe(4);
  });

  it('with a record limit, takes as many batches as it needs, committed in order', async () => {
    const source = new MemorySource({ ...LIMITS, maxRecords: 2 });
    const r = rig(source, { once: true, endOffsets: new Map([[0, 5]]) });
    source.push(
      records(0, 0, [
        ['100001', '2020-01-01 00:00:00'],
        ['100001', '2020-01-02 00:00:00'],
        ['100001', '2020-01-03 00:00:00'],
        ['100009', '2020-01-01 00:00:00'],
        ['100009', '2020-01-02 00:00:00'],
      ]),
    );
    const running = r.engine.run();
    await vi.advanceTimersByTimeAsync(1_000);
    await running;
    expect(r.reports.map((x) => x.input)).toEqual([2, 2, 1]);
    expect(source.commits.map((m) => m.get(0))).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
    expect(store.lastLogin('100001')).toBe('2020-01-03T00:00:00.000Z');
  });

  it('is done only when the partitions of other members have reached their end too', async () => {
    const source = new MemorySource();
    source.others = [1];
    const answers = [[1], [1], []];
    const r = rig(source, {
      once: true,
      endOffsets: new Map([
        [0, 1],
        [1, 3],
      ]),
      behindInGroup: async () => answers.shift() ?? [],
    });
    source.push(records(0, 0, [['100001', '2020-01-01 00:00:00']]));
    let done = false;
    const running = r.engine.run().then((t) => {
      done = true;
      return t;
    });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(r.reports).toHaveLength(1);
    expect(done).toBe(false);
    expect(r.waiting).toEqual([[1]]); // said once, not at every look
    await vi.advanceTimersByTimeAsync(2_000);
    await running;
    expect(done).toBe(true);
  });
});

describe('engine: failures', () => {
  it('retries a batch that failed on an unreachable server with growing backoff, never skipping it', async () => {
    const source = new MemorySource();
    store.readErrors = [unreachable(), unreachable()];
    const r = rig(source);
    const running = r.engine.run();
    source.push(records(0, 0, [['100001', '2020-09-09 10:18:00']]));
    await vi.advanceTimersByTimeAsync(50);
    expect(r.retries.map((x) => [x.attempt, x.delayMs])).toEqual([[1, 100]]);
    expect(source.committed.size).toBe(0); // nothing committed before the writes
    await vi.advanceTimersByTimeAsync(100);
    expect(r.retries.map((x) => [x.attempt, x.delayMs])).toEqual([
      [1, 100],
      [2, 200],
    ]);
    await vi.advanceTimersByTimeAsync(200);
    expect(r.reports).toHaveLength(1);
    expect(source.committed.get(0)).toBe(1);
    expect(store.lastLogin('100001')).toBe('2020-09-09T10:18:00.000Z');
    await stopped(r, running);
  });

  it('ends the run on an error that waiting cannot cure, with nothing committed', async () => {
    const source = new MemorySource();
    store.readErrors = [new Error('unconfigured table users')];
    const r = rig(source);
    const running = r.engine.run();
    const failed = expect(running).rejects.toThrow('unconfigured table users');
    source.push(records(0, 0, [['100001', '2020-09-09 10:18:00']]));
    await vi.advanceTimersByTimeAsync(50);
    await failed;
    expect(r.retries).toEqual([]);
    expect(source.committed.size).toBe(0);
    expect(lines()).toEqual([]);
  });

  it('measures each record to its write and to its commit: the commit retries are in the second', async () => {
    const source = new MemorySource();
    source.commitErrors = [rejoining(), rejoining()];
    const r = rig(source);
    const running = r.engine.run();
    const t0 = Date.now();
    source.push(
      records(0, 0, [
        ['100001', '2020-09-09 10:18:00'],
        ['100009', '2020-09-09 10:18:00'],
      ]),
    );
    await vi.advanceTimersByTimeAsync(100);
    const rep = r.reports[0]!;
    expect(rep.recordTimes).toEqual({ min: t0, max: t0 });
    // fake time stands still but for the commit's two retries (10 + 20 ms)
    expect(rep.latency).toEqual({ 0: 2 });
    expect(
      quantile(new Map(Object.entries(rep.commitLatency).map(([b, n]) => [Number(b), n])), 1),
    ).toBeGreaterThanOrEqual(30);
    expect(Object.values(rep.commitLatency)).toEqual([2]);
    const progress = progressObject(rep, { runId: 'r', topic: 'logins', group: 'g' }) as {
      loginsync: Record<string, unknown>;
    };
    expect(progress.loginsync).toMatchObject({
      commitLatencyHistogram: rep.commitLatency,
      recordTimestamps: { min: new Date(t0).toISOString(), max: new Date(t0).toISOString() },
    });
    await stopped(r, running);
  });

  it('retries a commit while the consumer rejoins; a commit given up on is not recorded, and the run goes on', async () => {
    const source = new MemorySource();
    source.commitErrors = [rejoining(), rejoining()];
    const r = rig(source);
    const running = r.engine.run();
    source.push(records(0, 0, [['100001', '2020-09-09 10:18:00']]));
    await vi.advanceTimersByTimeAsync(100);
    expect(r.retries.map((x) => [x.attempt, x.delayMs])).toEqual([
      [1, 10],
      [2, 20],
    ]);
    expect(r.reports[0]).toMatchObject({ batchId: 0 });

    source.commitErrors = [new Error('not authorized to commit')];
    source.push(records(0, 1, [['100009', '2020-09-09 10:18:00']]));
    await vi.advanceTimersByTimeAsync(1_100);
    expect(r.retries.at(-1)).toMatchObject({ delayMs: 0, message: 'not authorized to commit' });
    expect(r.reports[1]).toMatchObject({ batchId: null, written: 1, commitLatency: {} });
    expect(lines().map((l) => l.batchId)).toEqual([0]);
    await stopped(r, running);
  });

  it('an available-now run (--once) whose commit is given up on ends with the error: it could not tell when it is done otherwise', async () => {
    const source = new MemorySource();
    source.commitErrors = [new Error('not authorized to commit')];
    const r = rig(source, { once: true, endOffsets: new Map([[0, 1]]) });
    const running = r.engine.run();
    const failed = expect(running).rejects.toThrow('not authorized to commit');
    source.push(records(0, 0, [['100001', '2020-09-09 10:18:00']]));
    await vi.advanceTimersByTimeAsync(200);
    await failed;
    expect(store.lastLogin('100001')).toBe('2020-09-09T10:18:00.000Z'); // written, harmless to write again
    expect(source.committed.size).toBe(0);
    expect(lines()).toEqual([]);
  });
});

describe('engine: stop and abort', () => {
  it('stop() lets the batch in progress finish and commit', async () => {
    const source = new MemorySource();
    let release = () => {};
    store.gate = new Promise((r) => {
      release = r;
    });
    const r = rig(source);
    const running = r.engine.run();
    source.push(records(0, 0, [['100001', '2020-09-09 10:18:00']]));
    await vi.advanceTimersByTimeAsync(10);
    expect(r.engine.inFlight).toBe(true);
    r.engine.stop();
    await vi.advanceTimersByTimeAsync(10);
    expect(source.committed.size).toBe(0);
    release();
    const totals = await stopped(r, running);
    expect(totals.batches).toBe(1);
    expect(source.committed.get(0)).toBe(1);
    expect(r.engine.inFlight).toBe(false);
  });

  it('abort() drops the batch in progress: nothing committed, run() rejects with the reason, retries stop waiting', async () => {
    const source = new MemorySource();
    store.readErrors = [unreachable()];
    const r = rig(source);
    const running = r.engine.run();
    const failed = expect(running).rejects.toThrow('gave up');
    source.push(records(0, 0, [['100001', '2020-09-09 10:18:00']]));
    await vi.advanceTimersByTimeAsync(10);
    expect(r.retries).toHaveLength(1); // waiting 100 ms to retry
    r.engine.abort(new Error('gave up'));
    await vi.advanceTimersByTimeAsync(1);
    await failed;
    expect(source.committed.size).toBe(0);
    expect(store.lastLogin('100001')).toBe('2019-01-01T00:00:00.000Z');
  });
});
