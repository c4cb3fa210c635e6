import { appendFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Admin } from 'kafkajs';
import ora from 'ora';
import { cassandraError } from '../cassandra/client.js';
import { consistencyCode } from '../cassandra/lastlogin.js';
import { shapeDifferences, tableColumns } from '../cassandra/schema.js';
import { kafkaFor, openCassandra, openKafkaAdmin, verbose } from '../config/connect.js';
import { settingsFromCommand, withConnectionOptions } from '../config/settings.js';
import { parsePositiveInt, parseTopicName } from '../config/validate.js';
import { UserError, errorMessage } from '../errors.js';
import { kafkaError, retryRetriable } from '../kafka/client.js';
import { Engine, availableNowTargets, type BatchReport } from '../pipeline/engine.js';
import { Ledger } from '../pipeline/ledger.js';
import { RunMetrics } from '../metrics/metrics.js';
import { serveMetrics } from '../metrics/server.js';
import { OutageWatch, formatDuration, serverOf } from '../pipeline/outage.js';
import { progressObject } from '../pipeline/progress.js';
import { SideTopic } from '../pipeline/sink.js';
import { KafkaSource } from '../pipeline/source.js';
import { checkZone } from '../pipeline/time.js';
import { parseDuration } from '../pipeline/trigger.js';
import { progressLine, summaryLine, writtenTable } from '../ui/batch.js';
import { c, info, warn } from '../ui/output.js';
import { interactive } from '../ui/progress.js';

interface RunOptions {
  group: string;
  startingOffsets: 'earliest' | 'latest';
  trigger: string;
  once?: boolean;
  availableNow?: boolean;
  maxOffsetsPerTrigger?: string;
  maxBatchIds: string;
  timezone: string;
  idField: string;
  timeField: string;
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
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('the streaming join: read login events from Kafka, update users.last_login in Cassandra, batch by batch')
    .option('-g, --group <id>', 'Kafka consumer group; runs with one group share the partitions', 'loginsync')
    .addOption(new Option('--starting-offsets <where>', 'where a group with no committed offsets starts').choices(['earliest', 'latest']).default('earliest'))
    .option('--trigger <interval>', 'start a batch every interval: 500ms, 30s, 1m, "30 seconds"; 0 = as soon as records arrive', '0')
    .option('--once', 'process what the topic holds now (up to the end offsets seen at start), then exit')
    .option('--available-now', 'alias of --once')
    .option('--max-offsets-per-trigger <n>', 'at most n records per batch')
    .option('--max-batch-ids <n>', 'close a batch at this many distinct login ids (bounds memory)', '500000')
    .option('--timezone <zone>', 'IANA zone of created_time values without a zone', 'UTC')
    .option('--id-field <name>', 'JSON field of the login id (seed 004 uses "Login Id")', 'login_id')
    .option('--time-field <name>', 'JSON field of the login time', 'created_time')
    .option('--dlq-topic <topic>', 'dead-letter topic for malformed messages, or "none" to only count them (default: <topic>.dlq)')
    .option('--unmatched-topic <topic>', 'send events of unknown login ids there instead of dropping them')
    .option('--checkpoint <dir>', 'ledger directory, one JSON line per committed batch (default: .loginsync/checkpoint/<group>)')
    .option('--progress-json <file>', 'append a Spark-style progress object per batch to file ("-" for stdout)')
    .option('--max-outage <duration>', 'give up (exit 1, nothing unwritten committed) when Kafka or Cassandra stays unreachable this long; default: wait for ever, with a reminder every 30 s')
    .option('--shutdown-timeout <duration>', 'on SIGTERM/Ctrl-C, how long the batch in progress may take to finish and commit; past it the run exits 1 without committing it', '30s')
    .option('--session-timeout <duration>', 'Kafka consumer session timeout: how soon the group gives the partitions of a crashed run to another (the broker allows 6s to 5m by default)', '30s')
    .option('--metrics-port <port>', 'serve Prometheus metrics on http://<host>:<port>/metrics and health on /healthz (200, or 503 after 3 failed attempts in a row)')
    .option('--metrics-host <host>', 'interface for --metrics-port (0.0.0.0 for every interface)', '127.0.0.1')
    .option('-q, --quiet', 'print only the progress lines');
  withConnectionOptions(cmd);
  cmd.addHelpText('after', `
Each batch: decode (malformed -> dead-letter topic), keep the latest event per login_id, read only those
ids from Cassandra, update last_login where the event is newer than the stored value (never backwards,
never touching user_name), then commit the offsets. Ctrl-C or SIGTERM finishes the batch and commits;
a second Ctrl-C aborts without committing (exit 130).`);
  return cmd.action((opts: RunOptions, command: Command) => run(opts, command));
}

