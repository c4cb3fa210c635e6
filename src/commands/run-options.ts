import { join, resolve } from 'node:path';
import type { JoinStrategy } from '../cassandra/join-way.js';
import { parseStartFrom } from '../config/start-spec.js';
import type { Resolved } from '../config/resolve.js';
import { UI_DEFAULTS, type SettingsOf } from '../config/table.js';
import { topicName } from '../config/kinds.js';
import { UsageError } from '../errors.js';
import { FutureGuard } from '../pipeline/decode.js';
import type { SessionOptions } from '../pipeline/session.js';
import { checkZone } from '../pipeline/time.js';
import { isLoopback } from '../ui/live-page/server.js';

/** What `run` is given: its settings from the table, flags > env > config files > defaults, each parsed. */
export type RunSettings = SettingsOf<'run'>;

/** run's settings with where each came from (a value from a file is named so in errors). */
export type ResolvedRun = Pick<Resolved<'run'>, 'settings' | 'sources' | 'origins'>;

/** How an error names where a value came from: the flag typed, else the variable or the file. */
const whence = (r: ResolvedRun, key: keyof RunSettings, flag: string) =>
  r.sources[key] === 'default' || r.origins[key] === undefined ? flag : r.origins[key];

/**
 * A run, checked: the session's options (what the engine is given), and what the command itself serves
 * and prints.
 */
export interface RunConfig extends SessionOptions {
  /** --starting-offsets or --starting-timestamp was given: say when the group's offsets overrule it */
  startExplicit: boolean;
  sessionMs: number;
  metrics?: { port: number; host: string };
  /**
   * the live page (--ui); withMetrics: --metrics-port names the same port, and one server serves the
   * page, /metrics and /healthz; warning: the page is served beyond this machine
   */
  ui?: { port: number; host: string; withMetrics: boolean; warning?: string };
  joinStrategy: JoinStrategy;
  /** the progress JSON: to stdout, to a file (absolute), or nowhere */
  progress: { stdout: boolean; file?: string };
  quiet: boolean;
}

/** A batch holds its distinct ids, its record timestamps (8 bytes each) and its dead letters: at most this. */
const MAX_HELD_BYTES = 64 * 1024 * 1024;

function sideTopics(r: ResolvedRun): Pick<RunConfig, 'dlqTopic' | 'unmatchedTopic'> {
  const s = r.settings;
  const dlq = whence(r, 'dlqTopic', '--dlq-topic');
  const dlqTopic = s.dlqTopic === 'none' ? null : topicName(s.dlqTopic ?? `${s.topic}.dlq`, dlq);
  const unmatched = whence(r, 'unmatchedTopic', '--unmatched-topic');
  const unmatchedTopic = s.unmatchedTopic === undefined ? null : topicName(s.unmatchedTopic, unmatched);
  for (const [flag, t] of [
    ['--dlq-topic', dlqTopic],
    ['--unmatched-topic', unmatchedTopic],
  ] as const) {
    if (t === s.topic)
      throw new UsageError(
        `${flag} must differ from the input topic ${s.topic}: its records would be read again, endlessly`,
      );
  }
  return { dlqTopic, unmatchedTopic };
}

/**
 * --ui, --ui-port, --ui-host: the live page, if asked for. A typed --ui-port or --ui-host implies --ui; set
 * in a file or a variable, they only say where the page goes when it is asked for.
 */
function uiConfig(r: ResolvedRun, metrics: RunConfig['metrics']): RunConfig['ui'] {
  const s = r.settings;
  const implied = r.sources.uiPort === 'flag' || r.sources.uiHost === 'flag';
  if (!s.ui && !implied) return undefined;
  const port = s.uiPort ?? UI_DEFAULTS.port;
  const host = s.uiHost ?? UI_DEFAULTS.host;
  if (host.trim() === '') throw new UsageError('--ui-host must not be empty');
  const withMetrics = metrics?.port === port;
  if (withMetrics && metrics.host !== host) {
    throw new UsageError(
      `--ui-port and --metrics-port are both ${port}, on different hosts (--ui-host ${host}, --metrics-host ` +
        `${metrics.host}): one server serves both, give them one host`,
    );
  }
  const warning = isLoopback(host)
    ? undefined
    : `--ui-host ${host}: anyone who can reach port ${port} can read the login ids and user names the live page shows`;
  return { port, host, withMetrics, warning };
}

/** The ledger's directory, absolute: --checkpoint, else .loginsync/checkpoint/<group> (the group's id made a safe file name). */
export function checkpointDir(group: string, given?: string): string {
  return resolve(given ?? join('.loginsync', 'checkpoint', group.replace(/[^A-Za-z0-9._-]/g, '_')));
}

/** The settings of `run` as a checked RunConfig, or a one-line error naming the flag. No I/O. */
export function parseRunConfig(r: ResolvedRun): RunConfig {
  const s = r.settings;
  const zone = checkZone(s.timezone);
  if (typeof zone === 'string') throw new UsageError(`${whence(r, 'timezone', '--timezone')}: ${zone}`);
  if (s.idField === '' || s.timeField === '') throw new UsageError('--id-field and --time-field must not be empty');
  const metrics = s.metricsPort !== undefined ? { port: s.metricsPort, host: s.metricsHost } : undefined;
  const ui = uiConfig(r, metrics);
  const stdout = s.progressJson === '-';
  return {
    topic: s.topic,
    keyspace: s.keyspace,
    table: s.table,
    group: s.group,
    startingOffsets: parseStartFrom(s, s.topic, zone),
    startExplicit: s.startingOffsets !== undefined || s.startingTimestamp !== undefined,
    triggerMs: s.trigger,
    once: s.once,
    limits: { maxRecords: s.maxOffsetsPerTrigger, maxDistinct: s.maxBatchIds, maxHeldBytes: MAX_HELD_BYTES },
    decode: {
      idField: s.idField,
      timeField: s.timeField,
      zone,
      future: s.maxFuture === null ? undefined : new FutureGuard(s.maxFuture),
    },
    ...sideTopics(r),
    checkpoint: checkpointDir(s.group, s.checkpoint),
    progress: { stdout, file: s.progressJson && !stdout ? resolve(s.progressJson) : undefined },
    quiet: s.quiet,
    maxOutageMs: s.maxOutage,
    shutdownMs: s.shutdownTimeout,
    sessionMs: s.sessionTimeout,
    metrics,
    ui,
    joinStrategy: s.joinStrategy,
    failOnDataLoss: s.failOnDataLoss,
    // with an interval trigger, any of a batch's ids may be read ahead of it (with auto, the store stops
    // short of a batch it would scan); none with --join-strategy scan or --no-read-ahead
    readAhead: s.readAhead && s.joinStrategy !== 'scan' ? s.maxBatchIds : undefined,
    // rows of each batch shown (their user names are read for it): none when nothing shows them
    showRows: s.quiet && !ui ? 0 : 20,
  };
}
