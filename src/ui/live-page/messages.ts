import type { BatchReport, RunEvent, RunInfo } from '../../pipeline/events.js';
import { formatDuration as fd } from '../../pipeline/outage.js';
import type { Server } from '../../pipeline/ports.js';

/**
 * What the live page is told, as JSON: the run's own events turned into the few things the page shows.
 * Nothing here names a server's address, a user or a password: the run (group, topic, table, trigger),
 * batches, lag, the last rows written, and whether Kafka or Cassandra is unreachable, in fixed words.
 */

/** The run, from its 'ready' event. */
export interface PageRun {
  group: string;
  topic: string;
  /** keyspace.table */
  table: string;
  trigger: string;
}

/** Per stage, as the metrics name them; fetch includes decode. */
export interface PageStages {
  fetch: number;
  decode: number;
  join: number;
  write: number;
  side_outputs: number;
  commit: number;
}

export interface PageBatch {
  /** the batch's number in this run, from 1 (the ledger's id may be null, and continues across runs) */
  seq: number;
  id: number | null;
  /** Unix ms: processing began, and the commit ended */
  startedAt: number;
  endedAt: number;
  input: number;
  malformed: number;
  unmatched: number;
  stale: number;
  written: number;
  totalMs: number;
  stages: PageStages;
  /** events/s: input over the time since the previous batch ended (Spark's inputRowsPerSecond) */
  inputRate: number;
  /** events/s: input over the batch's own processing time (processedRowsPerSecond) */
  processRate: number;
  lag: number;
  /** per partition: first and last offset read */
  offsets: Record<string, [number, number]>;
}

export interface PageRow {
  login_id: string;
  user_name: string | null;
  /** Unix ms */
  last_login: number;
}

/** Kafka or Cassandra unreachable, or partitions of Kafka stalled: one banner line each. */
export interface PageOutage {
  key: Server | 'stalled';
  server: Server;
  /** Unix ms: when the page's run first said so */
  since: number;
  text: string;
}

export type PageMessage =
  | { kind: 'run'; run: PageRun }
  | { kind: 'batch'; batch: PageBatch }
  | { kind: 'lag'; at: number; byPartition: Record<string, number> }
  | { kind: 'rows'; at: number; batchId: number | null; rows: PageRow[] }
  | { kind: 'outages'; outages: PageOutage[] }
  | { kind: 'stopped' };

/** 0 -> "as soon as records arrive", 500 -> "every 500ms", 30000 -> "every 30s". */
export function triggerText(info: Pick<RunInfo, 'once' | 'triggerMs'>): string {
  if (info.once) return 'available now, then exit';
  if (info.triggerMs === 0) return 'as soon as records arrive';
  if (info.triggerMs < 1000) return `every ${info.triggerMs}ms`;
  return `every ${info.triggerMs < 60_000 ? `${info.triggerMs / 1000}s` : fd(info.triggerMs)}`;
}

export function pageRun(info: RunInfo): PageRun {
  return { group: info.group, topic: info.topic, table: `${info.keyspace}.${info.table}`, trigger: triggerText(info) };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** A batch as the page charts it; prevEndedAt: when the run's previous batch ended (Unix ms). */
export function pageBatch(r: BatchReport, seq: number, prevEndedAt: number | undefined): PageBatch {
  const startedAt = r.startedAt.getTime();
  const endedAt = startedAt + r.totalMs;
  const secs = r.totalMs / 1000;
  const sinceLast = prevEndedAt !== undefined ? (endedAt - prevEndedAt) / 1000 : secs;
  const d = r.durationMs;
  const offsets: Record<string, [number, number]> = {};
  for (const [p, range] of r.offsets) offsets[String(p)] = [range[0], range[1]];
  return {
    seq,
    id: r.batchId,
    startedAt,
    endedAt: Math.round(endedAt),
    input: r.input,
    malformed: r.malformed,
    unmatched: r.unmatched,
    stale: r.stale,
    written: r.written,
    totalMs: round1(r.totalMs),
    stages: {
      fetch: round1(d.fetch),
      decode: round1(d.decode),
      join: round1(d.join),
      write: round1(d.write),
      side_outputs: round1(d.sideOutputs),
      commit: round1(r.commitMs),
    },
    inputRate: sinceLast > 0 ? round1(r.input / sinceLast) : 0,
    processRate: secs > 0 ? round1(r.input / secs) : 0,
    lag: r.lag,
    offsets,
  };
}

export function pageRows(r: BatchReport): PageRow[] {
  return r.rows.map((row) => ({ login_id: row.login_id, user_name: row.user_name, last_login: row.last_login }));
}

const plural = (n: number, word: string) => `${word}${n === 1 ? '' : 's'}`;

/**
 * What an event does to the banner: a line to show (set), a line to take down (clear), or nothing. The
 * words are fixed: an error's own message may name hosts, and the page says only which server. `since`
 * is when the outage began, as far as the event tells; the page counts the time since.
 */
export function outageChange(e: RunEvent, now: number): { set: PageOutage } | { clear: PageOutage['key'] } | undefined {
  const set = (server: Server, text: string, since = now, key: PageOutage['key'] = server) => ({
    set: { key, server, since, text },
  });
  switch (e.type) {
    case 'retrying':
      // delay 0: a commit given up, read again later; not an outage (nothing ends it)
      if (e.server === undefined || e.delayMs === 0) return undefined;
      return set(
        e.server,
        `${e.server} unreachable: the batch failed and is retried with backoff; nothing is committed until it succeeds`,
      );
    case 'consumer-error':
      return set(
        'Kafka',
        'Kafka unreachable: the consumer is reconnecting with backoff; nothing is committed meanwhile',
      );
    case 'kafka-silent':
      return set(
        'Kafka',
        'Kafka unreachable: fetches go unanswered; waiting for it, nothing is committed meanwhile',
        now - e.silentMs,
      );
    case 'outage-still':
      return set(e.server, `${e.server} unreachable; still retrying, nothing unwritten is committed`, now - e.downMs);
    case 'partitions-stalled':
      return set(
        'Kafka',
        `Kafka: ${plural(e.partitions.length, 'partition')} ${e.partitions.join(',')} (${e.lag} records behind) ` +
          `had no records for ${fd(e.stalledMs)} while others are read; the leader is likely gone`,
        now - e.stalledMs,
        'stalled',
      );
    case 'partitions-resumed':
      return { clear: 'stalled' };
    case 'outage-ended':
      return { clear: e.server };
    default:
      return undefined;
  }
}