async function run(opts: RunOptions, command: Command): Promise<void> {
  const { settings: s } = settingsFromCommand(command);
  const triggerMs = parseDuration(opts.trigger);
  if (triggerMs === undefined) throw new UserError(`--trigger: "${opts.trigger}" is not an interval (e.g. 500ms, 30s, 1m, "30 seconds", 0)`);
  const once = Boolean(opts.once || opts.availableNow);
  const maxOffsets = opts.maxOffsetsPerTrigger === undefined ? undefined : parsePositiveInt(opts.maxOffsetsPerTrigger, '--max-offsets-per-trigger');
  const maxBatchIds = parsePositiveInt(opts.maxBatchIds, '--max-batch-ids');
  const zone = checkZone(opts.timezone);
  if (typeof zone === 'string') throw new UserError(zone);
  if (opts.group.trim() === '' || opts.group.length > 255) throw new UserError('--group: 1 to 255 characters');
  if (opts.idField === '' || opts.timeField === '') throw new UserError('--id-field and --time-field must not be empty');
  const maxOutageMs = opts.maxOutage === undefined ? undefined : positiveDuration(opts.maxOutage, '--max-outage');
  const shutdownMs = positiveDuration(opts.shutdownTimeout, '--shutdown-timeout');
  const sessionMs = positiveDuration(opts.sessionTimeout, '--session-timeout');
  const metricsPort = opts.metricsPort === undefined ? undefined : parsePositiveInt(opts.metricsPort, '--metrics-port', { min: 1, max: 65535 });
  const dlqTopic = opts.dlqTopic === 'none' ? null : parseTopicName(opts.dlqTopic ?? `${s.topic}.dlq`, '--dlq-topic');
  const unmatchedTopic = opts.unmatchedTopic === undefined ? null : parseTopicName(opts.unmatchedTopic, '--unmatched-topic');
  for (const [flag, t] of [['--dlq-topic', dlqTopic], ['--unmatched-topic', unmatchedTopic]] as const) {
    if (t === s.topic) throw new UserError(`${flag} must differ from the input topic ${s.topic}: its records would be read again, endlessly`);
  }
  const checkpoint = resolve(opts.checkpoint ?? join('.loginsync', 'checkpoint', opts.group.replace(/[^A-Za-z0-9._-]/g, '_')));
  const jsonToStdout = opts.progressJson === '-';
  const progressFile = opts.progressJson && !jsonToStdout ? resolve(opts.progressJson) : undefined;
  if (progressFile) writeFileSync(progressFile, '', { flag: 'a' });

  const cassandra = await openCassandra(s);
  const cleanups: Array<() => Promise<unknown>> = [() => cassandra.shutdown()];
  // each client gets a few seconds to close: a server that is down must not hold the exit
  const cleanup = async () => {
    for (const f of cleanups.reverse()) await Promise.race([f().catch(() => {}), new Promise((r) => setTimeout(r, 5_000).unref())]);
  };
  try {
    let columns;
    try {
      columns = await tableColumns(cassandra, s.keyspace, s.table);
    } catch (err) {
      throw cassandraError(err, s.cassandra, 'reading the schema');
    }
    if (columns.length === 0) throw new UserError(`table ${s.keyspace}.${s.table} does not exist`, { hint: 'create it with "loginsync init"' });
    const diffs = shapeDifferences(columns);
    if (diffs.length > 0) throw new UserError(`table ${s.keyspace}.${s.table} has another shape: ${diffs.join('; ')}`);

    const admin = await openKafkaAdmin(s);
    cleanups.push(() => admin.disconnect());
    const kafka = kafkaFor(s, 'loginsync-run');
    let targets;
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(s.topic)) throw new UserError(`topic ${s.topic} does not exist`, { hint: 'create it with "loginsync init"' });
      targets = await availableNowTargets(admin, s.topic, opts.group, opts.startingOffsets === 'earliest');
      if (opts.startingOffsets === 'latest') await pinLatest(admin, s.topic, opts.group, targets.start, targets.committed);
    } catch (err) {
      throw kafkaError(err, s.brokers, 'reading the topic');
    }
    const ledger = new Ledger(checkpoint);
    // a run killed between a commit and its ledger line, or offsets moved by hand: recorded, so the
    // ledger's ranges stay contiguous
    const noted = await ledger.reconcile(s.topic, opts.group, () => committedOffsets(admin, s.topic, opts.group), targets.start)
      .catch((err: unknown) => { throw kafkaError(err, s.brokers, 'reading the committed offsets'); });
    for (const e of noted) {
      const moves = Object.keys(e.endOffset).map((p) => `partition ${p} ${e.startOffset[p]} -> ${e.endOffset[p]}`).join(', ');
      info(e.kind === 'recovered'
        ? `ledger: the group's offsets were ahead of the ledger (${moves}), recorded as batch ${e.batchId}: a run stopped between a commit and its ledger line (its writes were acknowledged), or offsets moved by hand`
        : `ledger: the group's offsets were moved back by hand (${moves}); those records are read again`);
    }

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    if (dlqTopic || unmatchedTopic) {
      await producer.connect().catch((err: unknown) => { throw kafkaError(err, s.brokers, 'connecting the producer'); });
      cleanups.push(() => producer.disconnect());
    }

    const source = new KafkaSource(kafka, {
      topic: s.topic, groupId: opts.group, fromBeginning: opts.startingOffsets === 'earliest',
      decode: { idField: opts.idField, timeField: opts.timeField, zone },
      // records are collapsed as they arrive: a batch holds its distinct ids, its record timestamps
      // (8 bytes each) and its dead letters
      limits: { maxRecords: maxOffsets ?? 2_000_000, maxDistinct: maxBatchIds, maxHeldBytes: 64 * 1024 * 1024 },
      keepRaws: unmatchedTopic !== null,
      sessionTimeoutMs: sessionMs,
      ...(once ? { stopAt: targets.end } : {}),
      onError: (err, restart) => {
        if (!restart) {
          warn(`Kafka consumer stopped: ${errorMessage(err)}`);
          engine.abort(new UserError(`the Kafka consumer stopped: ${errorMessage(err)}`, { hint: 'nothing unwritten was committed; run again to go on' }));
        } else {
          metrics?.failed('Kafka', errorMessage(err));
          if (outage.failed('Kafka', errorMessage(err), Date.now())) {
            warn(`Kafka at ${s.brokers.join(',')}: ${errorMessage(err)}; reconnecting with backoff, nothing is committed meanwhile`);
          }
        }
      },
      // a fetch answered after an outage: the broker is back, with or without a rejoin
      onFetch: () => {
        if (!fetchesSilent) return;
        fetchesSilent = false;
        const was = outage.recovered('Kafka', Date.now());
        if (was !== undefined) info(`Kafka is back after ${formatDuration(was)}: fetches are answered again`);
      },
      onJoin: (partitions) => {
        fetchesSilent = false;
        const was = outage.recovered('Kafka', Date.now());
        if (was !== undefined) info(`Kafka is back after ${formatDuration(was)}: consuming partitions ${partitions.join(',') || '(none)'} again`);
      },
    });
    const metrics = metricsPort === undefined ? undefined : new RunMetrics(s.topic, { group: opts.group });
    /** fetches went unanswered (an outage seen while idle): the next answered one ends it */
    let fetchesSilent = false;
    const outage = new OutageWatch({ ...(maxOutageMs !== undefined ? { maxMs: maxOutageMs } : {}), remindEveryMs: 30_000 });
    for (const [p, o] of targets.start) source.positions.set(p, o);
    const runId = randomUUID();
    let prevEnd: number | undefined;
    const dataOut = (line: string) => (jsonToStdout ? process.stderr : process.stdout).write(line + '\n');
    const spinner = interactive() && !opts.quiet && triggerMs > 0 && !once ? ora({ stream: process.stderr }) : undefined;

    const engine = new Engine(source, {
      cassandra, keyspace: s.keyspace, table: s.table, topic: s.topic,
      consistency: { read: consistencyCode(s.readConsistency), write: consistencyCode(s.writeConsistency) },
      decode: { idField: opts.idField, timeField: opts.timeField, zone },
      dlq: dlqTopic ? new SideTopic(admin, producer, dlqTopic, '--dlq-topic') : null,
      unmatched: unmatchedTopic ? new SideTopic(admin, producer, unmatchedTopic, '--unmatched-topic') : null,
    }, ledger, {
      topic: s.topic, group: opts.group, triggerMs, once, endOffsets: targets.end, showRows: 20,
      behindInGroup: async (partitions) => {
        const committed = await retryRetriable(() => committedOffsets(admin, s.topic, opts.group));
        return partitions.filter((p) => (committed.get(p) ?? -1) < (targets.end.get(p) ?? 0));
      },
    }, {
      started: (records, distinct) => {
        metrics?.setLag(source.lagByPartition());
        if (verbose()) info(c.dim(`batch started: ${records} records, ${distinct} login ids`));
      },
      batch: (r: BatchReport) => {
        spinner?.stop();
        metrics?.batch(r, source.lagByPartition());
        for (const server of ['Cassandra', 'Kafka'] as const) {
          const was = r.batchId !== null || server === 'Cassandra' ? outage.recovered(server, Date.now()) : undefined;
          if (was !== undefined) info(`${server} is back after ${formatDuration(was)}; the batch is written${r.batchId !== null ? ' and committed' : ''}`);
        }
        if (!opts.quiet) {
          const table = writtenTable(r);
          if (table) dataOut(table);
        }
        dataOut(progressLine(r));
        const obj = progressObject(r, { runId, topic: s.topic, group: opts.group, ...(prevEnd !== undefined ? { prevEndMs: prevEnd } : {}) });
        prevEnd = r.startedAt.getTime() + r.totalMs;
        if (jsonToStdout) process.stdout.write(JSON.stringify(obj) + '\n');
        if (progressFile) appendFileSync(progressFile, JSON.stringify(obj) + '\n');
      },
      retrying: (err, attempt, delayMs) => {
        spinner?.stop();
        const server = serverOf(err);
        metrics?.failed(server ?? 'other', errorMessage(err));
        // a commit given up on (delay 0) ends its retries: not an outage still going on
        const first = server === undefined || delayMs === 0 || outage.failed(server, errorMessage(err), Date.now());
        // one line when an outage starts, then a reminder every 30 s (every attempt with --verbose)
        if (first || attempt === 1 || delayMs === 0 || verbose()) {
          warn(`batch failed (attempt ${attempt}): ${describeFailure(err, s)}; ${delayMs > 0 ? `retrying with backoff${maxOutageMs !== undefined ? ` for up to ${formatDuration(maxOutageMs)}` : ''}, nothing is committed until it succeeds` : 'giving up on this commit; the batch will be read again'}`);
        }
      },
      waitingForGroup: (partitions) => {
        spinner?.stop();
        info(`this run's partitions are done; waiting for partition${partitions.length > 1 ? 's' : ''} ${partitions.join(',')}, owned by another member of group ${opts.group} (or by a stopped run until its session times out), to reach the end offsets`);
      },
      idle: (at) => {
        if (spinner) spinner.start(`waiting for the next trigger at ${new Date(at).toISOString().slice(11, 19)} UTC`);
      },
    });

    const watch = setInterval(() => {
      metrics?.setLag(source.lagByPartition());
      // idle, a run only fetches: a broker gone shows as fetches no longer answered
      const silent = source.silentMs(Date.now());
      if (silent >= KAFKA_SILENCE_MS) fetchesSilent = true;
      // counted from now, not from the silence's start: a suspended laptop must not trip --max-outage at once
      if (silent >= KAFKA_SILENCE_MS && outage.failed('Kafka', 'fetch requests unanswered', Date.now())) {
        metrics?.failed('Kafka', 'fetch requests unanswered');
        warn(`Kafka at ${s.brokers.join(',')}: no fetch answered for ${formatDuration(silent)}; waiting for it, nothing is committed meanwhile`);
      }
      for (const n of outage.check(Date.now())) {
        const where = n.server === 'Kafka' ? s.brokers.join(',') : s.cassandra.join(',');
        if (n.kind === 'still-down') {
          warn(`${n.server} at ${where} unreachable for ${formatDuration(n.downMs)} (${n.reason}); still retrying, nothing unwritten is committed${maxOutageMs === undefined ? ' (--max-outage to give up)' : `; giving up after ${formatDuration(maxOutageMs)}`}`);
        } else {
          engine.abort(new UserError(`${n.server} at ${where} unreachable for longer than --max-outage ${formatDuration(maxOutageMs!)} (${n.reason})`, {
            hint: 'nothing unwritten was committed; run again when it is back, and the batch is read again',
          }));
        }
      }
    }, 1000);
    watch.unref();
    cleanups.push(async () => clearInterval(watch));

    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      spinner?.stop();
      if (signals === 1) {
        info(`\n${sig}: finishing the current batch and committing, for up to ${formatDuration(shutdownMs)} (Ctrl-C again to abort)`);
        engine.stop();
        setTimeout(() => {
          const busy = engine.inFlight;
          engine.abort(new Error('shutdown timeout'));
          warn(`shutdown timeout (${formatDuration(shutdownMs)}): ${busy ? 'the batch in progress is not committed and will be read again' : 'the Kafka and Cassandra clients did not close in time'}`);
          process.exit(1);
        }, shutdownMs).unref();
      } else {
        info('aborted: the current batch is not committed and will be read again');
        process.exit(130);
      }
    };
    process.removeAllListeners('SIGINT');
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    if (!opts.quiet) {
      info(c.dim(`reading ${s.topic} as group ${opts.group}${once ? ' (available now, then exit)' : ''}, writing ${s.keyspace}.${s.table}.last_login; dead letters: ${dlqTopic ?? 'counted only'}; ledger: ${ledger.file}`));
    }
    if (metrics && metricsPort !== undefined) {
      const server = await serveMetrics(metrics, metricsPort, opts.metricsHost);
      cleanups.push(() => new Promise((r) => server.close(() => r(undefined))));
      if (!opts.quiet) info(c.dim(`metrics: http://${opts.metricsHost}:${metricsPort}/metrics, health: /healthz`));
    }
    await source.start().catch((err: unknown) => { throw kafkaError(err, s.brokers, 'starting the consumer'); });
    cleanups.push(() => source.stop());
    const totals = await engine.run();
    spinner?.stop();
    info(summaryLine(totals));
  } finally {
    await cleanup();
  }
}

