import { isUtf8 } from 'node:buffer';
import { formatDuration } from './outage.js';
import { parseEventTime, type ZoneResolver } from './time.js';

/**
 * What decode needs to know: the field names (seed 004 uses "Login Id"), the zone of zone-less times,
 * and how far ahead of the clock a time may be (none: any).
 */
export interface DecodeOptions {
  idField: string;
  timeField: string;
  zone: ZoneResolver;
  future?: FutureGuard;
}

/**
 * Refuses event times more than maxMs ahead of the clock: written, such a time would hold last_login
 * (which never moves backwards) above every real login of the user. The limit is read from the clock
 * again only when a time is beyond the one known, so most events cost one comparison; a time exactly
 * at the limit is accepted.
 */
export class FutureGuard {
  private limit = -Infinity;

  constructor(
    readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  tooFar(ms: number): boolean {
    if (ms <= this.limit) return false;
    this.limit = this.now() + this.maxMs;
    return ms > this.limit;
  }
}

/** Longest login_id accepted, in UTF-8 bytes; a Cassandra key can be larger, a login id should not be. */
export const MAX_ID_BYTES = 512;

export type Decoded = { ok: true; id: string; timeMs: number } | { ok: false; reason: string };

/**
 * One Kafka message value to a login event, or the reason it is malformed. Never throws.
 * login_id: a non-empty string, or a number (turned into its decimal string). created_time: a string.
 */
export function decode(value: Uint8Array | null, opts: DecodeOptions): Decoded {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty message' };
  if (!isUtf8(value)) return { ok: false, reason: 'not valid UTF-8' };
  const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const fast = plainPair(buf, opts);
  if (fast !== undefined) return finish(fast[0], fast[1], opts);
  const text = buf.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const obj = parsed as Record<string, unknown>;
  const rawId = Object.prototype.hasOwnProperty.call(obj, opts.idField) ? obj[opts.idField] : undefined;
  let id: string;
  if (typeof rawId === 'string') id = rawId;
  else if (typeof rawId === 'number' && Number.isSafeInteger(rawId)) id = String(rawId);
  else if (typeof rawId === 'number')
    return {
      ok: false,
      reason:
        `${opts.idField} is a number that is not a whole number below 2^53 (it would lose digits), ` +
        'expected a string',
    };
  else if (rawId === undefined) return { ok: false, reason: `${opts.idField} missing` };
  else return { ok: false, reason: `${opts.idField} is ${kindOf(rawId)}, expected a string` };
  const rawTime = Object.prototype.hasOwnProperty.call(obj, opts.timeField) ? obj[opts.timeField] : undefined;
  if (rawTime === undefined) return { ok: false, reason: `${opts.timeField} missing` };
  if (typeof rawTime !== 'string') {
    return { ok: false, reason: `${opts.timeField} is ${kindOf(rawTime)}, expected a string` };
  }
  return finish(id, rawTime, opts);
}

function finish(id: string, rawTime: string, opts: DecodeOptions): Decoded {
  if (id === '') return { ok: false, reason: `${opts.idField} is empty` };
  if (id.length > MAX_ID_BYTES / 4 && Buffer.byteLength(id) > MAX_ID_BYTES) {
    return { ok: false, reason: `${opts.idField} is longer than ${MAX_ID_BYTES} bytes` };
  }
  const t = parseEventTime(rawTime.trim(), opts.zone);
  if (!t.ok) return { ok: false, reason: t.reason.replace('created_time', opts.timeField) };
  if (opts.future?.tooFar(t.ms)) {
    const ahead = formatDuration(opts.future.maxMs);
    return { ok: false, reason: `${opts.timeField} in the future: more than ${ahead} ahead of the run's clock` };
  }
  return { ok: true, id, timeMs: t.ms };
}

const keyCache = new WeakMap<DecodeOptions, { id: Buffer; time: Buffer } | null>();

/**
 * The hot path: a message that is exactly {"<id>":"...","<time>":"..."} (either order, no spaces,
 * strings without escapes or control characters) is read without JSON.parse. Such a message is valid
 * JSON with exactly those two string members, so the result is what JSON.parse would give; anything
 * else returns undefined and takes the full path.
 */
function startsWith(b: Buffer, at: number, prefix: Buffer): boolean {
  if (at + prefix.length > b.length) return false;
  for (let k = 0; k < prefix.length; k++) if (b[at + k] !== prefix[k]) return false;
  return true;
}

function plainPair(b: Buffer, opts: DecodeOptions): [string, string] | undefined {
  let keys = keyCache.get(opts);
  if (keys === undefined) {
    // a field name with a quote, a backslash or a control character is not matched byte for byte
    // eslint-disable-next-line no-control-regex
    const plain = (k: string) => !/["\\\u0000-\u001f]/.test(k);
    keys =
      plain(opts.idField) && plain(opts.timeField) && opts.idField !== opts.timeField
        ? { id: Buffer.from(`"${opts.idField}":"`), time: Buffer.from(`"${opts.timeField}":"`) }
        : null;
    keyCache.set(opts, keys);
  }
  if (keys === null || b.length < 4 || b[0] !== 0x7b || b[b.length - 1] !== 0x7d) return undefined;
  let id: string | undefined;
  let time: string | undefined;
  let i = 1;
  for (let member = 0; member < 2; member++) {
    let key: 'id' | 'time';
    if (id === undefined && startsWith(b, i, keys.id)) key = 'id';
    else if (time === undefined && startsWith(b, i, keys.time)) key = 'time';
    else return undefined;
    i += keys[key].length;
    const start = i;
    for (; i < b.length; i++) {
      const c = b[i]!;
      if (c === 0x22) break;
      if (c === 0x5c || c < 0x20) return undefined;
    }
    if (i >= b.length) return undefined;
    const str = b.toString('utf8', start, i);
    if (key === 'id') id = str;
    else time = str;
    i++; // closing quote
    if (member === 0) {
      if (b[i] !== 0x2c) return undefined;
      i++;
    }
  }
  if (i !== b.length - 1 || id === undefined || time === undefined) return undefined;
  return [id, time];
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' && !Number.isFinite(v)) return 'not a finite number';
  return `a ${typeof v}`;
}
