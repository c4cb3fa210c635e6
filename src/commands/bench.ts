import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { restart } from '../bench/restart.js';
import { SPARK_W1, SPARK_W2, TARGETS } from '../bench/reference.js';
import { renderReport, type BenchReport, type BenchResult, type Machine } from '../bench/report-html.js';
import { drain, latency, tableSize, type BenchContext } from '../bench/scenarios.js';
import { kafkaFor, openCassandra } from '../config/connect.js';
import { withConnectionOptions } from '../config/settings.js';
import { parsePositiveInt } from '../config/validate.js';
import { errorMessage, UserError } from '../errors.js';
import { freePortPair } from '../stack/process.js';
import { DEFAULT_SETTINGS, Stack } from '../stack/stack.js';
import { c, info, out, printJson } from '../ui/output.js';
import { progressBar } from '../ui/progress.js';
import { makeTable } from '../ui/table.js';
import { commandSettings } from './settings.js';

interface BenchOptions {
  scenario: 'drain' | 'latency' | 'table-size' | 'restart' | 'all';
  kills: string;
  users: string;
  events: string;
  partitions: string;
  rate: string;
  seconds: string;
  largeTable: string;
  json?: boolean;
  out?: string;
  html?: string;
  keep?: boolean;
  stack?: boolean;
  uiPort?: string;
}

export function benchCommand(): Command {
  const cmd = new Command('bench')
    .description('measure loginsync on this machine: drain speed, latency, cost vs table size, next to the raw parts')
    .addOption(new Option('--scenario <name>', 'what to measure').choices(['drain', 'latency', 'table-size', 'restart', 'all']).default('drain'))
    .option('--users <n>', 'users in the table (drain, latency)', '100000')
    .option('--events <n>', 'events to drain (drain, table-size)', '1000000')
    .option('--partitions <n>', 'topic partitions; events are unkeyed', '2')
    .option('--rate <n>', 'latency, restart: events per second', '1000')
    .option('--kills <n>', 'restart: how many times the run is killed', '10')
    .option('--seconds <n>', 'latency: how long to produce', '60')
    .option('--large-table <n>', 'table-size: rows of the large table (the small one has 10,000)', '1000000')
    .option('--json', 'print the figures as JSON')
    .option('--out <file>', 'also write the JSON figures to a file')
    .option('--html <file>', 'also write a report with charts to one HTML file that opens offline')
    .option('--keep', 'keep the bench keyspaces and topics')
    .option('--ui-port <port>', 'serve the live page of each measured run on this port (run --ui-port), to watch it; an open page is then part of what is measured')
    .option('--stack', 'bring up a private local stack on free ports for the bench, and stop it after');
  withConnectionOptions(cmd);
  cmd.addHelpText('after', `
Each scenario works in its own keyspace and topic (removed after, unless --keep), runs loginsync run as
its own process, and checks the resulting table against the expected maxima.
  drain       W1: --events unkeyed events over --users users drained with run --once; events/s, time by
              stage, peak RSS, and the raw parts (consume+parse, read, write) measured in the same run.
  latency     W2: --rate events/s for --seconds with run --trigger 0: produce -> write acknowledged, p50/p95/p99.
  table-size  W3: the same batch against 10,000 and --large-table rows: join+write cost per event.
  restart     --kills kill -9s of run --trigger 0 under --rate events/s, each restarted at once: the time
              from the kill to the restarted run's first committed batch (median, max).`);
  return cmd.action(async (opts: BenchOptions, command: Command) => {
    const users = parsePositiveInt(opts.users, '--users');
    const events = parsePositiveInt(opts.events, '--events');
    const partitions = parsePositiveInt(opts.partitions, '--partitions');
    const rate = parsePositiveInt(opts.rate, '--rate');
    const seconds = parsePositiveInt(opts.seconds, '--seconds');
    const large = parsePositiveInt(opts.largeTable, '--large-table');
    const kills = parsePositiveInt(opts.kills, '--kills');
    const uiPort = opts.uiPort === undefined ? undefined : parsePositiveInt(opts.uiPort, '--ui-port', { min: 1, max: 65535 });
    // found out now, not after the scenarios' minutes
    if (opts.html !== undefined) checkWritableDir(opts.html, '--html');
    let { settings } = commandSettings(command);
    let stack: Stack | undefined;
    let stackDir: string | undefined;
    if (opts.stack) {
      stackDir = mkdtempSync(join(tmpdir(), 'loginsync-bench-stack-'));
      stack = new Stack(stackDir);
      const kafkaPort = await freePortPair();
      const cassandraPort = await freePortPair([kafkaPort, kafkaPort + 1]);
      info(c.dim(`bringing up a private stack in ${stackDir}`));
      await stack.up({ kafka: { ...DEFAULT_SETTINGS.kafka, port: kafkaPort }, cassandra: { ...DEFAULT_SETTINGS.cassandra, port: cassandraPort } });
      settings = { ...settings, brokers: [`127.0.0.1:${kafkaPort}`], cassandra: [`127.0.0.1:${cassandraPort}`] };
    }
    const cql = await openCassandra(settings);
    const kafka = kafkaFor(settings, 'loginsync-bench');
    const ctx: BenchContext = { settings, cql, kafka, keep: opts.keep === true, runArgs: uiPort === undefined ? [] : ['--ui-port', String(uiPort)], progress: progressBar, note: (l) => info(c.dim(l)) };
    const results: BenchResult[] = [];
    const startedAt = new Date();
    try {
      const want = (s: BenchOptions['scenario']) => opts.scenario === s || opts.scenario === 'all';
      if (want('drain')) results.push(await drain(ctx, { users, events, partitions }));
      if (want('latency')) results.push(await latency(ctx, { users, rate, seconds, partitions }));
      if (want('table-size')) results.push(await tableSize(ctx, { small: 10_000, large, events: Math.min(events, 200_000), partitions }));
      if (want('restart')) results.push(await restart(ctx, { users: Math.min(users, 10_000), rate, kills, partitions }));
    } finally {
      await cql.shutdown();
      if (stack) {
        await stack.down();
        rmSync(stackDir!, { recursive: true, force: true });
      }
    }
    const report: BenchReport = { machine: machine(), settings: { brokers: settings.brokers, cassandra: settings.cassandra }, results };
    if (opts.out) writeFileSync(opts.out, JSON.stringify(report, null, 2) + '\n');
    if (opts.json) printJson(report);
    else for (const r of results) out(render(r));
    if (opts.html !== undefined) writeHtml(opts.html, renderReport(report, { at: startedAt }));
    const failed = results.filter((r) => ((r.scenario === 'drain' || r.scenario === 'restart') && !r.correct.ok) || (r.scenario === 'table-size' && r.sizes.some((s) => !s.correct)));
    if (failed.length > 0) throw new UserError('the result table did not match the expected maxima (see above)');
  });
}

