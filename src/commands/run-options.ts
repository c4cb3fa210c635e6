import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { JOIN_STRATEGIES, type JoinStrategy } from '../cassandra/join-way.js';
import { parsePositiveInt, parseTopicName } from '../config/validate.js';
import { UsageError } from '../errors.js';
import { FutureGuard, type DecodeOptions } from '../pipeline/decode.js';
import type { StartFrom } from '../pipeline/ports.js';
import { parseStartFrom } from '../config/start-spec.js';
import { isLoopback } from '../ui/live-page/server.js';
import { checkZone } from '../pipeline/time.js';
import { parseDuration } from '../pipeline/trigger.js';

/** The flags of `run`, as commander hands them over. */
export interface RunFlags {
  group: string;
  startingOffsets?: string;
  startingTimestamp?: string;
  trigger: string;
  once?: boolean;
  availableNow?: boolean;
  maxOffsetsPerTrigger?: string;
  maxBatchIds: string;
  timezone: string;
  idField: string;
  timeField: string;
  maxFuture: string;
  dlqTopic?: string;
  unmatchedTopic?: string;
  checkpoint?: string;
  progressJson?: string;
  quiet?: boolean;
  maxOutage?: string;
  shutdownTimeout: string;
  sessionTimeout: string;
  metricsPort?: string;
  metricsHost: string;
  ui?: boolean;
  uiPort?: string;
  uiHost?: string;
  joinStrategy: JoinStrategy;
  /** false with --no-read-ahead */
  readAhead: boolean;
}

/** A run, validated: what the flags ask for, in the pipeline's terms. */
export interface RunConfig {
  group: string;
  /** where partitions the group has no offset for start */
  startingOffsets: StartFrom;
  /** --starting-offsets or --starting-timestamp was given: say when the group's offsets overrule it */
  startExplicit: boolean;
  triggerMs: number;
  once: boolean;
  /** at most this many records per batch */
  maxRecords: number;
  maxBatchIds: number;
  decode: DecodeOptions;
  /** null: malformed records are only counted */
  dlqTopic: string | null;
  unmatchedTopic: string | null;
  /** the ledger's directory, absolute */
  checkpoint: string;
  /** the progress JSON: to stdout, to a file (absolute), or nowhere */
  progress: { stdout: boolean; file?: string };
  quiet: boolean;
  maxOutageMs?: number;
  shutdownMs: number;
  sessionMs: number;
  metrics?: { port: number; host: string };
  /**
   * the live page (--ui); withMetrics: --metrics-port names the same port, and one server serves the
   * page, /metrics and /healthz; warning: the page is served beyond this machine
   */
  ui?: { port: number; host: string; withMetrics: boolean; warning?: string };
  joinStrategy: JoinStrategy;
  /**
   * with an interval trigger, the users of up to this many of a batch's ids are read while it waits for
   * its trigger; undefined: none (--no-read-ahead, --join-strategy scan)
   */
  readAhead?: number;
  /** rows of each batch shown (their user names are read for it): none when nothing shows them */
  showRows: number;
}

/** Records in a batch when --max-offsets-per-trigger is not given. */
const DEFAULT_MAX_RECORDS = 2_000_000;

/** The live page's port and interface when --ui does not say: Spark's UI port. */
export const UI_DEFAULTS = { port: 4040, host: '127.0.0.1' };

export function declareRunFlags(cmd: Command): Command {
  cmd
    .option('-g, --group <id>', 'Kafka consumer group; runs with one group share the partitions', 'loginsync')
    .option(
      '--starting-offsets <where>',
      'where partitions the group has no offset for start: earliest (default), latest, or JSON offsets per partition, \'{"0":23,"1":-2}\' (Spark\'s form too; -2 earliest, -1 latest)',
    )
    .option(
      '--starting-timestamp <time>',
      'start partitions the group has no offset for at the first event written at or after this time ("2020-09-09 08:00:00" in --timezone, or ISO-8601)',
    )
    .option(
      '--trigger <interval>',
      'start a batch every interval: 500ms, 30s, 1m, "30 seconds"; 0 = as soon as records arrive',
      '0',
    )
    .option('--once', 'process what the topic holds now (up to the end offsets seen at start), then exit')
    .option('--available-now', 'alias of --once')
    .option('--max-offsets-per-trigger <n>', 'at most n records per batch')
    .option('--max-batch-ids <n>', 'close a batch at this many distinct login ids (bounds memory)', '500000')
    .option('--timezone <zone>', 'IANA zone of created_time values without a zone', 'UTC')
    .option('--id-field <name>', 'JSON field of the login id (seed 004 uses "Login Id")', 'login_id')
    .option('--time-field <name>', 'JSON field of the login time', 'created_time')
    .option(
      '--max-future <duration>',
      'an event more than this ahead of this machine\'s clock is malformed (dead-lettered), not written: it would hold last_login above every real login; "off" to accept any',
      '1h',
    )
    .option(
      '--dlq-topic <topic>',
      'dead-letter topic for malformed messages, or "none" to only count them (default: <topic>.dlq)',
    )
    .option('--unmatched-topic <topic>', 'send events of unknown login ids there instead of dropping them')
    .option(
      '--checkpoint <dir>',
      'ledger directory, one JSON line per committed batch (default: .loginsync/checkpoint/<group>)',
    );
  return declareServiceFlags(cmd);
}

