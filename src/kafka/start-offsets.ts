import { UserError } from '../errors.js';
import type { StartFrom } from '../pipeline/ports.js';

/** A partition's log: its first offset still held and the next offset to be written. */
export interface LogRange {
  low: number;
  high: number;
}

/**
 * Where `from` puts each of `partitions` (those a group has no offset for), inside its log: offsets are
 * clamped into [low, high] (an offset deleted by retention starts at the first one held). `byTime`: for
 * a timestamp, the first offset at or after it per partition (the end when none is). `flag` names the
 * offsets in errors. Pure.
 */
export function resolveStarts(
  from: StartFrom,
  logs: Map<number, LogRange>,
  partitions: number[],
  byTime?: Map<number, number>,
  flag = '--starting-offsets',
): Map<number, number> {
  const out = new Map<number, number>();
  if (typeof from === 'object' && 'offsets' in from) checkPartitions(from.offsets, logs, partitions, flag);
  for (const p of partitions) {
    const log = logs.get(p);
    if (log === undefined) continue;
    out.set(p, clamp(wanted(from, p, log, byTime), log));
  }
  return out;
}

function wanted(from: StartFrom, p: number, log: LogRange, byTime: Map<number, number> | undefined): number {
  if (from === 'earliest') return log.low;
  if (from === 'latest') return log.high;
  if ('timestampMs' in from) return byTime?.get(p) ?? log.high;
  const o = from.offsets.get(p)!;
  return o === -2 ? log.low : o === -1 ? log.high : o;
}

const clamp = (o: number, log: LogRange) => Math.min(Math.max(o, log.low), log.high);

function checkPartitions(
  offsets: Map<number, number>,
  logs: Map<number, LogRange>,
  needed: number[],
  flag: string,
): void {
  const unknown = [...offsets.keys()].filter((p) => !logs.has(p));
  if (unknown.length > 0) {
    throw new UserError(
      `${flag} names partition${unknown.length > 1 ? 's' : ''} ${unknown.join(',')}, which the topic does not have (it has ${[...logs.keys()].sort((a, b) => a - b).join(',')})`,
    );
  }
  const missing = needed.filter((p) => !offsets.has(p));
  if (missing.length > 0) {
    throw new UserError(
      `${flag} leaves out partition${missing.length > 1 ? 's' : ''} ${missing.join(',')}, for which the group has no offset`,
      {
        hint: 'give every such partition an offset (-2 for earliest, -1 for latest)',
      },
    );
  }
}
