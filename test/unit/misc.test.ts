import { describe, expect, it } from 'vitest';
import cassandra from 'cassandra-driver';
import { bigIntToLong, longToBigInt, mapLimit } from '../../src/cassandra/lastlogin.js';
import { SmallestRows, type UserRow } from '../../src/cassandra/users.js';
import { userJson } from '../../src/commands/show.js';
import { formatTimestamp } from '../../src/ui/format.js';
import { parseJavaMajor } from '../../src/stack/tools.js';
import { requests } from '../../src/kafka/side-topic.js';
import { colorLevel } from '../../src/ui/output.js';
import { waitForTopic } from '../../src/kafka/admin.js';
import type { Admin } from 'kafkajs';

describe('java version', () => {
  it('reads old and new version strings', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('nonsense')).toBeUndefined();
  });
});

describe('show users helpers', () => {
  it('formats timestamps like the seed, in UTC', () => {
    expect(formatTimestamp(new Date('2020-09-09T10:18:00Z'))).toBe('2020-09-09 10:18:00');
    expect(userJson({ login_id: '1', user_name: null, last_login: null })).toEqual({
      login_id: '1',
      user_name: null,
      last_login: null,
    });
    expect(userJson({ login_id: '1', user_name: 'A', last_login: new Date(0) }).last_login).toBe(
      '1970-01-01T00:00:00.000Z',
    );
  });

  it('keeps only the smallest login_ids while rows stream past', () => {
    const keep = new SmallestRows(3);
    const ids = Array.from({ length: 5000 }, (_, i) => String(100000 + ((i * 7919) % 5000)));
    for (const id of ids) keep.add({ login_id: id, user_name: null, last_login: null } satisfies UserRow);
    expect(keep.seen).toBe(5000);
    expect(keep.result().map((r) => r.login_id)).toEqual(['100000', '100001', '100002']);
  });
});

describe('colors', () => {
  const tty = (depth = 8) => ({ isTTY: true, getColorDepth: () => depth });
  const pipe = { isTTY: false };
  it('a terminal gets what it has, a pipe none; --no-color, NO_COLOR, NODE_DISABLE_COLORS and TERM=dumb turn them off', () => {
    expect(colorLevel(tty(8), {}, [])).toBe(2);
    expect(colorLevel(tty(24), {}, [])).toBe(3);
    expect(colorLevel(tty(1), {}, [])).toBe(0);
    expect(colorLevel(pipe, {}, [])).toBe(0);
    expect(colorLevel(tty(), { NO_COLOR: '1' }, [])).toBe(0);
    expect(colorLevel(tty(), { NO_COLOR: '' }, [])).toBe(2);
    expect(colorLevel(tty(), { NODE_DISABLE_COLORS: '1' }, [])).toBe(0);
    expect(colorLevel(tty(), { TERM: 'dumb' }, [])).toBe(0);
    expect(colorLevel(tty(), {}, ['node', 'loginsync', 'show', 'users', '--no-color'])).toBe(0);
    // after "--" it is an argument, not the flag
    expect(colorLevel(tty(), {}, ['node', 'loginsync', '--', '--no-color'])).toBe(2);
  });

  it('FORCE_COLOR: "", 1 and true give 16 colors, 2 and 3 more, 0 and false none, on a pipe too; --no-color still wins', () => {
    for (const [v, level] of [
      ['', 1],
      ['1', 1],
      ['true', 1],
      ['2', 2],
      ['3', 3],
      ['0', 0],
      ['false', 0],
    ] as const) {
      expect(colorLevel(pipe, { FORCE_COLOR: v }, []), `FORCE_COLOR=${v}`).toBe(level);
      expect(colorLevel(tty(), { FORCE_COLOR: v, TERM: 'dumb' }, []), `FORCE_COLOR=${v} TERM=dumb`).toBe(level);
    }
    // as Node does: a FORCE_COLOR set on purpose beats NO_COLOR
    expect(colorLevel(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }, [])).toBe(1);
    expect(colorLevel(pipe, { FORCE_COLOR: '1' }, ['--no-color'])).toBe(0);
  });
});

describe('side topic requests', () => {
  it('splits messages by count and by bytes, a large one alone', () => {
    const m = (bytes: number) => ({ key: null, value: Buffer.alloc(bytes) });
    const sizes = (ms: Array<ReturnType<typeof m>>) => [...requests(ms)].map((c) => c.length);
    expect(sizes(Array.from({ length: 2500 }, () => m(10)))).toEqual([1000, 1000, 500]);
    expect(sizes([m(500_000), m(500_000), m(2_000_000), m(10), m(10)])).toEqual([1, 1, 1, 2]);
    expect(sizes([])).toEqual([]);
  });
});

describe('waiting for a new topic', () => {
  // the answers a broker gives, one per metadata request, right after it created a topic
  const scripted = (answers: Array<Error | Array<{ leader: number; partitionErrorCode: number }>>) => {
    let calls = 0;
    const admin = {
      fetchTopicMetadata: async () => {
        const a = answers[Math.min(calls++, answers.length - 1)]!;
        if (a instanceof Error) throw a;
        return { topics: [{ name: 't', partitions: a }] };
      },
    } as unknown as Admin;
    return { admin, calls: () => calls };
  };
  const protocol = (type: string) => Object.assign(new Error(type), { type, retriable: true });
  const ok = { leader: 1, partitionErrorCode: 0 };

  it('asks again while the broker does not know the topic yet, or a partition has no leader', async () => {
    // kafkajs throws them bare, or (after its own retries) wrapped in a retries-exceeded error
    const exhausted = Object.assign(new Error('LEADER_NOT_AVAILABLE'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
      cause: protocol('LEADER_NOT_AVAILABLE'),
    });
    const s = scripted([
      protocol('UNKNOWN_TOPIC_OR_PARTITION'),
      exhausted,
      [ok, { leader: -1, partitionErrorCode: 5 }],
      [],
      [ok, ok],
    ]);
    await waitForTopic(s.admin, 't');
    expect(s.calls()).toBe(5);
  });

  it('gives up at once on another error, and after the timeout on a topic that never gets a leader', async () => {
    const refused = scripted([protocol('TOPIC_AUTHORIZATION_FAILED')]);
    await expect(waitForTopic(refused.admin, 't')).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
    expect(refused.calls()).toBe(1);
    const never = scripted([protocol('UNKNOWN_TOPIC_OR_PARTITION')]);
    await expect(waitForTopic(never.admin, 't', 350)).rejects.toThrow('topic t was created but has no leader');
    expect(never.calls()).toBeGreaterThan(2);
  });
});

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