/** A file to be written at the end: its directory must be there (it is not created), and it no directory. */
function checkWritableDir(file: string, flag: string): void {
  const dir = dirname(resolve(file));
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`${flag} ${file}: there is no directory ${dir}`);
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`${flag} ${file}: is a directory; name a file in it`);
}

function writeHtml(file: string, html: string): void {
  try {
    writeFileSync(file, html);
  } catch (err) {
    throw new UserError(`--html ${file}: could not write the report: ${errorMessage(err)}`);
  }
  info(`HTML report written to ${resolve(file)}`);
}

function machine(): Machine {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', memoryGB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform };
}


const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ok = (b: boolean) => (b ? c.green('yes') : c.red('NO'));

function render(r: BenchResult): string {
  const t = makeTable([r.scenario, 'figure', 'target / reference']);
  if (r.scenario === 'drain') {
    t.push(['workload', `${r.events} events, ${r.users} users, ${r.partitions} partitions, unkeyed`, 'W1']);
    t.push(['run --once, whole process', s(r.wallMs), '']);
    t.push(['events/s', String(r.eventsPerSec), `>= ${TARGETS.speedupVsSpark * SPARK_W1.eventsPerSec} (${TARGETS.speedupVsSpark}x Spark's ${SPARK_W1.eventsPerSec})`]);
    t.push(['vs the Spark seed job', `${r.speedupVsSpark}x`, `>= ${TARGETS.speedupVsSpark}x`]);
    t.push(['batches', String(r.batches), '']);
    for (const [k, v] of Object.entries(r.stageMs)) t.push([`  stage ${k}`, s(v), k === 'fetch' ? 'includes decode' : '']);
    t.push(['raw parts: consume + parse', s(r.baseline.consumeMs), 'same clients, no pipeline']);
    t.push(['raw parts: read users (IN 100)', s(r.baseline.readMs), '']);
    t.push(['raw parts: write (batches of 100)', s(r.baseline.writeMs), '']);
    t.push(['raw parts, one after the other', s(r.baseline.totalMs), '']);
    t.push(['run / raw', `${r.ratioToRaw}x`, `<= ${TARGETS.ratioToRaw}x`]);
    t.push(['peak RSS', `${r.peakRssMB} MB`, `<= ${TARGETS.peakRssMB} MB`]);
    t.push(['table = expected maxima', `${ok(r.correct.ok)} (${r.correct.checked} users checked, ${r.correct.wrong} wrong)`, r.correct.example ?? '']);
  } else if (r.scenario === 'latency') {
    t.push(['workload', `${r.rate} events/s for ${r.seconds} s, ${r.users} users`, 'W2']);
    t.push(['events processed', String(r.events), String(r.rate * r.seconds)]);
    t.push(['batches', String(r.batches), '']);
    t.push(['median batch', `${r.medianBatchMs} ms`, "Spark's: 1250 ms"]);
    t.push(['produce -> written p50', `${r.latencyMs.p50} ms`, `Spark: ${SPARK_W2.p50Ms} ms`]);
    t.push(['produce -> written p95', `${r.latencyMs.p95} ms`, '']);
    t.push(['produce -> written p99', `${r.latencyMs.p99} ms`, `<= ${TARGETS.p99Ms} ms (Spark: ${SPARK_W2.p99Ms} ms)`]);
    t.push(['peak RSS', `${r.peakRssMB} MB`, '']);
  } else if (r.scenario === 'restart') {
    t.push(['workload', `${r.rate} events/s over ${r.users} users, ${r.kills} kill -9s, each restarted at once`, '']);
    t.push(['kill -> first commit, median', s(r.medianMs), `<= ${TARGETS.restartMedianMs / 1000} s`]);
    t.push(['kill -> first commit, max', s(r.maxMs), `<= ${TARGETS.restartMaxMs / 1000} s`]);
    t.push(['each', r.recoveryMs.map((ms) => (ms / 1000).toFixed(1)).join(' '), '']);
    t.push(['table = expected maxima', `${ok(r.correct.ok)} (${r.events} events, ${r.correct.checked} users checked, ${r.correct.wrong} wrong)`, r.correct.example ?? '']);
  } else {
    t.push(['workload', `${r.events} events over ${r.activeUsers} users`, 'W3']);
    for (const z of r.sizes) t.push([`table of ${z.users} rows`, `${z.usPerEvent} µs/event join+write (${s(z.joinWriteMs)}; process ${s(z.wallMs)})`, `correct: ${ok(z.correct)}`]);
    t.push(['large / small', `${r.ratio}x`, `<= ${TARGETS.sizeRatio}x`]);
  }
  return t.toString();
}
