import { describe, expect, it } from 'vitest';
import { requests } from '../../src/kafka/side-topic.js';

describe('side topic requests', () => {
  it('splits messages by count and by bytes, a large one alone', () => {
    const m = (bytes: number) => ({ key: null, value: Buffer.alloc(bytes) });
    const sizes = (ms: Array<ReturnType<typeof m>>) => [...requests(ms)].map((c) => c.length);
    expect(sizes(Array.from({ length: 2500 }, () => m(10)))).toEqual([1000, 1000, 500]);
    expect(sizes([m(500_000), m(500_000), m(2_000_000), m(10), m(10)])).toEqual([1, 1, 1, 2]);
    expect(sizes([])).toEqual([]);
  });
});
