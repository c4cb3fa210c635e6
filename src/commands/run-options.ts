import { join, resolve } from 'node:path';
import type { JoinStrategy } from '../cassandra/join-way.js';
import { parseStartFrom } from '../config/start-spec.js';
import type { SettingsOf } from '../config/table.js';
import { topicName } from '../config/kinds.js';
import { UsageError } from '../errors.js';
import { FutureGuard } from '../pipeline/decode.js';
import type { SessionOptions } from '../pipeline/session.js';
import { zoneResolver } from '../pipeline/time.js';
import { isLoopback } from '../ui/live-page/server.js';

/** What `run` is given: its settings from the table, flags > env > config files > defaults, each parsed. */
export type RunSettings = SettingsOf<'run'>;

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

/** The live page's port and interface when --ui does not say: Spark's UI port. */
export const UI_DEFAULTS = { port: 4040, host: '127.0.0.1' };

/** A batch holds its distinct ids, its record timestamps (8 bytes each) and its dead letters: at most this. */
const MAX_HELD_BYTES = 64 * 1024 * 1024;

function sideTopics(s: RunSettings): Pick<RunConfig, 'dlqTopic' | 'unmatchedTopic'> {
  const dlqTopic = s.dlqTopic === 'none' ? null : topicName(s.dlqTopic ?? `${s.topic}.dlq`, '--dlq-topic');
  const unmatchedTopic = s.unmatchedTopic === undefined ? null : topicName(s.unmatchedTopic, '--unmatched-topic');
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

/** --ui, --ui-port, --ui-host: the live page, if asked for. */
function uiConfig(s: RunSettings, metrics: RunConfig['metrics']): RunConfig['ui'] {
  if (!s.ui && s.uiPort === undefined && s.uiHost === undefined) return undefined;
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
export function parseRunConfig(s: RunSettings): RunConfig {
  const zone = zoneResolver(s.timezone);
  if (s.idField === '' || s.timeField === '') throw new UsageError('--id-field and --time-field must not be empty');
  const metrics = s.metricsPort !== undefined ? { port: s.metricsPort, host: s.metricsHost } : undefined;
  const ui = uiConfig(s, metrics);
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
    ...sideTopics(s),
    checkpoint: checkpointDir(s.group, s.checkpoint),
    progress: { stdout, file: s.progressJson && !stdout ? resolve(s.progressJson) : undefined },
    quiet: s.quiet,
    maxOutageMs: s.maxOutage,
    shutdownMs: s.shutdownTimeout,
    sessionMs: s.sessionTimeout,
    metrics,
    ui,
    joinStrategy: s.joinStrategy,
    // with an interval trigger, any of a batch's ids may be read ahead of it (with auto, the store stops
    // short of a batch it would scan); none with --join-strategy scan or --no-read-ahead
    readAhead: s.readAhead && s.joinStrategy !== 'scan' ? s.maxBatchIds : undefined,
    // rows of each batch shown (their user names are read for it): none when nothing shows them
    showRows: s.quiet && !ui ? 0 : 20,
  };
}
