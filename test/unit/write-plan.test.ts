import { describe, expect, it } from 'vitest';
import { collapse } from '../../src/pipeline/collapse.js';
import { planWrites } from '../../src/pipeline/plan.js';
import type { Stored } from '../../src/pipeline/ports.js';

const T = (iso: string) => Date.parse(iso);
const ev = (id: string, time: string, offset: number) => ({ id, timeMs: T(time), partition: 0, offset });

describe('planWrites: the write rule over a batch', () => {
  const stored = new Map<string, Stored>([
    ['a', { lastLogin: T('2020-01-01T00:00:00Z'), writetime: 1_000n }],
    ['b', { lastLogin: T('2021-01-01T00:00:00Z'), writetime: 2_000n }],
    ['c', { lastLogin: null, writetime: null }],
    ['old', { lastLogin: T('1960-01-01T00:00:00Z'), writetime: 3_000n }],
  ]);

  it('sorts each id into update, set-if-null, stale or unmatched, and counts events, not ids', () => {
    const batch = collapse([
      ev('a', '2020-06-01T00:00:00Z', 0),
      ev('a', '2020-03-01T00:00:00Z', 1),
      ev('a', '2020-06-01T00:00:00Z', 2),
      ev('b', '2020-06-01T00:00:00Z', 3),
      ev('c', '2020-06-01T00:00:00Z', 4),
      ev('c', '2020-05-01T00:00:00Z', 5),
      ev('x', '2020-06-01T00:00:00Z', 6),
      ev('x', '2020-07-01T00:00:00Z', 7),
    ]);
    const p = planWrites(batch.values(), (id) => stored.get(id));
    expect(p.updates).toEqual([{ id: 'a', timeMs: T('2020-06-01T00:00:00Z'), writetime: 1_000n }]);
    expect(p.ifNull.map((c) => [c.id, c.count])).toEqual([['c', 2]]);
    expect(p.unmatchedIds).toEqual(['x']);
    expect({ written: p.written, stale: p.stale, unmatched: p.unmatched }).toEqual({
      written: 1,
      stale: 2 + 1,
      unmatched: 2,
    });
  });

  it('writes with the stored write timestamp, and one more when a time from 1970 on replaces an earlier one', () => {
    const p = planWrites(
      collapse([ev('old', '1999-01-01T00:00:00Z', 0), ev('b', '2022-01-01T00:00:00Z', 1)]).values(),
      (id) => stored.get(id),
    );
    expect(p.updates.map((u) => [u.id, u.writetime])).toEqual([
      ['old', 3_001n],
      ['b', 2_000n],
    ]);
  });

  it('never plans a time equal to or older than the stored one', () => {
    const p = planWrites(collapse([ev('b', '2021-01-01T00:00:00Z', 0)]).values(), (id) => stored.get(id));
    expect(p.updates).toEqual([]);
    expect(p.stale).toBe(1);
  });
});
