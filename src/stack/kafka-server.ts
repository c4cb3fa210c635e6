import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../errors.js';
import { createKafka } from '../kafka/client.js';
import {
  KAFKA_ADMIN,
  KAFKA_LIMITED_USER,
  KAFKA_USER,
  SASL_MECHANISM,
  SERVER_CERT_DN,
  readSecret,
  type SecureFiles,
} from './secure.js';
import { clientPair, marker, type ServerContext, type ServerDef } from './servers.js';
import { kafkaControllerPort, type StackNode } from './topology.js';

const run = promisify(execFile);

/** Java properties escaping for a value (passwords are url-safe base64, this is belt and braces). */
const prop = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

const controllerPort = (ctx: ServerContext, node: StackNode = ctx.node) =>
  kafkaControllerPort(ctx.basePort, ctx.peers.length, node.index);

/**
 * A secured broker: one SASL_SSL listener (SCRAM-SHA-512 over TLS) for clients and for the brokers
 * themselves. The KRaft controller listener stays plain on 127.0.0.1 on one node, where only the node
 * itself uses it; in a cluster, where the nodes' quorum and the brokers' heartbeats cross it, it is TLS
 * with the stack's certificate on both ends.
 */
function kafkaSecureProperties(ctx: ServerContext, f: SecureFiles): string[] {
  const adminPw = readSecret(f.kafkaAdminPasswordFile);
  const cluster = ctx.peers.length > 1;
  const plainUsers = [KAFKA_USER, KAFKA_LIMITED_USER]
    .map((u) => `user_${u}="${prop(readSecret(f.kafkaPasswordFile))}"`)
    .join(' ');
  const superUsers = [KAFKA_ADMIN, KAFKA_USER, cluster ? `${SERVER_CERT_DN}` : 'ANONYMOUS'];
  return [
    `listeners=SASL_SSL://127.0.0.1:${ctx.node.port},CONTROLLER://127.0.0.1:${controllerPort(ctx)}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${ctx.node.port}`,
    `listener.security.protocol.map=CONTROLLER:${cluster ? 'SSL' : 'PLAINTEXT'},SASL_SSL:SASL_SSL`,
    ...(cluster ? ['listener.name.controller.ssl.client.auth=required'] : []),
    'inter.broker.listener.name=SASL_SSL',
    // SCRAM-SHA-512 (the one printed), SCRAM-SHA-256 and PLAIN for the same user, to try each mechanism
    'sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule ' +
      `required username="${KAFKA_ADMIN}" password="${prop(adminPw)}";`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule ' +
      'required;',
    // PLAIN also knows a user with no rights but the ACLs given to it, to try least privilege with
    'listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule ' +
      `required ${plainUsers};`,
    // ACLs are enforced: the stack's users (and, in a cluster, the nodes' certificate on the controller
    // listener; on one node the plain controller listener on loopback) may do anything, others what ACLs allow
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=${superUsers.map((u) => `User:${u}`).join(';')}`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${f.keystore}`,
    `ssl.keystore.password=${prop(readSecret(f.keystorePassword))}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${f.ca}`,
    // mutual TLS: no certificate signed by the CA, no connection (the broker's own has clientAuth too)
    // (on a SASL_SSL listener Kafka heeds ssl.client.auth only with the listener prefix)
    ...(ctx.mtls ? ['listener.name.sasl_ssl.ssl.client.auth=required'] : []),
  ];
}

/**
 * Kafka's internal topics: one copy on one node; on a cluster three, two of them needed to write. The
 * brokers' own min.insync.replicas stays 1, so that a topic made with one copy (init's default) can be
 * written with acks=all; a topic of three copies sets min.insync.replicas=2 itself.
 */
function kafkaReplication(count: number): string[] {
  const copies = Math.min(count, 3);
  const isr = Math.min(copies, 2);
  return [
    `offsets.topic.replication.factor=${copies}`,
    'offsets.topic.num.partitions=1',
    `transaction.state.log.replication.factor=${copies}`,
    `transaction.state.log.min.isr=${isr}`,
    `share.coordinator.state.topic.replication.factor=${copies}`,
    `share.coordinator.state.topic.min.isr=${isr}`,
    ...(count > 1
      ? [
          `default.replication.factor=${copies}`,
          // six JVMs on a small machine: a GC pause or a busy CPU is not a dead broker or controller
          // (defaults: session 9 s, heartbeat 2 s, quorum fetch 2 s, election 1 s)
          'broker.session.timeout.ms=15000',
          'broker.heartbeat.interval.ms=2000',
          'controller.quorum.fetch.timeout.ms=6000',
          'controller.quorum.election.timeout.ms=2000',
        ]
      : []),
  ];
}

