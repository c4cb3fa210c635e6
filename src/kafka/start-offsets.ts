import { UserError } from '../errors.js';
import type { DataLoss, StartFrom } from '../pipeline/ports.js';

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

/**
 * Records gone before they were read, as the logs stand now: a committed offset below its partition's
 * first offset (deleted by retention or delete-records), or past its end (the topic deleted and made
 * again: how many is unknown); and an explicit --starting-offsets offset below the first one held.
 * earliest, latest, -2, -1 and a timestamp are never a loss. Reading goes on at the first offset held.
 * Pure.
 */
export function findLosses(logs: Map<number, LogRange>, committed: Map<number, number>, from: StartFrom): DataLoss[] {
  const out: DataLoss[] = [];
  for (const [partition, log] of [...logs].sort(([a], [b]) => a - b)) {
    const c = committed.get(partition);
    const asked = c ?? (typeof from === 'object' && 'offsets' in from ? from.offsets.get(partition) : undefined);
    if (asked === undefined || asked < 0) continue;
    if (asked < log.low) out.push({ partition, from: asked, to: log.low, count: log.low - asked, why: 'deleted' });
    else if (c !== undefined && c > log.high)
      out.push({ partition, from: c, to: log.low, count: null, why: 'recreated' });
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
