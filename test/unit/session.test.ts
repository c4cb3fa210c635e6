import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../../src/pipeline/events.js';
import { OutageTooLong } from '../../src/pipeline/monitor.js';
import type { DataLoss, GroupOffsets, StartPositions } from '../../src/pipeline/ports.js';
import { Ledger } from '../../src/pipeline/ledger.js';
import { RunSession, type SessionAdapters, type SessionOptions } from '../../src/pipeline/session.js';
import { UTC } from '../../src/pipeline/time.js';
import { LIMITS, MemorySource, MemoryStore, records, unreachable } from '../support/memory-ports.js';

/** A run session on in-memory adapters: the order of what it opens, tells and closes; stop and abort. */

let store: MemoryStore;
let source: MemorySource;
let log: string[];
let events: RunEvent[];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  store = new MemoryStore();
  store.seed('100001', 'Enes', '2019-01-01T00:00:00Z');
  source = new MemorySource();
  log = [];
  events = [];
});

afterEach(() => {
  vi.useRealTimers();
});

function adapters(
  opts: { committed?: Map<number, number>; checkFails?: Error; sessionBatches?: boolean; lost?: DataLoss[] } = {},
): SessionAdapters {
  const group: GroupOffsets & { close(): Promise<void> } = {
    checkTopic: async () => {
      log.push('check topic');
    },
    pinStarts: async (_at, from) => {
      if (from !== 'earliest') log.push('pin start');
    },
    positions: async (): Promise<StartPositions> => {
      const start = new Map([[0, opts.lost?.[0]?.to ?? 0]]);
      // past a loss, reading starts at its end (5): two records more to read, as in the other tests
      return { end: new Map([[0, start.get(0)! + 2]]), start, committed: new Set(), lost: opts.lost ?? [] };
    },
    firstOffsets: async (partitions) => ({
      first: new Map(partitions.map((p) => [p, 0])),
      committed: new Map(),
      total: 1,
    }),
    skipLost: async (lost) => {
      log.push(`skip lost ${lost.map((l) => `${l.partition}:${l.from}->${l.to}`).join(',')}`);
    },
    committed: async () => opts.committed ?? source.committed,
    removeMembers: async (ids) => {
      log.push(`remove ${ids.join(',')}`);
    },
    close: async () => {
      log.push('close group');
    },
  };
  return {
    store: async () =>
      Object.assign(store, {
        check: async () => {
          log.push('check table');
          if (opts.checkFails) throw opts.checkFails;
        },
        close: async () => {
          log.push('close store');
        },
      }),
    group: async () => group,
    sideOutputs: async () => ({
      dlq: { topic: 'logins.dlq', send: async () => {} },
      unmatched: null,
      close: async () => {
        log.push('close side outputs');
      },
    }),
    source: (spec) => {
      log.push(`source from ${JSON.stringify([...spec.start])} to ${JSON.stringify([...(spec.stopAt ?? [])])}`);
      source.stop = async () => {
        log.push('stop source');
      };
      if (opts.sessionBatches) source.use(spec.newBatch);
      return source;
    },
  };
}

function session(o: Partial<SessionOptions> = {}, a = adapters()): RunSession {
  const s = new RunSession(
    {
      topic: 'logins',
      group: 'g',
      keyspace: 'ks',
      table: 'users',
      startingOffsets: 'earliest',
      triggerMs: 0,
      once: false,
      checkpoint: mkdtempSync(join(tmpdir(), 'ls-session-')),
      decode: { idField: 'login_id', timeField: 'created_time', zone: UTC },
      limits: LIMITS,
      dlqTopic: 'logins.dlq',
      unmatchedTopic: null,
      shutdownMs: 3_000,
      showRows: 20,
      backoff: { batch: () => 100 },
      ...o,
    },
    a,
  );
  s.events.on((e) => events.push(e));
  return s;
}

const types = () => events.map((e) => e.type).filter((t) => t !== 'lag');