function kafkaProperties(ctx: ServerContext): string {
  const { node } = ctx;
  return [
    '# written by loginsync stack up; rewritten at every start',
    // every node is a broker and a controller: the KRaft quorum has one voter per node
    'process.roles=broker,controller',
    `node.id=${node.index}`,
    `controller.quorum.voters=${ctx.peers.map((p) => `${p.index}@127.0.0.1:${controllerPort(ctx, p)}`).join(',')}`,
    'controller.listener.names=CONTROLLER',
    ...(ctx.secure
      ? kafkaSecureProperties(ctx, ctx.secure)
      : [
          `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${controllerPort(ctx)}`,
          `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
          'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          'inter.broker.listener.name=PLAINTEXT',
        ]),
    `log.dirs=${join(node.dir, 'data')}`,
    'num.partitions=1',
    ...kafkaReplication(ctx.peers.length),
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

const KAFKA_LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = warn
`;

/** The cluster id a broker's storage was formatted with, if it was. */
export function formattedClusterId(node: StackNode): string | undefined {
  const meta = join(node.dir, 'data', 'meta.properties');
  if (!existsSync(meta)) return undefined;
  return /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1]?.trim();
}

async function prepareKafka(ctx: ServerContext): Promise<void> {
  const { dir } = ctx.node;
  mkdirSync(join(dir, 'data'), { recursive: true });
  // it may hold the keystore and inter-broker passwords: private
  writeFileSync(join(dir, 'server.properties'), kafkaProperties(ctx), { mode: 0o600 });
  chmodSync(join(dir, 'server.properties'), 0o600); // mode applies only to a new file
  writeFileSync(join(dir, 'log4j2.properties'), KAFKA_LOG4J2);
  if (formattedClusterId(ctx.node) !== undefined) return;
  await formatKafka(ctx);
}

/**
 * A KRaft log directory must be formatted once with the cluster id (22 chars of url-safe base64), the
 * same on every broker of a cluster; a base64url id may begin with '-', which the tool's argument
 * parser takes for a flag: hence --cluster-id=.
 */
async function formatKafka(ctx: ServerContext): Promise<void> {
  const { dir } = ctx.node;
  const tool = [
    'kafka.tools.StorageTool',
    'format',
    `--cluster-id=${ctx.clusterId}`,
    '-c',
    join(dir, 'server.properties'),
    // a secured stack's SCRAM users exist from the start (KRaft keeps them in its metadata log)
    ...(ctx.secure
      ? [
          ['SCRAM-SHA-512', KAFKA_ADMIN, ctx.secure.kafkaAdminPasswordFile],
          ['SCRAM-SHA-512', KAFKA_USER, ctx.secure.kafkaPasswordFile],
          ['SCRAM-SHA-256', KAFKA_USER, ctx.secure.kafkaPasswordFile],
        ].flatMap(([mechanism, name, file]) => [
          '--add-scram',
          `${mechanism}=[name=${name},password=${readSecret(file!)}]`,
        ])
      : []),
  ];
  // the passwords go to the tool in a java @argfile, private and removed after, never on a command line
  // that ps would show (one per node: a cluster formats its brokers side by side)
  const argfile = ctx.secure ? join(ctx.secure.dir, `format-${ctx.node.index}.args`) : undefined;
  if (argfile)
    writeFileSync(argfile, tool.map((a) => `"${a.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join('\n') + '\n', {
      mode: 0o600,
    });
  try {
    await run(ctx.java, [
      '-cp',
      join(ctx.lib, '*'),
      `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
      ...(argfile ? [`@${argfile}`] : tool),
    ]);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    const tail = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-10).join('\n');
    throw new UserError(`formatting Kafka's storage failed:\n${tail}`);
  } finally {
    if (argfile) rmSync(argfile, { force: true });
  }
}

function kafkaArgs(ctx: ServerContext): string[] {
  const { dir } = ctx.node;
  return [
    `-Xms${ctx.heap}`,
    `-Xmx${ctx.heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    marker(dir),
    `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
    '-cp',
    join(ctx.lib, '*'),
    'kafka.Kafka',
    join(dir, 'server.properties'),
  ];
}

/**
 * The ids of the brokers a broker's metadata lists (registered and not fenced), or undefined when it does not answer.
 */
async function brokerIds(bootstrap: StackNode, secure?: SecureFiles): Promise<number[] | undefined> {
  const kafka = createKafka({
    brokers: [`${bootstrap.host}:${bootstrap.port}`],
    retries: 0,
    clientId: 'loginsync-stack',
    ...(secure
      ? {
          ssl: { ca: readFileSync(secure.ca), ...clientPair(secure) },
          sasl: { mechanism: SASL_MECHANISM, username: KAFKA_USER, password: readSecret(secure.kafkaPasswordFile) },
        }
      : {}),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.map((b) => b.nodeId);
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export const KAFKA: ServerDef = {
  prepare: prepareKafka,
  args: kafkaArgs,
  // the broker answers and has registered itself with the controllers
  ready: async (node, secure) => (await brokerIds(node, secure))?.includes(node.index) === true,
  // every broker lists every broker
  clusterReady: async (nodes, secure) => {
    const seen = await Promise.all(nodes.map((n) => brokerIds(n, secure)));
    return seen.every((ids) => nodes.every((n) => ids?.includes(n.index)));
  },
};
