import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoff, retry } from '../../src/util/retry.js';
import { sleep } from '../../src/util/sleep.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('sleep', () => {
  it('resolves after the time, leaving no timer and no listener behind', async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    let done = false;
    const p = sleep(1_000, ac.signal).then(() => {
      done = true;
    });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('ends early when the signal fires, and at once when it already has', async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await p;
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    await sleep(60_000, ac.signal);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('works without a signal', async () => {
    vi.useFakeTimers();
    const p = sleep(10);
    await vi.advanceTimersByTimeAsync(10);
    await expect(p).resolves.toBeUndefined();
  });
});

/** fn failing with the given errors in turn, then returning 'ok' */
function failing(...errors: unknown[]) {
  let calls = 0;
  const fn = (attempt: number) => {
    calls++;
    expect(attempt).toBe(calls);
    const e = errors.shift();
    return e === undefined ? Promise.resolve('ok') : Promise.reject(e instanceof Error ? e : new Error(String(e)));
  };
  return { fn, calls: () => calls };
}
const transient = (e: unknown) => (e as Error).message.startsWith('transient');

describe('retry', () => {
  it('retries retriable errors with the delays asked for, telling onRetry before each wait', async () => {
    vi.useFakeTimers();
    const f = failing('transient 1', 'transient 2');
    const told: Array<[string, number, number]> = [];
    const p = retry(f.fn, {
      retriable: transient,
      delayMs: backoff(100, 150),
      onRetry: (err, attempt, ms) => told.push([(err as Error).message, attempt, ms]),
    });
    await vi.advanceTimersByTimeAsync(250);
    await expect(p).resolves.toBe('ok');
    expect(f.calls()).toBe(3);
    expect(told).toEqual([
      ['transient 1', 1, 100],
      ['transient 2', 2, 150],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('throws an error that is not retriable at once', async () => {
    const f = failing('transient', 'fatal', 'transient');
    await expect(retry(f.fn, { retriable: transient, delayMs: () => 0 })).rejects.toThrow('fatal');
    expect(f.calls()).toBe(2);
  });

  it('throws the last error once a failure comes after the deadline', async () => {
    vi.useFakeTimers();
    const f = failing(...Array.from({ length: 100 }, (_, i) => `transient ${i + 1}`));
    const p = retry(f.fn, { retriable: transient, delayMs: () => 400, deadlineMs: 1_000 });
    const seen = p.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(2_000);
    // failures at 0, 400, 800 and 1200 ms: the fourth is past the deadline
    expect(((await seen) as Error).message).toBe('transient 4');
    expect(f.calls()).toBe(4);
  });

  it('stops when the signal fires: the wait ends at once and the last error is thrown', async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    const f = failing('transient 1', 'transient 2');
    const p = retry(f.fn, { retriable: transient, delayMs: () => 60_000, signal: ac.signal });
    const seen = p.catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(10);
    ac.abort();
    expect(((await seen) as Error).message).toBe('transient 1');
    expect(f.calls()).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    const g = failing('transient');
    await expect(retry(g.fn, { retriable: transient, delayMs: () => 0, signal: ac.signal })).rejects.toThrow(
      'transient',
    );
    expect(g.calls()).toBe(1);
  });

  it('backoff doubles from the first delay up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map(backoff(500, 10_000))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000,
    ]);
    expect([1, 2, 3, 4, 5, 6].map(backoff(100, 2_000))).toEqual([100, 200, 400, 800, 1_600, 2_000]);
  });
});
