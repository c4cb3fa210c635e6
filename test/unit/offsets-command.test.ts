import { describe, expect, it } from 'vitest';
import { formatReport, parseResetTarget, type ResetFlags } from '../../src/commands/offsets.js';
import type { OffsetsReport } from '../../src/kafka/offsets.js';

describe('offsets reset: the flags', () => {
  const parse = (f: Partial<ResetFlags>) => parseResetTarget({ group: 'g', ...f }, 'logins');
  it('exactly one target', () => {
    expect(parse({ toEarliest: true })).toEqual({ kind: 'earliest' });
    expect(parse({ toLatest: true })).toEqual({ kind: 'latest' });
    expect(parse({ toDatetime: '2020-09-09 10:00:00' })).toEqual({
      kind: 'datetime',
      ms: Date.parse('2020-09-09T10:00:00Z'),
    });
    expect(parse({ toDatetime: '2020-09-09 10:00:00', timezone: 'Europe/Istanbul' })).toEqual({
      kind: 'datetime',
      ms: Date.parse('2020-09-09T07:00:00Z'),
    });
    expect(parse({ toDatetime: '2020-09-09T10:00:00+02:00', timezone: 'Europe/Istanbul' })).toEqual({
      kind: 'datetime',
      ms: Date.parse('2020-09-09T08:00:00Z'),
    });
    expect(parse({ toOffsets: '{"0":23,"1":40}' })).toEqual({
      kind: 'offsets',
      offsets: new Map([
        [0, 23],
        [1, 40],
      ]),
    });
    expect(parse({ toOffsets: '{"logins":{"1":40}}' })).toEqual({ kind: 'offsets', offsets: new Map([[1, 40]]) });
    expect(parse({ shiftBy: '-100' })).toEqual({ kind: 'shift', by: -100 });
    expect(parse({ shiftBy: '+100' })).toEqual({ kind: 'shift', by: 100 });
  });

  it('usage errors (exit 2), naming the flag', () => {
    const fails = (f: Partial<ResetFlags>, re: RegExp) => {
      let err: unknown;
      try {
        parse(f);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ name: 'UsageError', exitCode: 2 });
      expect((err as Error).message).toMatch(re);
    };
    fails({}, /give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offsets, --shift-by$/);
    fails({ toEarliest: true, shiftBy: '-1' }, /\(given: --to-earliest, --shift-by\)/);
    fails({ toLatest: true, timezone: 'UTC' }, /--timezone goes with --to-datetime/);
    fails({ toDatetime: '2020-09-09 10:00:00', timezone: 'Mars/Olympus' }, /--timezone/);
    fails({ toDatetime: 'yesterday' }, /--to-datetime: "yesterday" is not a time/);
    fails({ toOffsets: '{"0":-1}' }, /--to-offsets: partition 0: -1 is not an offset/);
    fails({ toOffsets: '{"other":{"0":1}}' }, /--to-offsets names topic other, but the topic is logins/);
    fails({ shiftBy: '0' }, /--shift-by: "0" is not a whole number other than 0/);
    fails({ shiftBy: '1.5' }, /--shift-by: "1.5"/);
  });
});

const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex

describe('offsets show: the table', () => {
  const report: OffsetsReport = {
    group: 'g',
    topic: 'logins',
    state: 'Stable',
    checkpoint: '/ckpt',
    partitions: [
      {
        partition: 0,
        committed: 5,
        low: 0,
        high: 8,
        lag: 3,
        ledger: { batchId: 2, kind: 'batch', startedAt: '2020-09-09T10:00:00.000Z', endOffset: 5 },
        lost: null,
      },
      { partition: 1, committed: null, low: 0, high: 4, lag: null, ledger: null, lost: null },
    ],
    members: [{ memberId: 'loginsync-run-1', clientId: 'loginsync-run', host: '127.0.0.1', partitions: [0, 1] }],
  };
  it("a line on the group, the partitions with the ledger's last entry, and the members", () => {
    const text = plain(formatReport(report));
    expect(text.split('\n')[0]).toBe(
      'group g on topic logins: Stable, 1 member; lag 3 (1 partition with no committed offset)',
    );
    expect(text).toMatch(
      /│ 0 +│ 5 +│ 0 +│ 8 +│ 3 +│ loginsync-run on 127\.0\.0\.1 │ batch 2 at 2020-09-09 10:00:00, to 5 │/,
    );
    expect(text).toMatch(/│ 1 +│ - +│ 0 +│ 4 +│ no offset │ loginsync-run on 127\.0\.0\.1 │ - +│/);
    expect(text).toMatch(/│ loginsync-run-1 │ loginsync-run │ 127\.0\.0\.1 │ 0,1 +│/);
  });

  it('no member column and no members table for a group at rest', () => {
    const text = plain(formatReport({ ...report, state: 'Empty', members: [] }));
    expect(text.split('\n')[0]).toBe(
      'group g on topic logins: Empty, no members; lag 3 (1 partition with no committed offset)',
    );
    expect(text).not.toContain('read by');
    expect(text).not.toContain('member ');
  });

  it('no lag for a group without a committed offset', () => {
    const none = report.partitions.map((p) => ({ ...p, committed: null, lag: null }));
    expect(formatReport({ ...report, state: 'Dead', members: [], partitions: none }).split('\n')[0]).toBe(
      'group g on topic logins: Dead, no members; no committed offset on any partition',
    );
  });
});

describe('offsets show: a committed offset outside the log', () => {
  it('is marked in the lag column, with a line saying how many records and what a run does', () => {
    const report: OffsetsReport = {
      group: 'g',
      topic: 'logins',
      state: 'Empty',
      checkpoint: null,
      partitions: [
        { partition: 0, committed: 2, low: 5, high: 9, lag: 7, ledger: null, lost: { count: 3, why: 'deleted' } },
        { partition: 1, committed: 40, low: 0, high: 4, lag: 0, ledger: null, lost: { count: null, why: 'recreated' } },
      ],
      members: [],
    };
    const text = plain(formatReport(report));
    expect(text).toMatch(/│ 0 +│ 2 +│ 5 +│ 9 +│ 7, 3 deleted +│/);
    expect(text).toMatch(/│ 1 +│ 40 +│ 0 +│ 4 +│ 0, log recreated +│/);
    expect(text).toContain(
      "partition 0: committed 2 is before the log's start 5: 3 records were deleted before the group read them",
    );
    expect(text).toContain("partition 1: committed 40 is past the log's end 4: the topic was made again");
  });
});
