import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { bigIntToLong, longToBigInt, mapLimit } from '../../src/cassandra/lastlogin.js';

describe('mapLimit', () => {
  it('keeps at most the limit in flight, and starts nothing after the first failure', async () => {
    const started: number[] = [];
    let inFlight = 0;
    let most = 0;
    const run = mapLimit([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, async (i) => {
      started.push(i);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, i === 1 ? 5 : 20));
      inFlight--;
      if (i === 1) throw new Error('write failed');
      return i;
    });
    await expect(run).rejects.toThrow('write failed');
    await new Promise((r) => setTimeout(r, 50));
    expect(started).toEqual([0, 1, 2]);
    expect(most).toBe(3);
    expect(await mapLimit([1, 2, 3, 4, 5], 2, async (i) => i * 2)).toEqual([2, 4, 6, 8, 10]);
  });
});

describe('64-bit write times between the driver and BigInt', () => {
  it('go both ways without loss over the whole signed range, as the decimal form does', () => {
    const edges = [
      0n,
      1n,
      -1n,
      2n ** 31n,
      -(2n ** 31n),
      2n ** 32n - 1n,
      2n ** 32n,
      2n ** 53n + 1n,
      1_600_000_000_000_001n,
      -123_456_789_012_345_678n,
      2n ** 63n - 1n,
      -(2n ** 63n),
    ];
    for (const b of edges) {
      const l = bigIntToLong(b);
      expect(l.toString(), String(b)).toBe(b.toString());
      expect(longToBigInt(l)).toBe(b);
      expect(longToBigInt(cassandra.types.Long.fromString(b.toString()))).toBe(b);
    }
  });
});