/** The flags of a run as a service: progress, outages, shutdown, metrics, the live page, the join. */
function declareServiceFlags(cmd: Command): Command {
  return cmd
    .option('--progress-json <file>', 'append a Spark-style progress object per batch to file ("-" for stdout)')
    .option(
      '--max-outage <duration>',
      'give up (exit 1, nothing unwritten committed) when Kafka or Cassandra stays unreachable this long; default: wait for ever, with a reminder every 30 s',
    )
    .option(
      '--shutdown-timeout <duration>',
      'on SIGTERM/Ctrl-C, how long the batch in progress may take to finish and commit; past it the run exits 1 without committing it',
      '30s',
    )
    .option(
      '--session-timeout <duration>',
      'Kafka consumer session timeout: how soon the group gives the partitions of a crashed run to another (the broker allows 6s to 5m by default)',
      '30s',
    )
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics on http://<host>:<port>/metrics and health on /healthz (200, or 503 after 3 failed attempts in a row)',
    )
    .option('--metrics-host <host>', 'interface for --metrics-port (0.0.0.0 for every interface)', '127.0.0.1')
    .option(
      '--ui',
      `serve a live page of the run (rates, lag, stages, outcomes, the last batches) on http://${UI_DEFAULTS.host}:${UI_DEFAULTS.port}/`,
    )
    .option(
      '--ui-port <port>',
      `port of the live page (implies --ui; default ${UI_DEFAULTS.port}); the same as --metrics-port: one server serves both`,
    )
    .option(
      '--ui-host <host>',
      `interface of the live page (implies --ui; default ${UI_DEFAULTS.host}); anyone who can reach it can read login ids and user names`,
    )
    .addOption(
      new Option(
        '--join-strategy <way>',
        "how a batch's users are read: lookup (by key), scan (the whole table in token ranges, as Spark does), or auto: a scan when the batch holds half the table or more",
      )
        .choices(JOIN_STRATEGIES)
        .default('auto'),
    )
    .option(
      '--no-read-ahead',
      "with an interval --trigger, read a batch's users only at its trigger, not (by key) while it waits for it",
    )
    .option('-q, --quiet', 'print only the progress lines');
}

function positiveDuration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`${flag}: "${text}" is not a duration (e.g. 30s, 5m, 1h)`);
  return ms;
}

function sideTopics(f: RunFlags, inputTopic: string): { dlqTopic: string | null; unmatchedTopic: string | null } {
  const dlqTopic = f.dlqTopic === 'none' ? null : parseTopicName(f.dlqTopic ?? `${inputTopic}.dlq`, '--dlq-topic');
  const unmatchedTopic = f.unmatchedTopic === undefined ? null : parseTopicName(f.unmatchedTopic, '--unmatched-topic');
  for (const [flag, t] of [
    ['--dlq-topic', dlqTopic],
    ['--unmatched-topic', unmatchedTopic],
  ] as const) {
    if (t === inputTopic)
      throw new UsageError(
        `${flag} must differ from the input topic ${inputTopic}: its records would be read again, endlessly`,
      );
  }
  return { dlqTopic, unmatchedTopic };
}

