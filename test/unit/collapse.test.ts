import { describe, expect, it } from 'vitest';
import { collapse } from '../../src/pipeline/collapse.js';

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
