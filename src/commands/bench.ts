import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { access } from '../bench/access.js';
import { CpuMeter, listeners, type ServerProcs } from '../bench/cpu.js';
import { restart } from '../bench/restart.js';
import { renderReport, type BenchReport, type BenchResult, type Machine } from '../bench/report-html.js';
import { drain, latency, tableSize, type BenchContext } from '../bench/scenarios.js';
import type { Replicas } from '../bench/workload.js';
import { kafkaFor, openCassandra } from '../config/connect.js';
import { isolatedRunEnv } from '../config/child-env.js';
import { declareSettings } from '../config/declare.js';
import type { ConnectionSettings, SettingsOf } from '../config/table.js';
import { parsePositiveInt } from '../config/validate.js';
import { errorMessage, UsageError, UserError } from '../errors.js';
import { freePortPair } from '../stack/process.js';
import { DEFAULT_SETTINGS, Stack } from '../stack/stack.js';
import { c, info, out, printJson, warn } from '../ui/output.js';
import { progressBar } from '../ui/progress.js';
import { render } from './bench-table.js';
import { commandSettings } from './settings.js';

type BenchOptions = SettingsOf<'bench'>;

export function benchCommand(): Command {
  const cmd = new Command('bench').description(
    'measure loginsync on this machine: drain speed, latency, cost vs table size, next to the raw parts',
  );
  declareSettings(cmd, 'bench');
  cmd.addHelpText(
    'after',
    `
Each scenario works in its own keyspace and topic (removed after, unless --keep), runs loginsync run as
its own process, and checks the resulting table against the expected maxima.
  drain       W1: --events unkeyed events over --users users drained with run --once; events/s, time by
              stage, peak RSS, and the raw parts (consume+parse, read, write) measured in the same run.
  latency     W2: --rate events/s for --duration with run --trigger 0: produce -> write acknowledged, p50/p95/p99.
  table-size  W3: the same batch against 10,000 and --large-table rows: join+write cost per event.
  restart     --kills kill -9s of run --trigger 0 under --rate events/s, each restarted at once: the time
              from the kill to the restarted run's first committed batch (median, max).
  access      Cassandra's CPU per key for each way of reading the join's columns of --users users (IN
              lists, point reads, token-range scans) and of writing them (batch sizes, single updates).
              Not part of all.`,
  );
  return cmd.action((_opts: unknown, command: Command) => bench(command));
}

/** --keyspace-replication and --topic-replication; the older --replication-factor sets both, and says so. */
function replicasOf(r: ReturnType<typeof commandSettings<'bench'>>): Replicas {
  const { benchKeyspaceReplication: keyspace, benchTopicReplication: topicReplication } = r.settings;
  if (r.origins.benchKeyspaceReplication !== '--replication-factor') return { keyspace, topic: topicReplication };
  if (r.sources.benchTopicReplication === 'flag' && topicReplication !== keyspace)
    throw new UsageError('--replication-factor sets --topic-replication too: give --keyspace-replication instead');
  warn('--replication-factor sets both --keyspace-replication and --topic-replication: give those instead');
  return { keyspace, topic: keyspace };
}

