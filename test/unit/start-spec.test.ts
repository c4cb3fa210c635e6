import { describe, expect, it } from 'vitest';
import { parseInstant, parseOffsetsJson, parseStartFrom } from '../../src/config/start-spec.js';
import { findLosses, resolveStarts, type LogRange } from '../../src/kafka/start-offsets.js';
import { UTC, checkZone, type ZoneResolver } from '../../src/pipeline/time.js';

describe('--starting-offsets and --starting-timestamp', () => {
  it("takes earliest (the default), latest, offsets per partition as JSON, or Spark's form keyed by topic", () => {
    expect(parseStartFrom({}, 'logins', UTC)).toBe('earliest');
    expect(parseStartFrom({ startingOffsets: 'latest' }, 'logins', UTC)).toBe('latest');
    expect(parseStartFrom({ startingOffsets: '{"0":23,"1":-2}' }, 'logins', UTC)).toEqual({
      offsets: new Map([
        [0, 23],
        [1, -2],
      ]),
    });
    expect(parseStartFrom({ startingOffsets: '{"logins":{"0":23,"1":-1}}' }, 'logins', UTC)).toEqual({
      offsets: new Map([
        [0, 23],
        [1, -1],
      ]),
    });
    expect(parseStartFrom({ startingTimestamp: '2020-09-09 08:00:00' }, 'logins', UTC)).toEqual({
      timestampMs: Date.parse('2020-09-09T08:00:00Z'),
    });
  });

  it('reads a time in --timezone unless it carries its own zone', () => {
    const istanbul = checkZone('Europe/Istanbul') as ZoneResolver;
    expect(parseInstant('2020-09-09 08:00:00', istanbul, '--x')).toBe(Date.parse('2020-09-09T05:00:00Z'));
    expect(parseInstant('2020-09-09T08:00:00+02:00', istanbul, '--x')).toBe(Date.parse('2020-09-09T06:00:00Z'));
    expect(parseInstant('2020-09-09T08:00:00Z', istanbul, '--x')).toBe(Date.parse('2020-09-09T08:00:00Z'));
  });

  it('refuses what it cannot read, naming the flag', () => {
    const bad = (o: { startingOffsets?: string; startingTimestamp?: string }) => () => parseStartFrom(o, 'logins', UTC);
    expect(bad({ startingOffsets: 'newest' })).toThrow(
      /--starting-offsets: "newest" is not earliest, latest or a JSON object/,
    );
    expect(bad({ startingOffsets: '{"0":' })).toThrow(/--starting-offsets: not JSON/);
    expect(bad({ startingOffsets: '{"0":-3}' })).toThrow(/partition 0: -3 is not an offset/);
    expect(bad({ startingOffsets: '{"0":1.5}' })).toThrow(/partition 0: 1.5 is not an offset/);
    expect(bad({ startingOffsets: '{"a":{"0":1}}' })).toThrow(/names topic a, but the topic is logins/);
    expect(bad({ startingOffsets: '{}' })).toThrow(/no partition given/);
    expect(bad({ startingOffsets: '[1]' })).toThrow(/"\[1\]" is not earliest, latest or a JSON object/);
    expect(() => parseOffsetsJson('[1]', 'logins', '--to-offsets', false)).toThrow(
      /--to-offsets: expected a JSON object of offsets per partition/,
    );
    expect(bad({ startingTimestamp: 'yesterday' })).toThrow(/--starting-timestamp: "yesterday" is not a time/);
    expect(bad({ startingTimestamp: '2020-09-09 08:00:00', startingOffsets: 'latest' })).toThrow(/not both/);
    // offsets for a reset: no sentinels
    expect(() => parseOffsetsJson('{"0":-1}', 'logins', '--to-offsets', false)).toThrow(
      /--to-offsets: partition 0: -1 is not an offset \(a whole number >= 0\)/,
    );
  });
});

describe('resolveStarts: where partitions without a committed offset start', () => {
  const logs = new Map<number, LogRange>([
    [0, { low: 10, high: 50 }],
    [1, { low: 0, high: 7 }],
    [2, { low: 0, high: 0 }],
  ]);
  it('earliest, latest, offsets with -2 and -1, and a timestamp (the end where no event is that late)', () => {
    expect(resolveStarts('earliest', logs, [0, 1, 2])).toEqual(
      new Map([
        [0, 10],
        [1, 0],
        [2, 0],
      ]),
    );
    expect(resolveStarts('latest', logs, [0, 1])).toEqual(
      new Map([
        [0, 50],
        [1, 7],
      ]),
    );
    expect(
      resolveStarts(
        {
          offsets: new Map([
            [0, 23],
            [1, -1],
            [2, -2],
          ]),
        },
        logs,
        [0, 1, 2],
      ),
    ).toEqual(
      new Map([
        [0, 23],
        [1, 7],
        [2, 0],
      ]),
    );
    expect(resolveStarts({ timestampMs: 1 }, logs, [0, 1], new Map([[0, 30]]))).toEqual(
      new Map([
        [0, 30],
        [1, 7],
      ]),
    );
  });

  it('clamps an offset into the log (before its start: retention deleted it; past its end)', () => {
    expect(
      resolveStarts(
        {
          offsets: new Map([
            [0, 3],
            [1, 99],
          ]),
        },
        logs,
        [0, 1],
      ),
    ).toEqual(
      new Map([
        [0, 10],
        [1, 7],
      ]),
    );
  });

  it('only the partitions asked for; JSON must cover them and name no partition the topic lacks', () => {
    expect(resolveStarts({ offsets: new Map([[1, 5]]) }, logs, [1])).toEqual(new Map([[1, 5]]));
    expect(() => resolveStarts({ offsets: new Map([[0, 5]]) }, logs, [0, 1])).toThrow(
      /leaves out partition 1, for which the group has no offset/,
    );
    expect(() =>
      resolveStarts(
        {
          offsets: new Map([
            [0, 5],
            [7, 1],
          ]),
        },
        logs,
        [0],
      ),
    ).toThrow(/names partition 7, which the topic does not have \(it has 0,1,2\)/);
  });
});

describe('records gone before the group read them (findLosses)', () => {
  const logs = new Map([
    [0, { low: 10, high: 20 }],
    [1, { low: 0, high: 5 }],
    [2, { low: 3, high: 3 }],
  ]);

  it('a committed offset below the log start is a loss of the records between; one past the end, a log recreated', () => {
    expect(
      findLosses(
        logs,
        new Map([
          [0, 4],
          [1, 9],
          [2, 3],
        ]),
        'earliest',
      ),
    ).toEqual([
      { partition: 0, from: 4, to: 10, count: 6, why: 'deleted' },
      { partition: 1, from: 9, to: 0, count: null, why: 'recreated' },
    ]);
    // within [low, high] (the end included) there is nothing lost
    expect(findLosses(logs, new Map([[0, 20]]), 'earliest')).toEqual([]);
  });

  it('an explicit --starting-offsets offset below the log start is one; earliest, latest, -2, -1 and a timestamp never', () => {
    const asked = {
      offsets: new Map([
        [0, 7],
        [1, -2],
        [2, -1],
      ]),
    };
    expect(findLosses(logs, new Map(), asked)).toEqual([{ partition: 0, from: 7, to: 10, count: 3, why: 'deleted' }]);
    for (const from of ['earliest', 'latest', { timestampMs: 0 }] as const)
      expect(findLosses(logs, new Map(), from)).toEqual([]);
    // the group's offset overrules the asked one: a partition it has an offset for is judged by that
    expect(findLosses(logs, new Map([[0, 12]]), asked)).toEqual([]);
  });
});