/** Fetches wait 100 ms for data at most: this long without an answer is an outage. */
const KAFKA_SILENCE_MS = 10_000;

/** Names the server behind a failure mid-run, so an outage reads as one. */
function describeFailure(err: unknown, s: { brokers: string[]; cassandra: string[] }): string {
  const server = serverOf(err);
  const name = (err as Error)?.name ?? '';
  if (server === 'Cassandra' && (name === 'NoHostAvailableError' || name === 'OperationTimedOutError')) return `Cassandra at ${s.cassandra.join(',')} is unreachable (${errorMessage(err)})`;
  if (server !== undefined) return `${server} at ${(server === 'Kafka' ? s.brokers : s.cassandra).join(',')}: ${errorMessage(err)}`;
  return errorMessage(err);
}

function positiveDuration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UserError(`${flag}: "${text}" is not a duration (e.g. 30s, 5m, 1h)`);
  return ms;
}

/** The group's committed offsets on the topic (partitions with none left out). */
async function committedOffsets(admin: Admin, topic: string, group: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const t of await admin.fetchOffsets({ groupId: group, topics: [topic] })) {
    for (const p of t.partitions) if (Number(p.offset) >= 0) out.set(p.partition, Number(p.offset));
  }
  return out;
}

/**
 * --starting-offsets latest: commit the start position of partitions the group has no offset for, so a
 * later run goes on from here instead of from a newer "latest", skipping what arrived in between.
 */
async function pinLatest(admin: Admin, topic: string, group: string, start: Map<number, number>, committed: Set<number>): Promise<void> {
  const partitions = [...start].filter(([p]) => !committed.has(p)).map(([partition, offset]) => ({ partition, offset: String(offset) }));
  if (partitions.length === 0) return;
  // only possible while the group has no active member; a running member keeps its own position
  await admin.setOffsets({ groupId: group, topic, partitions }).catch(() => {});
}
