import { appendFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { consistencyCode } from '../cassandra/lastlogin.js';
import { CassandraUserStore } from '../cassandra/user-store.js';
import { kafkaFor, openCassandra, openKafkaAdmin } from '../config/connect.js';
import { declareSettings } from '../config/declare.js';
import type { ConnectionSettings } from '../config/table.js';
import { kafkaError } from '../kafka/client.js';
import { KafkaGroup } from '../kafka/group.js';
import { SideTopic } from '../kafka/side-topic.js';
import { KafkaSource } from '../kafka/source.js';
import { RunMetrics } from '../metrics/metrics.js';
import { progressWriter } from '../pipeline/progress.js';
import { RunSession, stopOnSignals, type SessionAdapters } from '../pipeline/session.js';
import { LivePage } from '../ui/live-page/server.js';
import { warn } from '../ui/output.js';
import { runFailure, terminalReporter } from '../ui/run-reporter.js';
import { interactive } from '../ui/progress.js';
import { commandSettings } from './settings.js';
import { serveHttpSides, urlOf } from './run-http.js';
import { parseRunConfig, type RunConfig } from './run-options.js';

export function runCommand(): Command {
  const cmd = new Command('run').description(
    'the streaming join: read login events from Kafka, update users.last_login in Cassandra, batch by batch',
  );
  declareSettings(cmd, 'run');
  cmd.addHelpText(
    'after',
    `
Each batch: decode (malformed -> dead-letter topic), keep the latest event per login_id, read only those
ids from Cassandra, update last_login where the event is newer than the stored value (never backwards,
never touching user_name), then commit the offsets. Ctrl-C or SIGTERM finishes the batch and commits;
a second Ctrl-C aborts without committing (exit 130).

Examples:
  loginsync run --trigger 30s                       # the seed's job: a batch every 30 seconds
  loginsync run --ui                                # and watch it on http://127.0.0.1:4040/
  loginsync run -g replay --starting-timestamp "2020-09-09 08:00:00" --once   # reprocess since then
  loginsync run -g new --starting-offsets '{"0":23,"1":-2}'                  # Spark's startingOffsets
  loginsync run --max-future 10m                    # refuse events more than 10 minutes ahead`,
  );
  return cmd.action((_opts: unknown, command: Command) => run(command));
}

/** The Kafka and Cassandra adapters of a run, opened when the session asks for them. */
function adapters(s: ConnectionSettings, cfg: RunConfig): SessionAdapters {
  const kafka = kafkaFor(s, 'loginsync-run');
  const consistency = { read: consistencyCode(s.readConsistency), write: consistencyCode(s.writeConsistency) };
  const table = { keyspace: s.keyspace, table: s.table, consistency, joinStrategy: cfg.joinStrategy };
  let admin: Awaited<ReturnType<typeof openKafkaAdmin>> | undefined;
  return {
    store: async () => new CassandraUserStore(await openCassandra(s), table, s.cassandra),
    group: async () => {
      admin = await openKafkaAdmin(s);
      return new KafkaGroup(kafka, admin, s.topic, cfg.group, s.brokers);
    },
    sideOutputs: async () => {
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect().catch((err: unknown) => {
        throw kafkaError(err, s.brokers, 'connecting the producer');
      });
      return {
        dlq: cfg.dlqTopic ? new SideTopic(admin!, producer, cfg.dlqTopic, '--dlq-topic', s.topic) : null,
        unmatched: cfg.unmatchedTopic
          ? new SideTopic(admin!, producer, cfg.unmatchedTopic, '--unmatched-topic', s.topic)
          : null,
        close: () => producer.disconnect(),
      };
    },
    source: (spec) =>
      new KafkaSource(kafka, {
        topic: s.topic,
        groupId: cfg.group,
        fromBeginning: cfg.startingOffsets !== 'latest',
        sessionTimeoutMs: cfg.sessionMs,
        // partitions added to the topic are seen within a trigger interval or 10 s, not kafkajs' 5 minutes
        metadataMaxAgeMs: Math.max(cfg.triggerMs, 10_000),
        brokers: s.brokers,
        ...spec,
      }),
  };
}

async function run(command: Command): Promise<void> {
  const resolved = commandSettings(command, 'run');
  const s = resolved.settings;
  const cfg = parseRunConfig(resolved);
  if (cfg.progress.file) writeFileSync(cfg.progress.file, '', { flag: 'a' });
  if (cfg.ui?.warning) warn(cfg.ui.warning);
  const metrics = cfg.metrics ? new RunMetrics(s.topic, { group: cfg.group }) : undefined;
  const page = cfg.ui ? new LivePage(cfg.ui.host) : undefined;
  // the session is given the run's config as it is: one path from the settings table to the engine
  const run = new RunSession(cfg, adapters(s, cfg));
  run.events.on(
    terminalReporter({
      brokers: s.brokers,
      cassandra: s.cassandra,
      quiet: cfg.quiet,
      verbose: s.verbose,
      jsonToStdout: cfg.progress.stdout,
      spinner: interactive() && !cfg.quiet && cfg.triggerMs > 0 && !cfg.once,
      maxOutageMs: cfg.maxOutageMs,
      metricsUrl: cfg.metrics ? urlOf(cfg.metrics.host, cfg.metrics.port) : undefined,
      pageUrl: cfg.ui ? `${urlOf(cfg.ui.host, cfg.ui.port)}/` : undefined,
    }),
  );
  const write = cfg.progress.stdout
    ? (line: string) => process.stdout.write(line)
    : cfg.progress.file
      ? (line: string) => appendFileSync(cfg.progress.file!, line)
      : undefined;
  if (write) run.events.on(progressWriter({ runId: randomUUID(), topic: s.topic, group: cfg.group }, write));
  if (metrics) run.events.on(metrics.listener());
  if (page) run.events.on(page.listener());
  serveHttpSides(run, cfg, metrics, page);
  stopOnSignals(run);
  const outcome = await run.run().catch((err: unknown) => {
    throw runFailure(err, s);
  });
  // interrupted, or past the shutdown timeout: the batch in progress may still hold a client call
  if (outcome.kind === 'interrupted') process.exit(130);
  if (outcome.kind === 'shutdown-timeout') process.exit(1);
}
