import { UsageError } from '../errors.js';
import type { StartFrom } from '../pipeline/ports.js';
import { parseEventTime, type ZoneResolver } from '../pipeline/time.js';

/** Spark's sentinels in a startingOffsets JSON: -2 the earliest offset, -1 the latest. */
export const EARLIEST = -2;
export const LATEST = -1;

/**
 * Offsets per partition as JSON: `{"0":23,"1":40}`, or Spark's form keyed by topic,
 * `{"logins":{"0":23,"1":40}}` (whose topic must be ours). Offsets are whole numbers >= 0, or -2
 * (earliest) and -1 (latest) where `sentinels` allows.
 */
export function parseOffsetsJson(text: string, topic: string, flag: string, sentinels: boolean): Map<number, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${flag}: not JSON: ${text}`, {
      hint: `e.g. '{"0":23,"1":40}' or '{"${topic}":{"0":23,"1":40}}'`,
    });
  }
  const object = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!object(parsed))
    throw new UsageError(`${flag}: expected a JSON object of offsets per partition`, {
      hint: `e.g. '{"0":23,"1":40}'`,
    });
  const keys = Object.keys(parsed);
  let byPartition: Record<string, unknown> = parsed;
  if (keys.length > 0 && keys.every((k) => !/^\d+$/.test(k))) {
    if (keys.length !== 1 || keys[0] !== topic)
      throw new UsageError(`${flag} names topic ${keys.join(', ')}, but the topic is ${topic}`);
    const inner = parsed[topic];
    if (!object(inner)) throw new UsageError(`${flag}: expected {"${topic}":{"<partition>":<offset>, ...}}`);
    byPartition = inner;
  }
  const out = new Map<number, number>();
  for (const [p, v] of Object.entries(byPartition)) {
    if (!/^\d+$/.test(p) || Number(p) > 2 ** 31 - 1) throw new UsageError(`${flag}: "${p}" is not a partition number`);
    const min = sentinels ? EARLIEST : 0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new UsageError(
        `${flag}: partition ${p}: ${JSON.stringify(v)} is not an offset${sentinels ? ' (a whole number >= 0, or -2 for earliest, -1 for latest)' : ' (a whole number >= 0)'}`,
      );
    }
    out.set(Number(p), v);
  }
  if (out.size === 0) throw new UsageError(`${flag}: no partition given`);
  return out;
}

/** A moment: "2020-09-09 10:00:00" in the zone given, or ISO-8601 with its own zone. */
export function parseInstant(text: string, zone: ZoneResolver, flag: string): number {
  const t = parseEventTime(text.trim(), zone);
  if (!t.ok)
    throw new UsageError(`${flag}: "${text}" is not a time: ${t.reason.replace('created_time', 'it')}`, {
      hint: 'e.g. "2020-09-09 08:00:00" (in --timezone) or 2020-09-09T08:00:00+02:00',
    });
  return t.ms;
}

/** --starting-offsets (earliest, latest or JSON) and --starting-timestamp, of which one may be given. */
export function parseStartFrom(
  o: { startingOffsets?: string; startingTimestamp?: string },
  topic: string,
  zone: ZoneResolver,
): StartFrom {
  if (o.startingTimestamp !== undefined) {
    if (o.startingOffsets !== undefined)
      throw new UsageError('give --starting-offsets or --starting-timestamp, not both');
    return { timestampMs: parseInstant(o.startingTimestamp, zone, '--starting-timestamp') };
  }
  const text = (o.startingOffsets ?? 'earliest').trim();
  if (text === 'earliest' || text === 'latest') return text;
  if (!text.startsWith('{'))
    throw new UsageError(
      `--starting-offsets: "${text}" is not earliest, latest or a JSON object of offsets per partition`,
    );
  return { offsets: parseOffsetsJson(text, topic, '--starting-offsets', true) };
}
