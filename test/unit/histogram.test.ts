import { describe, expect, it } from 'vitest';
import { latencyHistogram, record, toJson } from '../../src/pipeline/histogram.js';

describe('latencyHistogram', () => {
  it('counts every record in its bucket, runs of equal timestamps included', () => {
    const stamps = new Float64Array([100, 100, 100, 250, 250, 90, 100, 1000, 1000, 1000, 1000, 5]);
    const one = new Map<number, number>();
    for (const ts of stamps) record(one, 2000 - ts);
    expect(latencyHistogram(stamps, 2000)).toEqual(toJson(one));
    expect(Object.values(latencyHistogram(stamps, 2000)).reduce((a, b) => a + b, 0)).toBe(stamps.length);
    expect(latencyHistogram(new Float64Array(0), 2000)).toEqual({});
  });
});
