import { describe, expect, it } from 'vitest';
import { collapse } from '../../src/pipeline/collapse.js';
import { decide, reconcile } from '../../src/pipeline/plan.js';
import { nextTriggerAt, parseDuration } from '../../src/pipeline/trigger.js';

const T = (iso: string) => Date.parse(iso);

describe('collapse', () => {
  it('keeps the latest event per id and counts the rest', () => {
    const m = collapse([
      { id: 'a', timeMs: 3, partition: 0, offset: 0 },
      { id: 'b', timeMs: 1, partition: 1, offset: 0 },
      { id: 'a', timeMs: 9, partition: 0, offset: 1 },
      { id: 'a', timeMs: 5, partition: 1, offset: 1 },
      { id: 'a', timeMs: 9, partition: 1, offset: 7 },
    ]);
    expect([...m.values()]).toEqual([
      { id: 'a', timeMs: 9, count: 4, partition: 1, offset: 7 },
      { id: 'b', timeMs: 1, count: 1, partition: 1, offset: 0 },
    ]);
  });
});

describe('the write rule', () => {
  const wt = 1_600_000_000_000_000n;

  it('skips events not newer than the stored value', () => {
    expect(decide({ id: 'a', timeMs: 5 }, { lastLogin: 5, writetime: wt }).action).toBe('stale');
    expect(decide({ id: 'a', timeMs: 4 }, { lastLogin: 5, writetime: wt }).action).toBe('stale');
    expect(
      decide({ id: 'a', timeMs: T('1960-01-01T00:00:00Z') }, { lastLogin: T('2020-01-01T00:00:00Z'), writetime: wt })
        .action,
    ).toBe('stale');
  });

  it('writes a newer event at the stored write timestamp', () => {
    expect(decide({ id: 'a', timeMs: 6 }, { lastLogin: 5, writetime: wt })).toEqual({
      action: 'update',
      id: 'a',
      timeMs: 6,
      writetime: wt,
    });
    expect(
      decide({ id: 'a', timeMs: T('1960-06-01T00:00:00Z') }, { lastLogin: T('1950-01-01T00:00:00Z'), writetime: wt }),
    ).toMatchObject({ action: 'update', writetime: wt });
  });

  it('writes at +1 when a time from 1970 on replaces one before 1970', () => {
    expect(
      decide({ id: 'a', timeMs: T('2020-01-01T00:00:00Z') }, { lastLogin: T('1960-01-01T00:00:00Z'), writetime: wt }),
    ).toMatchObject({ action: 'update', writetime: wt + 1n });
    expect(decide({ id: 'a', timeMs: 0 }, { lastLogin: -1, writetime: wt })).toMatchObject({
      action: 'update',
      writetime: wt + 1n,
    });
  });

  it('sets an empty cell with a transaction', () => {
    expect(decide({ id: 'a', timeMs: 6 }, { lastLogin: null, writetime: null }).action).toBe('set-if-null');
  });

  /**
   * The property the rule exists for: however the writes of racing processes (each having read the
   * same stored cell) land, Cassandra's reconciliation ends on the maximum time. Checked against a
   * model of the reconciliation, for times on both sides of 1970.
   */
  it('ends on the latest time whatever order racing writes land in', () => {
    const times = [
      '1950-01-01',
      '1960-01-01',
      '1969-12-31',
      '1970-01-01',
      '1999-01-01',
      '2020-09-09',
      '2038-01-20',
    ].map((d) => T(`${d}T00:00:00Z`));
    for (const stored of times) {
      const cell = { ts: wt, value: stored };
      const writes = times
        .map((t) => decide({ id: 'a', timeMs: t }, { lastLogin: stored, writetime: wt }))
        .flatMap((d) => (d.action === 'update' ? [{ ts: d.writetime, value: d.timeMs }] : []));
      const expected = Math.max(stored, ...times);
      const rotations = writes.map((_, k) => [...writes.slice(k), ...writes.slice(0, k)]);
      for (const order of [...rotations, ...rotations.map((r) => [...r].reverse())]) {
        const end = order.reduce((acc, w) => reconcile(acc, w), cell);
        expect(end.value).toBe(expected);
      }
    }
  });

  it('shows why a plain shared timestamp is not enough before 1970', () => {
    // same timestamp, 1960 vs 2020: the unsigned byte order keeps 1960
    expect(
      reconcile({ ts: wt, value: T('1960-01-01T00:00:00Z') }, { ts: wt, value: T('2020-01-01T00:00:00Z') }).value,
    ).toBe(T('1960-01-01T00:00:00Z'));
  });
});

describe('triggers', () => {
  it('parses the intervals users write', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('30 seconds')).toBe(30_000);
    expect(parseDuration('1 minute')).toBe(60_000);
    expect(parseDuration('2 hours')).toBe(7_200_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1w')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('-1s')).toBeUndefined();
  });

  it('starts the next batch on time, or at once after an overrun', () => {
    expect(nextTriggerAt(1000, 30_000, 5000)).toBe(31_000);
    expect(nextTriggerAt(1000, 30_000, 40_000)).toBe(40_000);
    expect(nextTriggerAt(1000, 0, 1200)).toBe(1200);
  });
});
