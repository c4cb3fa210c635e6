import ora, { type Ora } from 'ora';
import { UserError, describeFailure } from '../errors.js';
import type { RunEvent, RunInfo, RunListener } from '../pipeline/events.js';
import type { LedgerEntry } from '../pipeline/ledger.js';
import { OutageTooLong } from '../pipeline/monitor.js';
import { formatDuration as fd } from '../pipeline/outage.js';
import type { Server, StartFrom } from '../pipeline/ports.js';
import { progressLine, summaryLine, writtenTable } from './batch.js';
import { c, info, warn } from './output.js';

export interface ReporterOptions {
  brokers: string[];
  cassandra: string[];
  /** only the progress lines */
  quiet: boolean;
  verbose: boolean;
  /** the progress JSON goes to stdout: the tables and progress lines go to stderr */
  jsonToStdout: boolean;
  /** a spinner while waiting for the next trigger (a terminal, interval triggers) */
  spinner: boolean;
  maxOutageMs?: number;
  metricsUrl?: string;
  /** the live page (--ui) */
  pageUrl?: string;
}

/** The run's failure as the one-line error the terminal shows. */
export function runFailure(err: unknown, o: { brokers: string[]; cassandra: string[] }): unknown {
  if (!(err instanceof OutageTooLong)) return err;
  const where = (err.server === 'Kafka' ? o.brokers : o.cassandra).join(',');
  return new UserError(
    `${err.server} at ${where} unreachable for longer than --max-outage ${fd(err.maxMs)} (${err.reason})`,
    {
      hint: 'nothing unwritten was committed; run again when it is back, and the batch is read again',
    },
  );
}

function describeStart(from: StartFrom): string {
  if (typeof from === 'string') return `--starting-offsets ${from}`;
  if ('timestampMs' in from) return `--starting-timestamp ${new Date(from.timestampMs).toISOString()}`;
  return `--starting-offsets ${JSON.stringify(Object.fromEntries(from.offsets))}`;
}

/** Where an asked-for start applied; a warning where the group's own offsets overruled it. */
function startNote(e: Extract<RunEvent, { type: 'start' }>, quiet: boolean): Line {
  const what = describeStart(e.from);
  const offsets = e.applied.map(([p, o]) => `${p} at offset ${o}`).join(', ');
  const applied = e.applied.length === 0 ? '' : `${what}: partition${e.applied.length > 1 ? 's' : ''} ${offsets}`;
  if (e.ignored.length === 0) return quiet ? undefined : { text: c.dim(applied) };
  const s = e.ignored.length > 1 ? 's' : '';
  const ignored =
    `${what} ignored for partition${s} ${e.ignored.join(',')}: ` +
    'the group has committed offsets there and goes on from them (loginsync offsets reset to move them)';
  return { warn: true, text: applied === '' ? ignored : `${applied}; ${ignored}` };
}

function ledgerNote(e: LedgerEntry): string {
  const moves = Object.keys(e.endOffset)
    .map((p) => `partition ${p} ${e.startOffset[p]} -> ${e.endOffset[p]}`)
    .join(', ');
  if (e.kind === 'lost') return `ledger: records lost (${moves}) recorded as batch ${e.batchId} (lost)`;
  return e.kind === 'recovered'
    ? `ledger: the group's offsets were ahead of the ledger (${moves}), recorded as batch ${e.batchId}: ` +
        'a run stopped between a commit and its ledger line (its writes were acknowledged), or offsets moved by hand'
    : `ledger: the group's offsets were moved back by hand (${moves}); those records are read again`;
}

/** The run on the terminal: data (written rows, progress lines) on stdout, chatter on stderr. */
export function terminalReporter(o: ReporterOptions): RunListener {
  const spinner: Ora | undefined = o.spinner ? ora({ stream: process.stderr }) : undefined;
  const dataOut = (line: string) => (o.jsonToStdout ? process.stderr : process.stdout).write(line + '\n');
  const where = (server: Server) => (server === 'Kafka' ? o.brokers : o.cassandra).join(',');
  const lines = messages(o, where);
  return (e) => {
    if (e.type === 'idle') {
      spinner?.start(`waiting for the next trigger at ${new Date(e.nextAt).toISOString().slice(11, 19)} UTC`);
      return;
    }
    if (['batch-done', 'retrying', 'waiting-for-group', 'stopping', 'interrupted', 'stopped'].includes(e.type))
      spinner?.stop();
    if (e.type === 'batch-done') {
      const table = o.quiet ? undefined : writtenTable(e.report);
      if (table) dataOut(table);
      dataOut(progressLine(e.report));
      return;
    }
    const line = lines(e);
    if (line) (line.warn ? warn : info)(line.text);
  };
}

type Line = { text: string; warn?: boolean } | undefined;

