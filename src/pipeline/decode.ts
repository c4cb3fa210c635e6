import { parseEventTime, type ZoneResolver } from './time.js';

/** What decode needs to know: the field names (seed 004 uses "Login Id") and the zone of zone-less times. */
export interface DecodeOptions {
  idField: string;
  timeField: string;
  zone: ZoneResolver;
}

/** Longest login_id accepted, in UTF-8 bytes; a Cassandra key can be larger, a login id should not be. */
export const MAX_ID_BYTES = 512;

export type Decoded =
  | { ok: true; id: string; timeMs: number }
  | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One Kafka message value to a login event, or the reason it is malformed. Never throws.
 * login_id: a non-empty string, or a number (turned into its decimal string). created_time: a string.
 */
export function decode(value: Uint8Array | null, opts: DecodeOptions): Decoded {
  if (value === null || value.length === 0) return { ok: false, reason: 'empty message' };
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return { ok: false, reason: 'not valid UTF-8' };
  }
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
  else if (typeof rawId === 'number') return { ok: false, reason: `${opts.idField} is a number that is not a whole number below 2^53 (it would lose digits), expected a string` };
  else if (rawId === undefined) return { ok: false, reason: `${opts.idField} missing` };
  else return { ok: false, reason: `${opts.idField} is ${kindOf(rawId)}, expected a string` };
  if (id === '') return { ok: false, reason: `${opts.idField} is empty` };
  if (id.length > MAX_ID_BYTES / 4 && Buffer.byteLength(id) > MAX_ID_BYTES) {
    return { ok: false, reason: `${opts.idField} is longer than ${MAX_ID_BYTES} bytes` };
  }
  const rawTime = Object.prototype.hasOwnProperty.call(obj, opts.timeField) ? obj[opts.timeField] : undefined;
  if (rawTime === undefined) return { ok: false, reason: `${opts.timeField} missing` };
  if (typeof rawTime !== 'string') {
    return { ok: false, reason: `${opts.timeField} is ${kindOf(rawTime)}, expected a string` };
  }
  const t = parseEventTime(rawTime.trim(), opts.zone);
  if (!t.ok) return { ok: false, reason: t.reason.replace('created_time', opts.timeField) };
  return { ok: true, id, timeMs: t.ms };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' && !Number.isFinite(v)) return 'not a finite number';
  return `a ${typeof v}`;
}
