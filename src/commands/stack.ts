import { Command, Option } from 'commander';
import { parsePort, parsePositiveInt } from '../config/validate.js';
import { UsageError } from '../errors.js';
import type { ServerKind } from '../stack/artifacts.js';
import { TITLES, nodeTitle } from '../stack/servers.js';
import { CASSANDRA_USER, KAFKA_USER, SASL_MECHANISM, secureFiles } from '../stack/secure.js';
import {
  CLUSTER_HEAPS,
  DEFAULT_SETTINGS,
  DEFAULT_STACK_DIR,
  Stack,
  nodeCount,
  type StackNode,
  type StackSettings,
  type UpEvents,
} from '../stack/stack.js';
import { addresses } from '../stack/topology.js';
import { c, info, out, printJson } from '../ui/output.js';
import { step, type Step } from '../ui/progress.js';
import { makeTable } from '../ui/table.js';

const dirOption = () =>
  new Option('--dir <path>', 'directory of the stack: configs, data, logs, pid files')
    .env('LOGINSYNC_STACK_DIR')
    .default(DEFAULT_STACK_DIR);

function heap(value: string): string {
  if (!/^\d+[mMgG]$/.test(value)) throw new UsageError(`heap size "${value}" should look like 512m or 1g`);
  return value.toLowerCase();
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Ports, versions, heaps and node count: flags, else what this stack used last time, else defaults. */
function upSettings(stack: Stack, opts: Record<string, string>): StackSettings {
  const saved = stack.savedSettings();
  const nodes = opts.nodes !== undefined ? parsePositiveInt(opts.nodes, '--nodes') : nodeCount(saved);
  // a cluster's heaps are smaller; a stack made with another node count is refused by up itself
  const same = saved !== undefined && nodeCount(saved) === nodes;
  const defaults = (kind: ServerKind) => ({
    ...DEFAULT_SETTINGS[kind],
    ...(nodes > 1 ? { heap: CLUSTER_HEAPS[kind] } : {}),
  });
  const pick = (kind: ServerKind, key: 'port' | 'version' | 'heap', flag: string | undefined) =>
    flag ?? String((key === 'heap' && !same ? undefined : saved?.[kind][key]) ?? defaults(kind)[key]);
  return {
    ...(opts.secure || opts.mtls ? { secure: true } : {}),
    ...(opts.mtls ? { mtls: true } : {}),
    nodes,
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
}

/** The progress of an up, as steps on the terminal. */
function upSteps(settings: StackSettings, steps: Map<string, Step>): UpEvents {
  const at = (node: StackNode) => `${node.host}:${node.port}`;
  return {
    alreadyRunning: (node, pid) =>
      info(`${c.green('✔')} ${nodeTitle(node)} is already running (pid ${pid}, ${at(node)})`),
    resolving: (kind, version, cached) =>
      steps.set(
        `r-${kind}`,
        step(cached ? `${TITLES[kind]} ${version}: jars cached` : `resolving ${TITLES[kind]} ${version} with Maven`),
      ),
    waitingForLock: (kind) =>
      steps.get(`r-${kind}`)?.update(`waiting for another loginsync to finish resolving ${TITLES[kind]}`),
    resolved: (kind, downloaded, ms) =>
      steps
        .get(`r-${kind}`)
        ?.succeed(
          `${TITLES[kind]} ${settings[kind].version} ${downloaded ? `resolved in ${seconds(ms)}` : 'jars cached'}`,
        ),
    starting: (node) => steps.set(`s-${node.name}`, step(`starting ${nodeTitle(node)} on ${at(node)}`)),
    ready: (node, ms) =>
      steps.get(`s-${node.name}`)?.succeed(`${nodeTitle(node)} ready on ${at(node)} in ${seconds(ms)}`),
    joining: (kind, count) =>
      steps.set(`j-${kind}`, step(`waiting until ${TITLES[kind]}'s ${count} nodes all see each other`)),
    joined: (kind, count, ms) =>
      steps.get(`j-${kind}`)?.succeed(`${TITLES[kind]}: ${count} nodes, each sees every other, in ${seconds(ms)}`),
  };
}

async function up(opts: Record<string, string>, only?: string[]): Promise<void> {
  const stack = new Stack(opts.dir);
  const settings = upSettings(stack, opts);
  const timeoutMs = Number(opts.timeout ?? (nodeCount(settings) > 1 ? 360 : 180)) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new UsageError(`--timeout "${opts.timeout}" must be a number of seconds`);

  const steps = new Map<string, Step>();
  const t0 = Date.now();
  let result;
  try {
    result = await stack.up(settings, upSteps(settings, steps), timeoutMs, only);
  } catch (err) {
    for (const s of steps.values()) s.fail();
    throw err;
  }
  if (result.started.length > 0) info(`${c.green('✔')} stack ready in ${seconds(Date.now() - t0)} (${stack.dir})`);
  else
    info(
      only === undefined
        ? 'the stack is already running'
        : `${only.map((n) => nodeTitle(stack.node(n))).join(' and ')} is already running`,
    );
  printConnection(stack, result.settings);
}

/** How to reach the stack: the addresses, and the settings to export (how to read the passwords, never them). */
function printConnection(stack: Stack, settings: StackSettings): void {
  const brokers = addresses(stack.nodes(settings, ['kafka']));
  const cassandra = addresses(stack.nodes(settings, ['cassandra']));
  info('');
  info(`Kafka      ${brokers}`);
  info(`Cassandra  ${cassandra}`);
  info(c.dim('to point loginsync (or another shell) at this stack:'));
  out(`export LOGINSYNC_BROKERS=${brokers}`);
  out(`export LOGINSYNC_CASSANDRA=${cassandra}`);
  if (!settings.secure) return;
  const f = secureFiles(stack.dir);
  for (const line of [
    `export LOGINSYNC_KAFKA_CA=${f.ca}`,
    `export LOGINSYNC_SASL_MECHANISM=${SASL_MECHANISM}`,
    `export LOGINSYNC_SASL_USERNAME=${KAFKA_USER}`,
    `export LOGINSYNC_SASL_PASSWORD="$(cat ${f.kafkaPasswordFile})"`,
    `export LOGINSYNC_CASSANDRA_CA=${f.ca}`,
    `export LOGINSYNC_CASSANDRA_USERNAME=${CASSANDRA_USER}`,
    `export LOGINSYNC_CASSANDRA_PASSWORD="$(cat ${f.cassandraPasswordFile})"`,
    ...(settings.mtls
      ? [
          `export LOGINSYNC_KAFKA_CERT=${f.clientCert}`,
          `export LOGINSYNC_KAFKA_KEY=${f.clientKey}`,
          `export LOGINSYNC_CASSANDRA_CERT=${f.clientCert}`,
          `export LOGINSYNC_CASSANDRA_KEY=${f.clientKey}`,
        ]
      : []),
  ])
    out(line);
  const certs = (side: string) => (settings.mtls ? ` --${side}-cert ${f.clientCert} --${side}-key ${f.clientKey}` : '');
  info(
    c.dim(
      `or as flags: --kafka-ca ${f.ca}${certs('kafka')} --sasl-mechanism ${SASL_MECHANISM} --sasl-username ${KAFKA_USER} --sasl-password-file ${f.kafkaPasswordFile} --cassandra-ca ${f.ca}${certs('cassandra')} --cassandra-username ${CASSANDRA_USER} --cassandra-password-file ${f.cassandraPasswordFile}`,
    ),
  );
}

async function down(opts: Record<string, string>): Promise<void> {
  const stack = new Stack(opts.dir);
  const seconds = Number(opts.timeout);
  // Cassandra syncs its commit log every 10 s: a SIGKILL too soon could lose acknowledged writes
  if (!Number.isFinite(seconds) || seconds < 1)
    throw new UsageError(`--timeout "${opts.timeout}" must be a number of seconds, at least 1`);
  const r = await stack.down(seconds * 1000);
  for (const node of stack.nodes()) info(`${nodeTitle(node)}: ${r.get(node.name)}`);
}

async function status(name: string | undefined, opts: Record<string, string | boolean>): Promise<void> {
  const stack = new Stack(String(opts.dir));
  const only = name === undefined ? undefined : stack.node(name).name;
  const st = (await stack.status()).filter((s) => only === undefined || s.node === only);
  if (opts.json) {
    printJson({ dir: stack.dir, nodes: nodeCount(stack.savedSettings()), servers: st });
    return;
  }
  const cluster = nodeCount(stack.savedSettings()) > 1;
  const t = makeTable([cluster ? 'node' : 'server', 'version', 'pid', cluster ? 'address' : 'port', 'state']);
  for (const s of st) {
    const state = !s.running ? c.dim('stopped') : s.healthy ? c.green('healthy') : c.yellow('running, not answering');
    t.push([
      cluster ? s.node : TITLES[s.server],
      s.version,
      s.pid ?? '-',
      cluster ? `${s.host}:${s.port}` : s.port,
      state,
    ]);
  }
  out(t.toString());
}

function logs(name: string | undefined, opts: Record<string, string>): void {
  const stack = new Stack(opts.dir);
  const nodes = name === undefined ? stack.nodes() : [stack.node(name)];
  const n = parsePositiveInt(opts.lines ?? '50', '--lines');
  for (const node of nodes) {
    if (nodes.length > 1) out(c.bold(`==> ${nodeTitle(node)} <==`));
    out(stack.logTail(node, n) || c.dim('(no log yet)'));
  }
}

/** stack up: its options are the stack's settings (node count, ports, versions, heaps, security). */
function upCommand(): Command {
  return new Command('up')
    .description(
      'resolve Kafka and Cassandra with Maven (cached), start them in the background, wait until they answer',
    )
    .addOption(dirOption())
    .option(
      '--nodes <n>',
      'nodes of each server: 1, or 3 for a cluster (3 brokers in one KRaft quorum, a ring of 3 Cassandra nodes on 127.0.0.1-3) (default: 1)',
    )
    .option(
      '--kafka-port <port>',
      "Kafka listener port; the KRaft controller uses the next one; a cluster's brokers the ports from it on, then their controllers (default: 9092)",
    )
    .option(
      '--cassandra-port <port>',
      "Cassandra CQL port; its storage port is the next one; a cluster's nodes all use both, each on its own address (default: 9042)",
    )
    .addOption(
      new Option('--kafka-version <v>', `Apache Kafka version (default: ${DEFAULT_SETTINGS.kafka.version})`).env(
        'LOGINSYNC_KAFKA_VERSION',
      ),
    )
    .addOption(
      new Option(
        '--cassandra-version <v>',
        `Apache Cassandra version (default: ${DEFAULT_SETTINGS.cassandra.version})`,
      ).env('LOGINSYNC_CASSANDRA_VERSION'),
    )
    .option(
      '--kafka-heap <size>',
      `Kafka heap of each node (default: ${DEFAULT_SETTINGS.kafka.heap}, in a cluster ${CLUSTER_HEAPS.kafka})`,
    )
    .option(
      '--cassandra-heap <size>',
      `Cassandra heap of each node (default: ${DEFAULT_SETTINGS.cassandra.heap}, in a cluster ${CLUSTER_HEAPS.cassandra})`,
    )
    .option('--timeout <seconds>', 'how long the servers may take to become ready (default: 180, for a cluster 360)')
    .option(
      '--secure',
      'TLS and authentication: a private CA and certificates (openssl), Kafka on SASL_SSL with SCRAM-SHA-512, Cassandra with client TLS and passwords; prints how to connect',
    )
    .option(
      '--mtls',
      "--secure, and both servers also require a client certificate signed by the stack's CA (mutual TLS); one is made for you",
    )
    .addHelpText(
      'after',
      `
--nodes, --secure and --mtls are chosen when a stack is made (its first up); its certificates and passwords are in <dir>/secure,
readable only by you. Jars are cached per version in ~/.cache/loginsync (LOGINSYNC_CACHE). The servers keep running after this
command returns; stop them with "loginsync stack down". Needs Java 17+ and Maven 3.`,
    )
    .action((opts) => up(opts));
}

const NODE_ARG = 'kafka or cassandra; in a cluster kafka-1..kafka-3, cassandra-1..cassandra-3';

export function stackCommand(): Command {
  const cmd = new Command('stack').description(
    'run a real local Kafka (KRaft) and Cassandra, one node each or a cluster of three, no Docker needed',
  );

  cmd.addCommand(upCommand());

  cmd
    .command('stop')
    .description('stop one node of the stack (to try what an outage does); "stack start" brings it back')
    .argument('<node>', NODE_ARG)
    .addOption(dirOption())
    .option('--kill', 'SIGKILL at once instead of a clean stop')
    .option('--timeout <seconds>', 'grace period before SIGKILL', '30')
    .action(async (name: string, opts: Record<string, string | boolean>) => {
      const stack = new Stack(String(opts.dir));
      const node = stack.node(name);
      const seconds = Number(opts.timeout);
      if (!Number.isFinite(seconds) || seconds < 1)
        throw new UsageError(`--timeout "${String(opts.timeout)}" must be a number of seconds, at least 1`);
      const r = await stack.stopNode(node, opts.kill ? 0 : seconds * 1000);
      info(`${nodeTitle(node)}: ${r}`);
    });

  cmd
    .command('start')
    .description('start one node of the stack again, with the ports and versions it had')
    .argument('<node>', NODE_ARG)
    .addOption(dirOption())
    .option('--timeout <seconds>', 'how long it may take to become ready (default: 180, for a cluster 360)')
    .action((name: string, opts: Record<string, string>) => up(opts, [new Stack(opts.dir).node(name).name]));

  cmd
    .command('down')
    .description('stop every node (SIGTERM, then SIGKILL after --timeout); only processes this stack started')
    .addOption(dirOption())
    .option('--timeout <seconds>', 'grace period before SIGKILL', '30')
    .action((opts) => down(opts));

  cmd
    .command('status')
    .description('show each node: pid, port, healthy or not')
    .argument('[node]', `${NODE_ARG} (default: all)`)
    .addOption(dirOption())
    .option('--json', 'print JSON')
    .action((name: string | undefined, opts) => status(name, opts));

  cmd
    .command('logs')
    .description("print the tail of a node's log")
    .argument('[node]', `${NODE_ARG} (default: all)`)
    .addOption(dirOption())
    .option('-n, --lines <n>', 'number of lines', '50')
    .action((name: string | undefined, opts) => logs(name, opts));

  cmd
    .command('clean')
    .description('remove the stack directory (data, logs); the servers must be stopped')
    .addOption(dirOption())
    .action((opts: Record<string, string>) => {
      const stack = new Stack(opts.dir);
      stack.clean();
      info(`removed ${stack.dir}`);
    });

  return cmd;
}
