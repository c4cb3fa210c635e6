import { afterEach, describe, expect, it, vi } from 'vitest';
import { processBatch } from '../../src/pipeline/batch.js';
import { PendingBatch } from '../../src/pipeline/pending.js';
import { ReadAhead } from '../../src/pipeline/read-ahead.js';
import { UTC } from '../../src/pipeline/time.js';
import { LIMITS, MemoryStore, records } from '../support/memory-ports.js';

/** Reading a batch's users while it waits for its trigger: what is read, when, and the write rule kept. */

const batchOf = (events: Array<[string, string]>) => {
  const b = new PendingBatch(
    { idField: 'login_id', timeField: 'created_time', zone: UTC },
    LIMITS,
    false,
    new Map(),
    100,
  );
  for (const r of records(0, 0, events)) b.add(r);
  return b;
};

const users = () => {
  const store = new MemoryStore();
  for (let i = 1; i <= 9; i++) store.seed(`10000${i}`, `user ${i}`, '2020-01-01T00:00:00Z');
  return store;
};

/** Runs the read-ahead for a trigger 40 ms away (on a fake clock): it ends by itself when too little time is left. */
async function readAhead(store: MemoryStore, batch: PendingBatch, max = 100): Promise<void> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const done = new ReadAhead(store, { max, minLeadMs: 5 }).run(
    () => batch,
    new AbortController().signal,
    Date.now() + 40,
  );
  await vi.advanceTimersByTimeAsync(40);
  await done;
  vi.useRealTimers();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('read-ahead', () => {
  it('reads what arrived in rounds, each when half the time left has passed, up to its maximum; the trigger reads only the rest', async () => {
    const store = users();
    const batch = batchOf([
      ['100001', '2020-09-09 10:00:00'],
      ['100002', '2020-09-09 10:00:00'],
      ['100001', '2020-09-09 11:00:00'],
      ['nobody', '2020-09-09 10:00:00'],
    ]);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const done = new ReadAhead(store, { max: 4, minLeadMs: 20 }).run(
      () => batch,
      new AbortController().signal,
      Date.now() + 200,
    );
    await vi.advanceTimersByTimeAsync(125);
    // rounds at 100 ms, 150 and 175 (none with less than 20 left): what arrived between the first two
    // is read in the second, up to the maximum
    for (const r of records(0, 4, [
      ['100003', '2020-09-09 10:00:00'],
      ['100004', '2020-09-09 10:00:00'],
    ]))
      batch.add(r);
    expect(batch.arrivals).toEqual(['100001', '100002', 'nobody', '100003', '100004']);
    await vi.advanceTimersByTimeAsync(100);
    await done;
    vi.useRealTimers();
    expect(store.lookups).toEqual([['100001', '100002', 'nobody'], ['100003']]);
    const r = await processBatch(batch, { store, topic: 'logins', dlq: null, unmatched: null });
    // the id without a row is read again (a user added meanwhile is joined), and the one past the maximum
    expect(store.readIds).toEqual([['nobody', '100004']]);
    expect(r).toMatchObject({ readAhead: 3, written: 4, unmatched: 1, stale: 1 });
    expect(store.lastLogin('100001')).toBe('2020-09-09T11:00:00.000Z');
  });

  it('stops short of the keys from which the store would scan the batch at its trigger', async () => {
    const store = users();
    store.scanAt = 2;
    const batch = batchOf([
      ['100001', '2020-09-09 10:00:00'],
      ['100002', '2020-09-09 10:00:00'],
      ['100003', '2020-09-09 10:00:00'],
    ]);
    await readAhead(store, batch);
    expect(store.lookups).toEqual([['100001', '100002']]);
  });

  it('a batch keeps the ids for it only up to the maximum, and none when not reading ahead', () => {
    const opts = { idField: 'login_id', timeField: 'created_time', zone: UTC };
    const few = new PendingBatch(opts, LIMITS, false, new Map(), 2);
    const none = new PendingBatch(opts, LIMITS, false, new Map());
    for (const r of records(0, 0, [
      ['a', '2020-01-01 00:00:00'],
      ['b', '2020-01-01 00:00:00'],
      ['c', '2020-01-01 00:00:00'],
    ])) {
      few.add(r);
      none.add(r);
    }
    expect([few.arrivals, none.arrivals, few.collapsed.size]).toEqual([['a', 'b'], undefined, 3]);
  });

  it('a user added between the read-ahead and the trigger is joined', async () => {
    const store = users();
    const batch = batchOf([['200001', '2020-09-09 10:00:00']]);
    await readAhead(store, batch);
    store.seed('200001', 'new', '2019-01-01T00:00:00Z');
    expect(await processBatch(batch, { store, topic: 'logins', dlq: null, unmatched: null })).toMatchObject({
      readAhead: 0,
      written: 1,
      unmatched: 0,
    });
    expect(store.lastLogin('200001')).toBe('2020-09-09T10:00:00.000Z');
  });

  it('a plain CQL update that lands between the read-ahead and the write is not lost: it wins, as any later correction does', async () => {
    const store = users();
    const batch = batchOf([
      ['100001', '2020-09-09 10:18:00'],
      ['100002', '2020-09-09 10:18:00'],
    ]);
    await readAhead(store, batch);
    // one corrected backwards by hand, one forwards
    store.handUpdate('100001', '2019-05-05T00:00:00Z');
    store.handUpdate('100002', '2021-05-05T00:00:00Z');
    await processBatch(batch, { store, topic: 'logins', dlq: null, unmatched: null });
    expect([store.lastLogin('100001'), store.lastLogin('100002')]).toEqual([
      '2019-05-05T00:00:00.000Z',
      '2021-05-05T00:00:00.000Z',
    ]);
    // the next event is compared with the corrected value
    const next = batchOf([['100001', '2020-01-01 00:00:00']]);
    await processBatch(next, { store, topic: 'logins', dlq: null, unmatched: null });
    expect(store.lastLogin('100001')).toBe('2020-01-01T00:00:00.000Z');
  });

  it("an event after its id's row was read ahead has that row read again at the trigger: a correction made meanwhile is compared with it", async () => {
    const store = users();
    const batch = batchOf([
      ['100001', '2020-09-09 10:18:00'],
      ['100002', '2020-09-09 10:18:00'],
    ]);
    await readAhead(store, batch);
    store.handUpdate('100001', '2021-01-01T00:00:00Z');
    store.handUpdate('100002', '2021-01-01T00:00:00Z');
    // a login of 100001 later than the correction arrives after the read
    for (const r of records(0, 2, [['100001', '2021-06-01 00:00:00']])) batch.add(r);
    expect(await processBatch(batch, { store, topic: 'logins', dlq: null, unmatched: null })).toMatchObject({
      readAhead: 1,
      written: 2,
    });
    expect(store.readIds).toEqual([['100001']]);
    expect([store.lastLogin('100001'), store.lastLogin('100002')]).toEqual([
      '2021-06-01T00:00:00.000Z',
      '2021-01-01T00:00:00.000Z',
    ]);
  });

  it('an event that arrives while its id is being read: the row is not kept', async () => {
    const store = users();
    const batch = batchOf([
      ['100001', '2020-09-09 10:18:00'],
      ['100002', '2020-09-09 10:18:00'],
    ]);
    let open: () => void = () => {};
    store.gate = new Promise((r) => {
      open = r;
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const done = new ReadAhead(store, { max: 10, minLeadMs: 5 }).run(
      () => batch,
      new AbortController().signal,
      Date.now() + 40,
    );
    await vi.advanceTimersByTimeAsync(25);
    expect(store.lookups).toEqual([['100001', '100002']]);
    for (const r of records(0, 2, [['100002', '2020-09-10 00:00:00']])) batch.add(r);
    open();
    await vi.advanceTimersByTimeAsync(20);
    await done;
    expect([...batch.takeEarly().keys()]).toEqual(['100001']);
  });

  it('a batch that grew to be scanned is scanned whole: its rows read ahead are not used', async () => {
    const store = users();
    const batch = batchOf([
      ['100001', '2020-09-09 10:18:00'],
      ['100002', '2020-09-09 10:18:00'],
      ['100003', '2020-09-09 10:18:00'],
    ]);
    await readAhead(store, batch);
    store.scanAt = 3;
    expect(await processBatch(batch, { store, topic: 'logins', dlq: null, unmatched: null })).toMatchObject({
      readAhead: 0,
      written: 3,
    });
    expect(store.readIds).toEqual([['100001', '100002', '100003']]);
  });

  it("the rows read ahead serve a batch's first attempt only: an attempt after a failure reads every row anew", async () => {
    const store = users();
    const batch = batchOf([
      ['100001', '2020-09-09 10:18:00'],
      ['100002', '2020-09-09 10:18:00'],
    ]);
    await readAhead(store, batch);
    store.readErrors.push(new Error('no host'));
    // nothing left to read at the trigger: the first attempt does not read
    expect(await processBatch(batch, { store, topic: 'logins', dlq: null, unmatched: null })).toMatchObject({
      readAhead: 2,
    });
    expect(store.readIds).toEqual([]);
    expect(
      await processBatch(batch, { store, topic: 'logins', dlq: null, unmatched: null }).catch((e: Error) => e.message),
    ).toBe('no host');
    expect(await processBatch(batch, { store, topic: 'logins', dlq: null, unmatched: null })).toMatchObject({
      readAhead: 0,
      stale: 2,
    });
    expect(store.readIds).toEqual([
      ['100001', '100002'],
      ['100001', '100002'],
    ]);
  });

  it('rows that come back after the wait ended are dropped, and a failed read ends the reading ahead quietly', async () => {
    const store = users();
    const batch = batchOf([['100001', '2020-09-09 10:18:00']]);
    let open: () => void = () => {};
    store.gate = new Promise((r) => {
      open = r;
    });
    const idle = new AbortController();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const done = new ReadAhead(store, { max: 10, minLeadMs: 5 }).run(() => batch, idle.signal, Date.now() + 20);
    await vi.advanceTimersByTimeAsync(15);
    idle.abort();
    open();
    await done;
    expect(store.lookups).toEqual([['100001']]);
    expect(batch.takeEarly().size).toBe(0);

    store.gate = undefined;
    const failing = Object.assign(users(), { lookup: () => Promise.reject(new Error('no host')) });
    const ended = new ReadAhead(failing, { max: 10, minLeadMs: 5 }).run(
      () => batch,
      new AbortController().signal,
      Date.now() + 1_000,
    );
    await vi.advanceTimersByTimeAsync(500);
    await expect(ended).resolves.toBeUndefined();
  });
});
