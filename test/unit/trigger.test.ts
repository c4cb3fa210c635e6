import { describe, expect, it } from 'vitest';
import { nextTriggerAt, parseDuration } from '../../src/pipeline/trigger.js';

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
