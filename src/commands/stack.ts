import { Command } from 'commander';
import { declareSettings, resolveCommandSettings } from '../config/declare.js';
import type { CommandName, SettingsOf } from '../config/table.js';
import type { ServerKind } from '../stack/artifacts.js';
import { TITLES, nodeTitle } from '../stack/servers.js';
import { CASSANDRA_USER, KAFKA_USER, SASL_MECHANISM, secureFiles } from '../stack/secure.js';
import {
  CLUSTER_HEAPS,
  DEFAULT_SETTINGS,
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

/** A stack command's settings: flags, environment, config files, defaults. */
const settingsOf = <C extends CommandName>(cmd: Command, command: C) => resolveCommandSettings(cmd, command).settings;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Ports, versions, heaps and node count: flags, else what this stack used last time, else defaults. */
function upSettings(stack: Stack, opts: UpOptions): StackSettings {
  const saved = stack.savedSettings();
  const nodes = opts.nodes ?? nodeCount(saved);
  // a cluster's heaps are smaller; a stack made with another node count is refused by up itself
  const same = saved !== undefined && nodeCount(saved) === nodes;
  const defaults = (kind: ServerKind) => ({
    ...DEFAULT_SETTINGS[kind],
    ...(nodes > 1 ? { heap: CLUSTER_HEAPS[kind] } : {}),
  });
  const pick = <K extends 'port' | 'version' | 'heap'>(
    kind: ServerKind,
    key: K,
    flag: StackSettings[ServerKind][K] | undefined,
  ) => flag ?? (key === 'heap' && !same ? undefined : saved?.[kind][key]) ?? defaults(kind)[key];
  return {
    ...(opts.secure || opts.mtls ? { secure: true } : {}),
    ...(opts.mtls ? { mtls: true } : {}),
    nodes,
    kafka: {
      port: pick('kafka', 'port', opts.kafkaPort),
      version: pick('kafka', 'version', opts.kafkaVersion),
      heap: pick('kafka', 'heap', opts.kafkaHeap),
    },
    cassandra: {
      port: pick('cassandra', 'port', opts.cassandraPort),
      version: pick('cassandra', 'version', opts.cassandraVersion),
      heap: pick('cassandra', 'heap', opts.cassandraHeap),
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

/** up's settings; start has only the directory and the timeout, and takes the rest from the stack. */
type UpOptions = SettingsOf<'stack start'> & Partial<SettingsOf<'stack up'>>;

async function up(opts: UpOptions, only?: string[]): Promise<void> {
  const stack = new Stack(opts.stackDir);
  const settings = upSettings(stack, opts);
  const timeoutMs = opts.readyTimeout ?? (nodeCount(settings) > 1 ? 360 : 180) * 1000;

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

async function down(opts: SettingsOf<'stack down'>): Promise<void> {
  const stack = new Stack(opts.stackDir);
  const r = await stack.down(opts.gracePeriod);
  for (const node of stack.nodes()) info(`${nodeTitle(node)}: ${r.get(node.name)}`);
}

async function status(name: string | undefined, opts: SettingsOf<'stack status'>): Promise<void> {
  const stack = new Stack(opts.stackDir);
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

function logs(name: string | undefined, opts: SettingsOf<'stack logs'>): void {
  const stack = new Stack(opts.stackDir);
  const nodes = name === undefined ? stack.nodes() : [stack.node(name)];
  const n = opts.lines;
  for (const node of nodes) {
    if (nodes.length > 1) out(c.bold(`==> ${nodeTitle(node)} <==`));
    out(stack.logTail(node, n) || c.dim('(no log yet)'));
  }
}

/** stack up: its options are the stack's settings (node count, ports, versions, heaps, security). */
function upCommand(): Command {
  const cmd = new Command('up').description(
    'resolve Kafka and Cassandra with Maven (cached), start them in the background, wait until they answer',
  );
  return declareSettings(cmd, 'stack up')
    .addHelpText(
      'after',
      `
--nodes, --secure and --mtls are chosen when a stack is made (its first up); its certificates and passwords are in
<dir>/secure, readable only by you. Jars are cached per version in ~/.cache/loginsync (LOGINSYNC_CACHE). The servers
keep running after this command returns; stop them with "loginsync stack down". Needs Java 17+ and Maven 3.`,
    )
    .action((_opts: unknown, command: Command) => up(settingsOf(command, 'stack up')));
}

const NODE_ARG = 'kafka or cassandra; in a cluster kafka-1..kafka-3, cassandra-1..cassandra-3';

/** A subcommand of stack, its options from the settings table. */
function sub(parent: Command, name: string, command: CommandName): Command {
  return declareSettings(parent.command(name), command);
}

export function stackCommand(): Command {
  const cmd = new Command('stack').description(
    'run a real local Kafka (KRaft) and Cassandra, one node each or a cluster of three, no Docker needed',
  );

  cmd.addCommand(upCommand());

  sub(cmd, 'stop', 'stack stop')
    .description('stop one node of the stack (to try what an outage does); "stack start" brings it back')
    .argument('<node>', NODE_ARG)
    .action(async (name: string, _opts: unknown, command: Command) => {
      const opts = settingsOf(command, 'stack stop');
      const stack = new Stack(opts.stackDir);
      const node = stack.node(name);
      const r = await stack.stopNode(node, opts.kill ? 0 : opts.gracePeriod);
      info(`${nodeTitle(node)}: ${r}`);
    });

  sub(cmd, 'start', 'stack start')
    .description('start one node of the stack again, with the ports and versions it had')
    .argument('<node>', NODE_ARG)
    .action((name: string, _opts: unknown, command: Command) => {
      const opts = settingsOf(command, 'stack start');
      return up(opts, [new Stack(opts.stackDir).node(name).name]);
    });

  sub(cmd, 'down', 'stack down')
    .description('stop every node (SIGTERM, then SIGKILL after --grace-period); only processes this stack started')
    .action((_opts: unknown, command: Command) => down(settingsOf(command, 'stack down')));

  sub(cmd, 'status', 'stack status')
    .description('show each node: pid, port, healthy or not')
    .argument('[node]', `${NODE_ARG} (default: all)`)
    .action((name: string | undefined, _opts: unknown, command: Command) =>
      status(name, settingsOf(command, 'stack status')),
    );

  sub(cmd, 'logs', 'stack logs')
    .description("print the tail of a node's log")
    .argument('[node]', `${NODE_ARG} (default: all)`)
    .action((name: string | undefined, _opts: unknown, command: Command) =>
      logs(name, settingsOf(command, 'stack logs')),
    );

  sub(cmd, 'clean', 'stack clean')
    .description('remove the stack directory (data, logs); the servers must be stopped')
    .action((_opts: unknown, command: Command) => {
      const stack = new Stack(settingsOf(command, 'stack clean').stackDir);
      stack.clean();
      info(`removed ${stack.dir}`);
    });

  return cmd;
}
