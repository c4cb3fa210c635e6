import { Command, Option } from 'commander';
import { parsePort, parsePositiveInt } from '../config/validate.js';
import { UserError } from '../errors.js';
import type { ServerKind } from '../stack/artifacts.js';
import { TITLES } from '../stack/servers.js';
import { CASSANDRA_USER, KAFKA_USER, SASL_MECHANISM, secureFiles } from '../stack/secure.js';
import { DEFAULT_SETTINGS, DEFAULT_STACK_DIR, KINDS, Stack, type StackSettings } from '../stack/stack.js';
import { c, info, out, printJson } from '../ui/output.js';
import { step, type Step } from '../ui/progress.js';
import { makeTable } from '../ui/table.js';

const dirOption = () =>
  new Option('--dir <path>', 'directory of the stack: configs, data, logs, pid files').env('LOGINSYNC_STACK_DIR').default(DEFAULT_STACK_DIR);

function heap(value: string): string {
  if (!/^\d+[mMgG]$/.test(value)) throw new UserError(`heap size "${value}" should look like 512m or 1g`);
  return value.toLowerCase();
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function up(opts: Record<string, string>, only: ServerKind[] = KINDS): Promise<void> {
  const stack = new Stack(opts.dir);
  const saved = stack.savedSettings();
  // ports, versions and heaps: flags, else what this stack used last time, else defaults
  const pick = (kind: ServerKind, key: 'port' | 'version' | 'heap', flag: string | undefined) =>
    flag ?? String(saved?.[kind][key] ?? DEFAULT_SETTINGS[kind][key]);
  const settings: StackSettings = {
    ...(opts.secure || opts.mtls ? { secure: true } : {}),
    ...(opts.mtls ? { mtls: true } : {}),
    kafka: {
      port: parsePort(pick('kafka', 'port', opts.kafkaPort), '--kafka-port'),
      version: pick('kafka', 'version', opts.kafkaVersion),
      heap: heap(pick('kafka', 'heap', opts.kafkaHeap)),
    },
    cassandra: {
      port: parsePort(pick('cassandra', 'port', opts.cassandraPort), '--cassandra-port'),
      version: pick('cassandra', 'version', opts.cassandraVersion),
      heap: heap(pick('cassandra', 'heap', opts.cassandraHeap)),
    },
  };
  const timeoutMs = Number(opts.timeout) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UserError(`--timeout "${opts.timeout}" must be a number of seconds`);

  const steps = new Map<string, Step>();
  const t0 = Date.now();
  let result;
  try {
    result = await stack.up(settings, {
      alreadyRunning: (kind, pid, port) => info(`${c.green('✔')} ${TITLES[kind]} is already running (pid ${pid}, port ${port})`),
      resolving: (kind, version, cached) =>
        steps.set(`r-${kind}`, step(cached ? `${TITLES[kind]} ${version}: jars cached` : `resolving ${TITLES[kind]} ${version} with Maven`)),
      waitingForLock: (kind) => steps.get(`r-${kind}`)?.update(`waiting for another loginsync to finish resolving ${TITLES[kind]}`),
      resolved: (kind, downloaded, ms) =>
        steps.get(`r-${kind}`)?.succeed(`${TITLES[kind]} ${settings[kind].version} ${downloaded ? `resolved in ${seconds(ms)}` : 'jars cached'}`),
      starting: (kind, port) => steps.set(`s-${kind}`, step(`starting ${TITLES[kind]} on 127.0.0.1:${port}`)),
      ready: (kind, ms) => steps.get(`s-${kind}`)?.succeed(`${TITLES[kind]} ready on 127.0.0.1:${settings[kind].port} in ${seconds(ms)}`),
    }, timeoutMs, only);
  } catch (err) {
    for (const s of steps.values()) s.fail();
    throw err;
  }
  if (result.started.length === 0) info(only.length === KINDS.length ? 'the stack is already running' : `${only.map((k) => TITLES[k]).join(' and ')} is already running`);
  else info(`${c.green('✔')} stack ready in ${seconds(Date.now() - t0)} (${stack.dir})`);
  const { kafka, cassandra } = result.settings;
  info('');
  info(`Kafka      127.0.0.1:${kafka.port}`);
  info(`Cassandra  127.0.0.1:${cassandra.port}`);
  info(c.dim('to point loginsync (or another shell) at this stack:'));
  out(`export LOGINSYNC_BROKERS=127.0.0.1:${kafka.port}`);
  out(`export LOGINSYNC_CASSANDRA=127.0.0.1:${cassandra.port}`);
  if (result.settings.secure) {
    // the passwords stay in their files: printed is how to read them, never them
    const f = secureFiles(stack.dir);
    for (const line of [
      `export LOGINSYNC_KAFKA_CA=${f.ca}`, `export LOGINSYNC_SASL_MECHANISM=${SASL_MECHANISM}`, `export LOGINSYNC_SASL_USERNAME=${KAFKA_USER}`,
      `export LOGINSYNC_SASL_PASSWORD="$(cat ${f.kafkaPasswordFile})"`,
      `export LOGINSYNC_CASSANDRA_CA=${f.ca}`, `export LOGINSYNC_CASSANDRA_USERNAME=${CASSANDRA_USER}`,
      `export LOGINSYNC_CASSANDRA_PASSWORD="$(cat ${f.cassandraPasswordFile})"`,
      ...(result.settings.mtls ? [
        `export LOGINSYNC_KAFKA_CERT=${f.clientCert}`, `export LOGINSYNC_KAFKA_KEY=${f.clientKey}`,
        `export LOGINSYNC_CASSANDRA_CERT=${f.clientCert}`, `export LOGINSYNC_CASSANDRA_KEY=${f.clientKey}`,
      ] : []),
    ]) out(line);
    const certs = (side: string) => (result.settings.mtls ? ` --${side}-cert ${f.clientCert} --${side}-key ${f.clientKey}` : '');
    info(c.dim(`or as flags: --kafka-ca ${f.ca}${certs('kafka')} --sasl-mechanism ${SASL_MECHANISM} --sasl-username ${KAFKA_USER} --sasl-password-file ${f.kafkaPasswordFile} --cassandra-ca ${f.ca}${certs('cassandra')} --cassandra-username ${CASSANDRA_USER} --cassandra-password-file ${f.cassandraPasswordFile}`));
  }
}

async function down(opts: Record<string, string>): Promise<void> {
  const stack = new Stack(opts.dir);
  const seconds = Number(opts.timeout);
  // Cassandra syncs its commit log every 10 s: a SIGKILL too soon could lose acknowledged writes
  if (!Number.isFinite(seconds) || seconds < 1) throw new UserError(`--timeout "${opts.timeout}" must be a number of seconds, at least 1`);
  const r = await stack.down(seconds * 1000);
  for (const kind of KINDS) info(`${TITLES[kind]}: ${r[kind]}`);
}

async function status(opts: Record<string, string | boolean>): Promise<void> {
  const stack = new Stack(String(opts.dir));
  const st = await stack.status();
  if (opts.json) {
    printJson({ dir: stack.dir, servers: st });
    return;
  }
  const t = makeTable(['server', 'version', 'pid', 'port', 'state']);
  for (const s of st) {
    const state = !s.running ? c.dim('stopped') : s.healthy ? c.green('healthy') : c.yellow('running, not answering');
    t.push([TITLES[s.server], s.version, s.pid ?? '-', s.port, state]);
  }
  out(t.toString());
}

function logs(server: string | undefined, opts: Record<string, string>): void {
  const stack = new Stack(opts.dir);
  const kinds: ServerKind[] = server === undefined ? KINDS : [server as ServerKind];
  const n = parsePositiveInt(opts.lines ?? '50', '--lines');
  for (const kind of kinds) {
    if (kinds.length > 1) out(c.bold(`==> ${TITLES[kind]} <==`));
    out(stack.logTail(kind, n) || c.dim('(no log yet)'));
  }
}

/** stack up: its options are the stack's settings (ports, versions, heaps, security). */
function upCommand(): Command {
  return new Command('up')
    .description('resolve Kafka and Cassandra with Maven (cached), start both in the background, wait until they answer')
    .addOption(dirOption())
    .option('--kafka-port <port>', 'Kafka listener port; the KRaft controller uses the next one (default: 9092)')
    .option('--cassandra-port <port>', 'Cassandra CQL port; its storage port is the next one (default: 9042)')
    .addOption(new Option('--kafka-version <v>', `Apache Kafka version (default: ${DEFAULT_SETTINGS.kafka.version})`).env('LOGINSYNC_KAFKA_VERSION'))
    .addOption(new Option('--cassandra-version <v>', `Apache Cassandra version (default: ${DEFAULT_SETTINGS.cassandra.version})`).env('LOGINSYNC_CASSANDRA_VERSION'))
    .option('--kafka-heap <size>', 'Kafka heap (default: 512m)')
    .option('--cassandra-heap <size>', 'Cassandra heap (default: 1g)')
    .option('--timeout <seconds>', 'how long each server may take to become ready', '180')
    .option('--secure', 'TLS and authentication: a private CA and certificates (openssl), Kafka on SASL_SSL with SCRAM-SHA-512, Cassandra with client TLS and passwords; prints how to connect')
    .option('--mtls', '--secure, and both servers also require a client certificate signed by the stack\'s CA (mutual TLS); one is made for you')
    .addHelpText('after', `
--secure and --mtls are chosen when a stack is made (its first up); its certificates and passwords are in <dir>/secure,
readable only by you. Jars are cached per version in ~/.cache/loginsync (LOGINSYNC_CACHE). The servers keep running after this
command returns; stop them with "loginsync stack down". Needs Java 17+ and Maven 3.`)
    .action((opts) => up(opts));
}

export function stackCommand(): Command {
  const cmd = new Command('stack').description('run a real local Kafka (KRaft) and Cassandra, no Docker needed');

  cmd.addCommand(upCommand());

  const serverArg = (server: string): ServerKind => {
    if (!KINDS.includes(server as ServerKind)) throw new UserError(`unknown server "${server}": use kafka or cassandra`);
    return server as ServerKind;
  };

  cmd.command('stop')
    .description('stop one server of the stack (to try what an outage does); "stack start" brings it back')
    .argument('<server>', 'kafka or cassandra')
    .addOption(dirOption())
    .option('--kill', 'SIGKILL at once instead of a clean stop')
    .option('--timeout <seconds>', 'grace period before SIGKILL', '30')
    .action(async (server: string, opts: Record<string, string | boolean>) => {
      const kind = serverArg(server);
      const seconds = Number(opts.timeout);
      if (!Number.isFinite(seconds) || seconds < 1) throw new UserError(`--timeout "${String(opts.timeout)}" must be a number of seconds, at least 1`);
      const r = await new Stack(String(opts.dir)).stopServer(kind, opts.kill ? 0 : seconds * 1000);
      info(`${TITLES[kind]}: ${r}`);
    });

  cmd.command('start')
    .description('start one server of the stack again, with the ports and versions it had')
    .argument('<server>', 'kafka or cassandra')
    .addOption(dirOption())
    .option('--timeout <seconds>', 'how long it may take to become ready', '180')
    .action((server: string, opts: Record<string, string>) => up(opts, [serverArg(server)]));

  cmd.command('down')
    .description('stop both servers (SIGTERM, then SIGKILL after --timeout); only processes this stack started')
    .addOption(dirOption())
    .option('--timeout <seconds>', 'grace period before SIGKILL', '30')
    .action((opts) => down(opts));

  cmd.command('status')
    .description('show each server: pid, port, healthy or not')
    .addOption(dirOption())
    .option('--json', 'print JSON')
    .action((opts) => status(opts));

  cmd.command('logs')
    .description('print the tail of a server log')
    .argument('[server]', 'kafka or cassandra (default: both)')
    .addOption(dirOption())
    .option('-n, --lines <n>', 'number of lines', '50')
    .action((server: string | undefined, opts) => {
      if (server !== undefined && !KINDS.includes(server as ServerKind)) {
        throw new UserError(`unknown server "${server}": use kafka or cassandra`);
      }
      logs(server, opts);
    });

  cmd.command('clean')
    .description('remove the stack directory (data, logs); the servers must be stopped')
    .addOption(dirOption())
    .action((opts: Record<string, string>) => {
      const stack = new Stack(opts.dir);
      stack.clean();
      info(`removed ${stack.dir}`);
    });

  return cmd;
}
