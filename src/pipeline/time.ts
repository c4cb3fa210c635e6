/**
 * Event time parsing. Accepted: the seed's `yyyy-MM-dd HH:mm:ss`, and ISO-8601
 * (`yyyy-MM-ddTHH:mm[:ss[.fff]][Z|±hh:mm|±hhmm]`, a space allowed instead of the T). A time without a
 * zone is wall-clock time in the given IANA zone. Years 0001-9999; leap seconds (second 60) and
 * impossible dates are refused rather than silently rolled over. Millisecond precision, as Cassandra's
 * timestamp type.
 */

const RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

export type TimeResult = { ok: true; ms: number } | { ok: false; reason: string };

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export function parseEventTime(text: string, zone: ZoneResolver): TimeResult {
  const fast = seedFormat(text);
  if (fast !== undefined) return { ok: true, ms: zone.toUtc(fast) };
  const m = RE.exec(text);
  if (!m) return { ok: false, reason: 'created_time is not "yyyy-MM-dd HH:mm:ss" or ISO-8601' };
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (year < 1) return { ok: false, reason: 'created_time year out of range (0001-9999)' };
  if (month < 1 || month > 12) return { ok: false, reason: 'created_time month out of range' };
  const dim = month === 2 && isLeap(year) ? 29 : DAYS[month - 1]!;
  if (day < 1 || day > dim) return { ok: false, reason: 'created_time day out of range' };
  if (hour > 23) return { ok: false, reason: 'created_time hour out of range' };
  if (minute > 59) return { ok: false, reason: 'created_time minute out of range' };
  if (second === 60) return { ok: false, reason: 'created_time is a leap second (:60), which timestamps cannot hold' };
  if (second > 59) return { ok: false, reason: 'created_time second out of range' };
  const wall = utcMs(year, month, day, hour, minute, second, ms);
  const z = m[8];
  if (z === undefined) return { ok: true, ms: zone.toUtc(wall) };
  if (z === 'Z') return { ok: true, ms: wall };
  const sign = z[0] === '-' ? -1 : 1;
  const digits = z.slice(1).replace(':', '');
  const oh = Number(digits.slice(0, 2));
  const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (oh > 18 || om > 59) return { ok: false, reason: 'created_time zone offset out of range' };
  return { ok: true, ms: wall - sign * (oh * 60 + om) * 60_000 };
}

/**
 * The hot path: exactly "yyyy-MM-dd HH:mm:ss" with plausible fields (years 1970-9999), read digit by
 * digit with no regex and no Date; anything else (or anything doubtful) returns undefined and takes the
 * full parser, which also gives the reasons.
 */
function seedFormat(t: string): number | undefined {
  if (
    t.length !== 19 ||
    t.charCodeAt(4) !== 45 ||
    t.charCodeAt(7) !== 45 ||
    t.charCodeAt(10) !== 32 ||
    t.charCodeAt(13) !== 58 ||
    t.charCodeAt(16) !== 58
  )
    return undefined;
  const d = (i: number) => t.charCodeAt(i) - 48;
  for (let i = 0; i < 19; i++) {
    if (i === 4 || i === 7 || i === 10 || i === 13 || i === 16) continue;
    const x = d(i);
    if (x < 0 || x > 9) return undefined;
  }
  const y = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
  const mo = d(5) * 10 + d(6);
  const day = d(8) * 10 + d(9);
  const h = d(11) * 10 + d(12);
  const mi = d(14) * 10 + d(15);
  const s = d(17) * 10 + d(18);
  if (y < 1970 || mo < 1 || mo > 12 || day < 1 || day > 28 || h > 23 || mi > 59 || s > 59) return undefined;
  return (daysFromCivil(y, mo, day) * 86_400 + h * 3600 + mi * 60 + s) * 1000;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Date.UTC, but years 0-99 are taken literally (Date.UTC maps them to 1900-1999). */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const dt = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  dt.setUTCFullYear(y);
  return dt.getTime();
}

/** Converts wall-clock times of one IANA zone to UTC milliseconds. */
export interface ZoneResolver {
  readonly name: string;
  toUtc(wallMs: number): number;
}

export const UTC: ZoneResolver = { name: 'UTC', toUtc: (ms) => ms };

/** Throws a RangeError for a zone name Intl does not know. */
export function zoneResolver(name: string): ZoneResolver {
  if (/^(utc|z|gmt|etc\/utc)$/i.test(name)) return UTC;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    era: 'short',
  });
  // offset (zone wall time minus UTC) at a UTC instant, cached per minute of the instant
  const cache = new Map<number, number>();
  const offsetAt = (utc: number): number => {
    const key = Math.floor(utc / 60_000);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const p: Record<string, string> = {};
    for (const part of fmt.formatToParts(new Date(key * 60_000))) p[part.type] = part.value;
    let year = Number(p.year);
    if (p.era === 'BC' || p.era === 'B') year = 1 - year;
    const wall = utcMs(year, Number(p.month), Number(p.day), Number(p.hour), Number(p.minute), Number(p.second), 0);
    const off = wall - key * 60_000;
    if (cache.size > 10_000) cache.clear();
    cache.set(key, off);
    return off;
  };
  return {
    name,
    toUtc(wall: number): number {
      // The offsets a day before and a day after cover any transition near this wall time. Both fit
      // in an overlap (clocks set back): the earlier instant wins. Neither fits in a gap (clocks set
      // forward): the time moves forward by the gap, using the offset from before it. As java.time.
      const before = offsetAt(wall - 86_400_000);
      const after = offsetAt(wall + 86_400_000);
      const a = wall - before;
      const b = wall - after;
      const aFits = offsetAt(a) === before;
      const bFits = offsetAt(b) === after;
      if (aFits && bFits) return Math.min(a, b);
      if (bFits) return b;
      return a;
    },
  };
}

/** Checks an IANA zone name, returning the resolver or what is wrong with the name. */
export function checkZone(name: string): ZoneResolver | string {
  try {
    return zoneResolver(name);
  } catch {
    return `"${name}" is not an IANA time zone (e.g. UTC, Europe/Istanbul, America/New_York)`;
  }
}