describe('run session', () => {
  it('checks the table, then the topic, opens the source where the group stands, tells every step, and closes in reverse', async () => {
    source.push(
      records(0, 0, [
        ['100001', '2020-09-09 10:18:00'],
        ['100001', '2020-09-09 10:00:00'],
      ]),
    );
    const outcome = await session({ once: true }).run();
    expect(outcome).toMatchObject({ kind: 'done', totals: { batches: 1, input: 2, written: 1, stale: 1 } });
    expect(log).toEqual([
      'check table',
      'check topic',
      'source from [[0,0]] to [[0,2]]',
      'stop source',
      'close side outputs',
      'close group',
      'close store',
    ]);
    expect(types()).toEqual(['ready', 'batch-started', 'batch-done', 'stopped']);
    expect(events.find((e) => e.type === 'ready')).toMatchObject({
      info: { topic: 'logins', group: 'g', once: true, dlqTopic: 'logins.dlq' },
    });
  });

  it('removes the group members of dead runs of its checkpoint at once, not those of live ones, before it pins its start', async () => {
    const checkpoint = mkdtempSync(join(tmpdir(), 'ls-session-'));
    mkdirSync(join(checkpoint, 'members'));
    const rec = (pid: number, memberId: string, group = 'g') =>
      writeFileSync(
        join(checkpoint, 'members', `${pid}.json`),
        JSON.stringify({ pid, host: hostname(), topic: 'logins', group, memberId, at: '' }),
      );
    rec(2 ** 22 + 12_345, 'dead-member');
    rec(process.ppid, 'live-member');
    rec(2 ** 22 + 12_346, 'other-group', 'h');
    source.push(
      records(0, 0, [
        ['100001', '2020-09-09 10:18:00'],
        ['100001', '2020-09-09 10:00:00'],
      ]),
    );
    expect((await session({ once: true, checkpoint, startingOffsets: 'latest' }).run()).kind).toBe('done');
    // a pinned start is committed for the group, which the coordinator refuses while a dead run holds it
    expect(log.filter((l) => l.startsWith('remove') || l === 'pin start')).toEqual(['remove dead-member', 'pin start']);
    expect(events.find((e) => e.type === 'predecessors')).toEqual({
      type: 'predecessors',
      pids: [2 ** 22 + 12_345],
      removed: true,
    });
    expect(readdirSync(join(checkpoint, 'members')).sort()).toEqual(
      [`${2 ** 22 + 12_346}.json`, `${process.ppid}.json`].sort(),
    );
  });

  it('with an interval trigger, reads the users of arriving ids in rounds while it waits, and only the rest at the trigger', async () => {
    store.seed('100009', 'Ada', '2019-01-01T00:00:00Z');
    const s = session({ triggerMs: 2_000, readAhead: 100 }, adapters({ sessionBatches: true }));
    const outcome = s.run();
    // the first trigger finds nothing; the next is at 2 s, with rounds of reads at 1 s, 1.5 s and 1.75 s
    await vi.advanceTimersByTimeAsync(100);
    source.push(
      records(0, 0, [
        ['100001', '2020-09-09 10:18:00'],
        ['nobody', '2020-09-09 10:00:00'],
      ]),
    );
    await vi.advanceTimersByTimeAsync(1_100);
    expect(store.lookups).toEqual([['100001', 'nobody']]);
    // a hand-written update of a row read ahead wins over the batch's write
    store.handUpdate('100001', '2019-06-01T00:00:00Z');
    source.push(records(0, 2, [['100009', '2020-09-10 10:00:00']]));
    await vi.advanceTimersByTimeAsync(900);
    expect(store.lookups).toEqual([['100001', 'nobody'], ['100009']]);
    const done = events.find((e) => e.type === 'batch-done');
    expect(done).toMatchObject({ report: { input: 3, readAhead: 2, written: 2, unmatched: 1 } });
    expect(store.readIds).toEqual([['nobody']]);
    expect([store.lastLogin('100001'), store.lastLogin('100009')]).toEqual([
      '2019-06-01T00:00:00.000Z',
      '2020-09-10T10:00:00.000Z',
    ]);
    s.stop('SIGTERM');
    expect((await outcome).kind).toBe('done');
  });

  it('reads nothing ahead with trigger 0 (no time between batches) or when not asked to', async () => {
    for (const o of [{ triggerMs: 0, readAhead: 100 }, { triggerMs: 2_000 }]) {
      source = new MemorySource();
      const s = session(o, adapters({ sessionBatches: true }));
      const outcome = s.run();
      await vi.advanceTimersByTimeAsync(100);
      source.push(records(0, 0, [['100001', '2020-09-09 10:18:00']]));
      await vi.advanceTimersByTimeAsync(2_500);
      s.stop('SIGTERM');
      await vi.advanceTimersByTimeAsync(2_000);
      expect((await outcome).kind).toBe('done');
    }
    expect(store.lookups).toEqual([]);
    expect(store.reads).toBe(2);
  });

  it('records offsets moved by hand since the last run before it starts', async () => {
    const checkpoint = mkdtempSync(join(tmpdir(), 'ls-session-'));
    source.push(
      records(0, 0, [
        ['100001', '2020-09-09 10:18:00'],
        ['100001', '2020-09-09 10:00:00'],
      ]),
    );
    expect((await session({ once: true, checkpoint }).run()).kind).toBe('done');
    // moved back to 1 by hand: the next run says so and reads from there
    source = new MemorySource();
    source.push(records(0, 1, [['100001', '2020-09-09 10:00:00']]));
    events = [];
    const again = session({ once: true, checkpoint }, adapters({ committed: new Map([[0, 1]]) }));
    expect((await again.run()).kind).toBe('done');
    expect(events.find((e) => e.type === 'ledger')).toMatchObject({
      entry: { kind: 'reset', batchId: 1, startOffset: { 0: 2 }, endOffset: { 0: 1 } },
    });
    expect(types()).toEqual(['ledger', 'ready', 'batch-started', 'batch-done', 'stopped']);
  });

  it("fails with the table's error before touching Kafka, and closes what it opened", async () => {
    await expect(
      session({}, adapters({ checkFails: new Error('table ks.users does not exist') })).run(),
    ).rejects.toThrow('does not exist');
    expect(log).toEqual(['check table', 'close store']);
  });

  it('a first stop finishes the batch; a second one interrupts at once', async () => {
    let release = () => {};
    store.gate = new Promise((r) => {
      release = r;
    });
    const s = session();
    const outcome = s.run();
    source.push(records(0, 0, [['100001', '2020-09-09 10:18:00']]));
    await vi.advanceTimersByTimeAsync(10);
    s.stop('SIGTERM');
    expect(events.at(-1)).toMatchObject({ type: 'stopping', signal: 'SIGTERM', shutdownMs: 3_000 });
    s.stop('SIGINT');
    await expect(outcome).resolves.toEqual({ kind: 'interrupted' });
    expect(events.at(-1)).toEqual({ type: 'interrupted', batch: true });
    // the batch in progress is dropped even when its writes finish later
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(source.committed.size).toBe(0);
    expect(log.at(-1)).toBe('close store');
  });

  it('a stop before the run began ends it at once: nothing more is opened, what was opened is closed', async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const a = adapters();
    const check = a.store;
    a.store = async () => {
      const st = await check();
      return Object.assign(st, {
        check: async () => {
          log.push('check table');
          await gate;
        },
      });
    };
    const s = session({}, a);
    const outcome = s.run();
    await vi.advanceTimersByTimeAsync(10);
    s.stop('SIGTERM');
    await expect(outcome).resolves.toEqual({ kind: 'interrupted' });
    expect(events).toEqual([{ type: 'interrupted', batch: false }]);
    release();
    await vi.advanceTimersByTimeAsync(100);
    expect(log).toEqual(['check table', 'close store']);
  });

  it('opens what it is asked to just before the consumer starts, and closes it with the rest', async () => {
    const s = session({ once: true });
    s.onStart(async () => {
      log.push(`open extra after ${types().join(',')}`);
      return {
        close: async () => {
          log.push('close extra');
        },
      };
    });
    source.push(
      records(0, 0, [
        ['100001', '2020-09-09 10:18:00'],
        ['100001', '2020-09-09 10:00:00'],
      ]),
    );
    expect((await s.run()).kind).toBe('done');
    expect(log.slice(3)).toEqual([
      'open extra after ready',
      'stop source',
      'close extra',
      'close side outputs',
      'close group',
      'close store',
    ]);
    const failing = session({ once: true });
    failing.onStart(async () => {
      throw new Error('port 9464 in use');
    });
    await expect(failing.run()).rejects.toThrow('port 9464 in use');
  });

  it('past the shutdown timeout the batch in progress is given up', async () => {
    store.gate = new Promise(() => {});
    const s = session();
    const outcome = s.run();
    source.push(records(0, 0, [['100001', '2020-09-09 10:18:00']]));
    await vi.advanceTimersByTimeAsync(10);
    s.stop('SIGTERM');
    await vi.advanceTimersByTimeAsync(3_000);
    await expect(outcome).resolves.toEqual({ kind: 'shutdown-timeout' });
    expect(events.find((e) => e.type === 'shutdown-timeout')).toMatchObject({ busy: true });
  });

  it('tells an outage once, reminds while it lasts, says when it ends, and gives up past the maximum', async () => {
    store.readErrors = Array.from({ length: 3 }, () => unreachable());
    const s = session({ maxOutageMs: 60_000 });
    const outcome = s.run();
    source.push(records(0, 0, [['100001', '2020-09-09 10:18:00']]));
    await vi.advanceTimersByTimeAsync(1_000);
    const retries = events.filter((e) => e.type === 'retrying');
    expect(retries.map((e) => e.type === 'retrying' && [e.server, e.firstOfOutage])).toEqual([
      ['Cassandra', true],
      ['Cassandra', false],
      ['Cassandra', false],
    ]);
    expect(events.filter((e) => e.type === 'failure')).toHaveLength(3);
    expect(events.find((e) => e.type === 'outage-ended')).toMatchObject({
      server: 'Cassandra',
      how: 'batch',
      committed: true,
    });

    store.readErrors = Array.from({ length: 1_000 }, () => unreachable());
    source.push(records(0, 1, [['100001', '2020-09-10 10:18:00']]));
    await vi.advanceTimersByTimeAsync(31_000);
    expect(events.find((e) => e.type === 'outage-still')).toMatchObject({ server: 'Cassandra' });
    const failed = expect(outcome).rejects.toBeInstanceOf(OutageTooLong);
    await vi.advanceTimersByTimeAsync(31_000);
    await failed;
    expect(source.committed.get(0)).toBe(1);
  });
});

