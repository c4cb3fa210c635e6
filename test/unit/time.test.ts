import { describe, expect, it } from 'vitest';
import { checkZone, parseEventTime, UTC, zoneResolver } from '../../src/pipeline/time.js';

const ms = (iso: string) => Date.parse(iso);
const ok = (text: string, zone = UTC) => {
  const r = parseEventTime(text, zone);
  if (!r.ok) throw new Error(`${text}: ${r.reason}`);
  return r.ms;
};
const reason = (text: string) => {
  const r = parseEventTime(text, UTC);
  return r.ok ? 'ok' : r.reason;
};

describe('event times', () => {
  it("reads the seed's format and ISO-8601, with and without zones", () => {
    expect(ok('2020-09-09 10:18:00')).toBe(ms('2020-09-09T10:18:00Z'));
    expect(ok('2020-09-09T10:18:00')).toBe(ms('2020-09-09T10:18:00Z'));
    expect(ok('2020-09-09T10:18')).toBe(ms('2020-09-09T10:18:00Z'));
    expect(ok('2020-09-09T10:18:00.123456Z')).toBe(ms('2020-09-09T10:18:00.123Z'));
    expect(ok('2020-09-09T13:18:00+03:00')).toBe(ms('2020-09-09T10:18:00Z'));
    expect(ok('2020-09-09T05:48:00-0430')).toBe(ms('2020-09-09T10:18:00Z'));
    expect(ok('2020-09-09 10:18:00Z')).toBe(ms('2020-09-09T10:18:00Z'));
  });

  it('handles times before 1970 and small years literally', () => {
    expect(ok('1960-01-01 00:00:00')).toBe(ms('1960-01-01T00:00:00Z'));
    expect(ok('1960-01-01 00:00:00')).toBeLessThan(0);
    expect(new Date(ok('0001-01-01 00:00:00')).getUTCFullYear()).toBe(1);
    expect(new Date(ok('0099-12-31 23:59:59')).getUTCFullYear()).toBe(99);
    expect(ok('9999-12-31 23:59:59')).toBe(ms('9999-12-31T23:59:59Z'));
  });

  it('refuses what is not a real time', () => {
    expect(reason('2020-02-30 10:00:00')).toMatch(/day out of range/);
    expect(reason('2019-02-29 10:00:00')).toMatch(/day out of range/);
    expect(reason('2020-02-29 10:00:00')).toBe('ok');
    expect(reason('2020-13-01 10:00:00')).toMatch(/month/);
    expect(reason('2020-01-01 24:00:00')).toMatch(/hour/);
    expect(reason('2016-12-31 23:59:60')).toMatch(/leap second/);
    expect(reason('0000-01-01 00:00:00')).toMatch(/year out of range/);
    expect(reason('99999-01-01 00:00:00')).toMatch(/not "yyyy-MM-dd HH:mm:ss"/);
    expect(reason('2020-09-09')).toMatch(/not "yyyy-MM-dd/);
    expect(reason('09/09/2020 10:18')).toMatch(/not "yyyy-MM-dd/);
    expect(reason('2020-09-09 10:18:00+25:00')).toMatch(/offset out of range/);
    expect(reason('')).toMatch(/not "yyyy/);
  });

  it('reads zone-less times in the given IANA zone, across DST changes', () => {
    const ist = zoneResolver('Europe/Istanbul');
    expect(ok('2020-09-09 13:18:00', ist)).toBe(ms('2020-09-09T10:18:00Z'));
    const ny = zoneResolver('America/New_York');
    expect(ok('2021-01-15 12:00:00', ny)).toBe(ms('2021-01-15T17:00:00Z'));
    expect(ok('2021-07-15 12:00:00', ny)).toBe(ms('2021-07-15T16:00:00Z'));
    // 2021-03-14 02:30 does not exist in New York: moved forward by the gap, as java.time does
    expect(ok('2021-03-14 02:30:00', ny)).toBe(ms('2021-03-14T07:30:00Z'));
    // 2021-11-07 01:30 happens twice: the earlier instant
    expect(ok('2021-11-07 01:30:00', ny)).toBe(ms('2021-11-07T05:30:00Z'));
    // an explicit offset wins over the zone
    expect(ok('2021-07-15T12:00:00Z', ny)).toBe(ms('2021-07-15T12:00:00Z'));
  });

  it('checks zone names', () => {
    expect(typeof checkZone('Europe/Istanbul')).toBe('object');
    expect(checkZone('Mars/Olympus')).toMatch(/not an IANA time zone/);
  });
});
