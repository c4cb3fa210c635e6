import { describe, expect, it } from 'vitest';
import { serverOf } from '../../src/errors.js';
import { OutageWatch, formatDuration } from '../../src/pipeline/outage.js';

describe('outage watch', () => {
  it('reminds every interval while a server is down, and reports how long it was', () => {
    const w = new OutageWatch({ remindEveryMs: 30_000 });
    expect(w.failed('Cassandra', 'refused', 1_000)).toBe(true);
    expect(w.failed('Cassandra', 'timed out', 5_000)).toBe(false);
    expect(w.check(20_000)).toEqual([]);
    expect(w.check(31_000)).toEqual([{ kind: 'still-down', server: 'Cassandra', downMs: 30_000, reason: 'timed out' }]);
    expect(w.check(40_000)).toEqual([]);
    expect(w.check(61_000).map((n) => n.downMs)).toEqual([60_000]);
    expect(w.recovered('Cassandra', 70_000)).toBe(69_000);
    expect(w.recovered('Cassandra', 71_000)).toBeUndefined();
    expect(w.check(200_000)).toEqual([]);
  });

  it('gives up past the maximum, per server', () => {
    const w = new OutageWatch({ maxMs: 5_000, remindEveryMs: 30_000 });
    w.failed('Kafka', 'gone', 0);
    expect(w.check(5_000)).toEqual([]);
    expect(w.check(5_001)).toEqual([{ kind: 'exceeded', server: 'Kafka', downMs: 5_001, reason: 'gone' }]);
    expect(w.isDown('Cassandra')).toBe(false);
  });

  it('tells the server from the error, through wrapped causes', () => {
    expect(serverOf(Object.assign(new Error('x'), { name: 'NoHostAvailableError' }))).toBe('Cassandra');
    const inner = Object.assign(new Error('y'), { name: 'KafkaJSConnectionError' });
    expect(serverOf(Object.assign(new Error('z'), { name: 'Error', originalError: inner }))).toBe('Kafka');
    expect(serverOf(new Error('plain'))).toBeUndefined();
  });

  it('formats durations', () => {
    expect([formatDuration(20_000), formatDuration(95_000), formatDuration(3_720_000)]).toEqual([
      '20s',
      '1m35s',
      '1h02m',
    ]);
  });
});