/** --ui, --ui-port, --ui-host: the live page, if asked for. */
function uiConfig(f: RunFlags, metrics: RunConfig['metrics']): RunConfig['ui'] {
  if (!f.ui && f.uiPort === undefined && f.uiHost === undefined) return undefined;
  const port =
    f.uiPort === undefined ? UI_DEFAULTS.port : parsePositiveInt(f.uiPort, '--ui-port', { min: 1, max: 65535 });
  const host = f.uiHost ?? UI_DEFAULTS.host;
  if (host.trim() === '') throw new UsageError('--ui-host must not be empty');
  const withMetrics = metrics?.port === port;
  if (withMetrics && metrics.host !== host) {
    throw new UsageError(
      `--ui-port and --metrics-port are both ${port}, on different hosts (--ui-host ${host}, --metrics-host ${metrics.host}): one server serves both, give them one host`,
    );
  }
  return {
    port,
    host,
    withMetrics,
    ...(isLoopback(host)
      ? {}
      : {
          warning: `--ui-host ${host}: anyone who can reach port ${port} can read the login ids and user names the live page shows`,
        }),
  };
}

/**
 * How many of a batch's ids may be read ahead of its trigger: any of them (with auto, the store stops
 * short of a batch it would scan); none with --join-strategy scan or --no-read-ahead.
 */
function readAheadOf(f: RunFlags, maxBatchIds: number): { readAhead?: number } {
  if (!f.readAhead || f.joinStrategy === 'scan') return {};
  return { readAhead: maxBatchIds };
}

/** A consumer group id, as --group takes it: 1 to 255 characters. */
export function checkGroup(group: string): string {
  if (group.trim() === '' || group.length > 255) throw new UsageError('--group: 1 to 255 characters');
  return group;
}

/** The ledger's directory, absolute: --checkpoint, else .loginsync/checkpoint/<group> (the group's id made a safe file name). */
export function checkpointDir(group: string, given?: string): string {
  return resolve(given ?? join('.loginsync', 'checkpoint', group.replace(/[^A-Za-z0-9._-]/g, '_')));
}

/** The flags of `run` as a validated RunConfig, or a one-line error naming the flag. No I/O. */
export function parseRunConfig(f: RunFlags, inputTopic: string): RunConfig {
  const triggerMs = parseDuration(f.trigger);
  if (triggerMs === undefined)
    throw new UsageError(`--trigger: "${f.trigger}" is not an interval (e.g. 500ms, 30s, 1m, "30 seconds", 0)`);
  const maxRecords =
    f.maxOffsetsPerTrigger === undefined
      ? DEFAULT_MAX_RECORDS
      : parsePositiveInt(f.maxOffsetsPerTrigger, '--max-offsets-per-trigger');
  const maxBatchIds = parsePositiveInt(f.maxBatchIds, '--max-batch-ids');
  const zone = checkZone(f.timezone);
  if (typeof zone === 'string') throw new UsageError(`--timezone: ${zone}`);
  checkGroup(f.group);
  if (f.idField === '' || f.timeField === '') throw new UsageError('--id-field and --time-field must not be empty');
  const maxOutageMs = f.maxOutage === undefined ? undefined : positiveDuration(f.maxOutage, '--max-outage');
  const future = f.maxFuture === 'off' ? undefined : new FutureGuard(positiveDuration(f.maxFuture, '--max-future'));
  const shutdownMs = positiveDuration(f.shutdownTimeout, '--shutdown-timeout');
  const sessionMs = positiveDuration(f.sessionTimeout, '--session-timeout');
  const metricsPort =
    f.metricsPort === undefined ? undefined : parsePositiveInt(f.metricsPort, '--metrics-port', { min: 1, max: 65535 });
  const metrics = metricsPort !== undefined ? { port: metricsPort, host: f.metricsHost } : undefined;
  const ui = uiConfig(f, metrics);
  const stdout = f.progressJson === '-';
  return {
    group: f.group,
    startingOffsets: parseStartFrom(f, inputTopic, zone),
    startExplicit: f.startingOffsets !== undefined || f.startingTimestamp !== undefined,
    triggerMs,
    once: Boolean(f.once || f.availableNow),
    maxRecords,
    maxBatchIds,
    decode: { idField: f.idField, timeField: f.timeField, zone, ...(future ? { future } : {}) },
    ...sideTopics(f, inputTopic),
    checkpoint: checkpointDir(f.group, f.checkpoint),
    progress: { stdout, ...(f.progressJson && !stdout ? { file: resolve(f.progressJson) } : {}) },
    quiet: Boolean(f.quiet),
    ...(maxOutageMs !== undefined ? { maxOutageMs } : {}),
    shutdownMs,
    sessionMs,
    ...(metrics ? { metrics } : {}),
    ...(ui ? { ui } : {}),
    joinStrategy: f.joinStrategy,
    ...readAheadOf(f, maxBatchIds),
    showRows: f.quiet && !ui ? 0 : 20,
  };
}