async function bench(command: Command): Promise<void> {
  const r = commandSettings(command, 'bench');
  const opts: BenchOptions = r.settings;
  const { users, events, benchPartitions: partitions, largeTable: large, kills, benchUiPort: uiPort } = opts;
  const rate = parsePositiveInt(opts.rate, '--rate');
  const seconds = opts.duration / 1000;
  const leadS = opts.lead / 1000;
  const replicas = replicasOf(r);
  // found out now, not after the scenarios' minutes
  if (opts.html !== undefined) checkWritableDir(opts.html, '--html');
  let settings: ConnectionSettings = r.settings;
  let stack: Stack | undefined;
  let stackDir: string | undefined;
  if (opts.stack) {
    stackDir = mkdtempSync(join(tmpdir(), 'loginsync-bench-stack-'));
    stack = new Stack(stackDir);
    const kafkaPort = await freePortPair();
    const cassandraPort = await freePortPair([kafkaPort, kafkaPort + 1]);
    info(c.dim(`bringing up a private stack in ${stackDir}`));
    await stack.up({
      kafka: { ...DEFAULT_SETTINGS.kafka, port: kafkaPort },
      cassandra: { ...DEFAULT_SETTINGS.cassandra, port: cassandraPort },
    });
    settings = { ...settings, brokers: [`127.0.0.1:${kafkaPort}`], cassandra: [`127.0.0.1:${cassandraPort}`] };
  }
  const cql = await openCassandra(settings);
  const kafka = kafkaFor(settings, 'loginsync-bench');
  const note = (l: string) => info(c.dim(l));
  const cpu = cpuMeter(settings, stack, note);
  const runDir = mkdtempSync(join(tmpdir(), 'loginsync-bench-run-'));
  const ctx: BenchContext = {
    settings,
    cql,
    kafka,
    keep: opts.keep === true,
    runArgs: uiPort === undefined ? [] : ['--ui-port', String(uiPort)],
    progress: progressBar,
    note,
    cpu,
    replicas,
    runEnv: isolatedRunEnv(settings, runDir),
  };
  const results: BenchResult[] = [];
  const startedAt = new Date();
  try {
    const want = (s: BenchOptions['scenario']) => opts.scenario === s || opts.scenario === 'all';
    if (want('drain')) results.push(await drain(ctx, { users, events, partitions }));
    if (want('latency')) results.push(await latency(ctx, { users, rate, seconds, partitions, leadS }));
    if (want('table-size'))
      results.push(await tableSize(ctx, { small: 10_000, large, events: Math.min(events, 200_000), partitions }));
    if (want('restart')) results.push(await restart(ctx, { users: Math.min(users, 10_000), rate, kills, partitions }));
    if (opts.scenario === 'access') results.push(await access(ctx, { users }));
  } finally {
    rmSync(runDir, { recursive: true, force: true });
    await cql.shutdown();
    if (stack) {
      await stack.down();
      rmSync(stackDir!, { recursive: true, force: true });
    }
  }
  const report: BenchReport = {
    machine: machine(),
    settings: { brokers: settings.brokers, cassandra: settings.cassandra },
    results,
  };
  if (opts.out) writeFileSync(opts.out, JSON.stringify(report, null, 2) + '\n');
  if (opts.json) printJson(report);
  else for (const r of results) out(render(r));
  if (opts.html !== undefined) writeHtml(opts.html, renderReport(report, { at: startedAt }));
  const failed = results.filter(
    (r) =>
      ((r.scenario === 'drain' || r.scenario === 'restart') && !r.correct.ok) ||
      (r.scenario === 'table-size' && r.sizes.some((s) => !s.correct)),
  );
  if (failed.length > 0) throw new UserError('the result table did not match the expected maxima (see above)');
}

/** A file to be written at the end: its directory must be there (it is not created), and it no directory. */
function checkWritableDir(file: string, flag: string): void {
  const dir = dirname(resolve(file));
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new UserError(`${flag} ${file}: there is no directory ${dir}`);
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory())
    throw new UserError(`${flag} ${file}: is a directory; name a file in it`);
}

function writeHtml(file: string, html: string): void {
  try {
    writeFileSync(file, html);
  } catch (err) {
    throw new UserError(`--html ${file}: could not write the report: ${errorMessage(err)}`);
  }
  info(`HTML report written to ${resolve(file)}`);
}

/**
 * What the CPU of the servers is read from: the pids of the bench's own stack, or the processes
 * listening on the servers' loopback addresses; a server elsewhere is not measured (said once).
 */
function cpuMeter(settings: ConnectionSettings, stack: Stack | undefined, note: (line: string) => void): CpuMeter {
  const servers = stack
    ? { broker: stackProcesses(stack, 'kafka'), cassandra: stackProcesses(stack, 'cassandra') }
    : { broker: listeners(settings.brokers, 9092), cassandra: listeners(settings.cassandra, 9042) };
  for (const [name, p] of [
    ['Kafka broker', servers.broker],
    ['Cassandra', servers.cassandra],
  ] as const) {
    if ('reason' in p) note(`CPU of the ${name}: not measured (${p.reason})`);
  }
  return new CpuMeter(servers);
}

function stackProcesses(stack: Stack, kind: 'kafka' | 'cassandra'): ServerProcs {
  const pids = stack.nodes(undefined, [kind]).map((n) => stack.runningPid(n));
  return pids.every((p) => p !== undefined)
    ? { pids: pids as number[] }
    : { reason: `a ${kind} node of the bench's stack has no running process` };
}

function machine(): Machine {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: process.platform,
  };
}