describe('records deleted before the group read them', () => {
  const lost: DataLoss[] = [{ partition: 0, from: 2, to: 5, count: 3, why: 'deleted' }];

  it('stop the run before anything is read, by default, saying what was lost and what to do', async () => {
    const run = session({ once: true }, adapters({ lost }));
    await expect(run.run()).rejects.toThrow(
      /^data loss on topic logins: partition 0 offsets 2-4 \(3 records\) were deleted \(retention or delete-records\), before group g read them; to go on from the earliest offset that exists: --no-fail-on-data-loss/,
    );
    expect(log.some((l) => l.startsWith('source') || l.startsWith('skip'))).toBe(false);
  });

  it('with --no-fail-on-data-loss: warned, skipped in the group and recorded as lost in the ledger, then read on', async () => {
    const checkpoint = mkdtempSync(join(tmpdir(), 'ls-session-'));
    source.push(
      records(0, 5, [
        ['100001', '2020-09-09 10:18:00'],
        ['100001', '2020-09-09 10:00:00'],
      ]),
    );
    const outcome = await session({ once: true, failOnDataLoss: false, checkpoint }, adapters({ lost })).run();
    expect(outcome.kind).toBe('done');
    expect(log.indexOf('skip lost 0:2->5')).toBeLessThan(log.findIndex((l) => l.startsWith('source')));
    expect(events.find((e) => e.type === 'data-loss')).toMatchObject({
      text: 'data loss on topic logins: partition 0 offsets 2-4 (3 records) were deleted (retention or delete-records), before group g read them; reading goes on at 5',
    });
    const [batch, skip] = [...new Ledger(checkpoint).backwards()];
    expect(skip).toMatchObject({
      batchId: 0,
      kind: 'lost',
      startOffset: { 0: 2 },
      endOffset: { 0: 5 },
      count: { 0: 3 },
    });
    // the ledger's ranges still follow on: the next batch starts where the skip ended
    expect(batch).toMatchObject({ batchId: 1, startOffset: { 0: 5 }, endOffset: { 0: 7 } });
  });
});

describe('a topic made again, its group offsets gone with it', () => {
  it("is a loss of unknown size where the ledger ends past the log's end", async () => {
    const { recreatedPerLedger } = await import('../../src/pipeline/session.js');
    const at: StartPositions = {
      end: new Map([
        [0, 3],
        [1, 9],
      ]),
      start: new Map([
        [0, 0],
        [1, 0],
      ]),
      committed: new Set([1]),
      lost: [],
    };
    const ledgerEnds = new Map([
      [0, 40],
      [1, 40],
    ]);
    // partition 1: the group has an offset, judged by it (findLosses), not by the ledger
    expect(recreatedPerLedger(at, ledgerEnds)).toEqual([
      { partition: 0, from: 40, to: 0, count: null, why: 'recreated' },
    ]);
    expect(recreatedPerLedger(at, new Map([[0, 3]]))).toEqual([]);
  });
});