/** The chatter line for an event, if it has one. */
function messages(o: ReporterOptions, where: (s: Server) => string): (e: RunEvent) => Line {
  const retry = (delayMs: number) => {
    const upTo = o.maxOutageMs !== undefined ? ` for up to ${fd(o.maxOutageMs)}` : '';
    return delayMs > 0
      ? `retrying with backoff${upTo}, nothing is committed until it succeeds`
      : 'giving up on this commit; the batch will be read again';
  };
  let group = '';
  return (e) => {
    switch (e.type) {
      case 'ready':
        group = e.info.group;
        return o.quiet ? undefined : { text: [readyLine(e.info), ...servedLines(o)].map((l) => c.dim(l)).join('\n') };
      case 'ledger':
        return { text: ledgerNote(e.entry) };
      case 'data-loss':
        return { warn: true, text: e.text };
      case 'partitions-added':
        return {
          text:
            `topic ${e.topic} now has ${e.total} partitions: reading ${e.partitions.join(', ')} from their start` +
            ' (a batch read before the rejoin is not committed: it is read again)',
        };
      case 'start':
        return startNote(e, o.quiet);
      case 'predecessors': {
        const who = `a stopped run (pid ${e.pids.join(', ')})`;
        return e.removed
          ? {
              text: c.dim(
                `removed ${who} from the group: its partitions are read again at once, not after its session times out`,
              ),
            }
          : {
              warn: true,
              text:
                `could not remove ${who} from the group (${e.message}); ` +
                'its partitions wait until its session times out',
            };
      }
      case 'batch-started':
        return o.verbose ? { text: c.dim(`batch started: ${e.records} records, ${e.distinct} login ids`) } : undefined;
      case 'retrying':
        // one line when an outage starts, then a reminder every 30 s (every attempt with --verbose)
        if (!(e.firstOfOutage || e.attempt === 1 || e.delayMs === 0 || o.verbose)) return undefined;
        return {
          warn: true,
          text: `batch failed (attempt ${e.attempt}): ${describeFailure(e.error, o)}; ${retry(e.delayMs)}`,
        };
      default:
        return outageMessage(e, o, where) ?? endMessage(e, group);
    }
  };
}

/** The lines of an outage: a consumer, a partition or a server gone, and back. */
function outageMessage(e: RunEvent, o: ReporterOptions, where: (s: Server) => string): Line {
  switch (e.type) {
    case 'consumer-stopped':
      return { warn: true, text: `Kafka consumer stopped: ${e.message}` };
    case 'consumer-error':
      return e.firstOfOutage
        ? {
            warn: true,
            text: `Kafka at ${where('Kafka')}: ${e.message}; reconnecting with backoff, nothing is committed meanwhile`,
          }
        : undefined;
    case 'partitions-stalled': {
      const many = e.partitions.length > 1;
      const stalled = `partition${many ? 's' : ''} ${e.partitions.join(',')} (${e.lag} records behind)`;
      return {
        warn: true,
        text:
          `Kafka at ${where('Kafka')}: ${stalled} had no records for ${fd(e.stalledMs)} while others are read: ` +
          `${many ? 'their' : 'its'} leader is likely gone until Kafka elects another (others may wait meanwhile); ` +
          `nothing of ${many ? 'them' : 'it'} is committed meanwhile`,
      };
    }
    case 'partitions-resumed':
      return {
        text:
          `Kafka is back after ${fd(e.afterMs)} for partition${e.partitions.length > 1 ? 's' : ''} ` +
          `${e.partitions.join(',')}: records arrive again`,
      };
    case 'kafka-silent':
      return {
        warn: true,
        text:
          `Kafka at ${where('Kafka')}: no fetch answered for ${fd(e.silentMs)}; ` +
          'waiting for it, nothing is committed meanwhile',
      };
    case 'outage-still': {
      const giveUp =
        o.maxOutageMs === undefined ? ' (--max-outage to give up)' : `; giving up after ${fd(o.maxOutageMs)}`;
      return {
        warn: true,
        text:
          `${e.server} at ${where(e.server)} unreachable for ${fd(e.downMs)} (${e.reason}); ` +
          `still retrying, nothing unwritten is committed${giveUp}`,
      };
    }
    case 'outage-ended':
      return { text: backLine(e) };
    default:
      return undefined;
  }
}

/** The lines of a run's end: waiting for the group, stopping, stopped. */
function endMessage(e: RunEvent, group: string): Line {
  switch (e.type) {
    case 'waiting-for-group': {
      const partitions = `partition${e.partitions.length > 1 ? 's' : ''} ${e.partitions.join(',')}`;
      return {
        text:
          `this run's partitions are done; waiting for ${partitions}, owned by another member of group ${group} ` +
          '(or by a stopped run until its session times out), to reach the end offsets',
      };
    }
    case 'stopping':
      return {
        text:
          `\n${e.signal}: finishing the current batch and committing, for up to ${fd(e.shutdownMs)} ` +
          '(Ctrl-C again to abort)',
      };
    case 'shutdown-timeout': {
      const outcome = e.busy
        ? 'the batch in progress is not committed and will be read again'
        : 'the Kafka and Cassandra clients did not close in time';
      return { warn: true, text: `shutdown timeout (${fd(e.shutdownMs)}): ${outcome}` };
    }
    case 'interrupted':
      return { text: e.batch ? 'aborted: the current batch is not committed and will be read again' : 'interrupted' };
    case 'stopped':
      return { text: summaryLine(e.totals) };
    default:
      return undefined;
  }
}

/** Where the run's metrics and live page are served. */
function servedLines(o: ReporterOptions): string[] {
  return [
    ...(o.metricsUrl ? [`metrics: ${o.metricsUrl}/metrics, health: /healthz`] : []),
    ...(o.pageUrl ? [`live page: ${o.pageUrl}`] : []),
  ];
}

function readyLine(i: RunInfo): string {
  const once = i.once ? ' (available now, then exit)' : '';
  return (
    `reading ${i.topic} as group ${i.group}${once}, writing ${i.keyspace}.${i.table}.last_login; ` +
    `dead letters: ${i.dlqTopic ?? 'counted only'}; ledger: ${i.ledgerFile}`
  );
}

function backLine(e: Extract<RunEvent, { type: 'outage-ended' }>): string {
  if (e.how === 'fetch') return `Kafka is back after ${fd(e.downMs)}: fetches are answered again`;
  if (e.how === 'join')
    return `Kafka is back after ${fd(e.downMs)}: consuming partitions ${e.partitions?.join(',') || '(none)'} again`;
  return `${e.server} is back after ${fd(e.downMs)}; the batch is written${e.committed ? ' and committed' : ''}`;
}
