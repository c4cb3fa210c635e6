import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectCassandra } from '../cassandra/client.js';
import { UserError, errorMessage } from '../errors.js';
import { createKafka } from '../kafka/client.js';
import type { ServerKind } from './artifacts.js';
import { CASSANDRA_USER, KAFKA_ADMIN, KAFKA_USER, SASL_MECHANISM, readSecret, type SecureFiles } from './secure.js';

const run = promisify(execFile);

/** Everything needed to start one server of a stack. */
export interface ServerContext {
  kind: ServerKind;
  /** absolute directory of this server inside the stack dir (configs, data, log, pid) */
  dir: string;
  /** classpath directory of resolved jars */
  lib: string;
  java: string;
  /** client port: Kafka's listener, Cassandra's native (CQL) port */
  port: number;
  /** heap size as given to -Xmx, e.g. 512m */
  heap: string;
  /** a secured stack: TLS and authentication (stack up --secure) */
  secure?: SecureFiles | undefined;
  /** with secure: both servers also require a client certificate signed by the stack's CA (--mtls) */
  mtls?: boolean;
}

export const TITLES: Record<ServerKind, string> = { kafka: 'Kafka', cassandra: 'Cassandra' };

/**
 * The ports a server needs, derived from its client port: Kafka's KRaft controller listens on port+1,
 * Cassandra's inter-node storage port is port+1.
 */
export function serverPorts(kind: ServerKind, port: number): Array<{ port: number; role: string }> {
  return kind === 'kafka'
    ? [{ port, role: 'Kafka' }, { port: port + 1, role: 'Kafka controller' }]
    : [{ port, role: 'Cassandra CQL' }, { port: port + 1, role: 'Cassandra storage' }];
}

export const logFile = (ctx: Pick<ServerContext, 'dir' | 'kind'>) => join(ctx.dir, `${ctx.kind}.log`);
export const pidFile = (dir: string) => join(dir, 'server.pid');
/** Put on the java command line so that `down` only ever signals processes this stack started. */
export const marker = (dir: string) => `-Dloginsync.stack=${dir}`;

// ---------------------------------------------------------------- Kafka

/** Java properties escaping for a value (passwords are url-safe base64, this is belt and braces). */
const prop = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/**
 * A secured broker: one SASL_SSL listener (SCRAM-SHA-512 over TLS) for clients and for the broker
 * itself; the KRaft controller listener stays plain on 127.0.0.1.
 */
function kafkaSecureProperties(ctx: ServerContext, f: SecureFiles): string[] {
  const adminPw = readSecret(f.kafkaAdminPasswordFile);
  return [
    `listeners=SASL_SSL://127.0.0.1:${ctx.port},CONTROLLER://127.0.0.1:${ctx.port + 1}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${ctx.port}`,
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
    'inter.broker.listener.name=SASL_SSL',
    // SCRAM-SHA-512 (the one printed), SCRAM-SHA-256 and PLAIN for the same user, to try each mechanism
    'sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${KAFKA_ADMIN}" password="${prop(adminPw)}";`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${KAFKA_USER}="${prop(readSecret(f.kafkaPasswordFile))}";`,
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

function kafkaProperties(ctx: ServerContext): string {
  const controller = ctx.port + 1;
  return [
    '# written by loginsync stack up; rewritten at every start',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controller}`,
    'controller.listener.names=CONTROLLER',
    ...(ctx.secure ? kafkaSecureProperties(ctx, ctx.secure) : [
      `listeners=PLAINTEXT://127.0.0.1:${ctx.port},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${ctx.port}`,
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
    ]),
    `log.dirs=${join(ctx.dir, 'data')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
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

async function prepareKafka(ctx: ServerContext): Promise<void> {
  mkdirSync(join(ctx.dir, 'data'), { recursive: true });
  // it may hold the keystore and inter-broker passwords: private
  writeFileSync(join(ctx.dir, 'server.properties'), kafkaProperties(ctx), { mode: 0o600 });
  chmodSync(join(ctx.dir, 'server.properties'), 0o600); // mode applies only to a new file
  writeFileSync(join(ctx.dir, 'log4j2.properties'), KAFKA_LOG4J2);
  if (existsSync(join(ctx.dir, 'data', 'meta.properties'))) return;
  // A KRaft log directory must be formatted once with a cluster id (22 chars of url-safe base64).
  // a base64url id may begin with '-', which the tool's argument parser takes for a flag: hence --cluster-id=
  const clusterId = randomBytes(16).toString('base64url');
  const tool = ['kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', join(ctx.dir, 'server.properties'),
    // a secured stack's SCRAM users exist from the start (KRaft keeps them in its metadata log)
    ...(ctx.secure ? [
      ['SCRAM-SHA-512', KAFKA_ADMIN, ctx.secure.kafkaAdminPasswordFile],
      ['SCRAM-SHA-512', KAFKA_USER, ctx.secure.kafkaPasswordFile],
      ['SCRAM-SHA-256', KAFKA_USER, ctx.secure.kafkaPasswordFile],
    ].flatMap(([mechanism, name, file]) => ['--add-scram', `${mechanism}=[name=${name},password=${readSecret(file!)}]`]) : [])];
  // the passwords go to the tool in a java @argfile, private and removed after, never on a command line
  // that ps would show
  const argfile = ctx.secure ? join(ctx.secure.dir, 'format.args') : undefined;
  if (argfile) writeFileSync(argfile, tool.map((a) => `"${a.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join('\n') + '\n', { mode: 0o600 });
  try {
    await run(ctx.java, ['-cp', join(ctx.lib, '*'), `-Dlog4j2.configurationFile=${join(ctx.dir, 'log4j2.properties')}`,
      ...(argfile ? [`@${argfile}`] : tool)]);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    const tail = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-10).join('\n');
    throw new UserError(`formatting Kafka's storage failed:\n${tail}`);
  } finally {
    if (argfile) rmSync(argfile, { force: true });
  }
}

function kafkaArgs(ctx: ServerContext): string[] {
  return [
    `-Xms${ctx.heap}`, `-Xmx${ctx.heap}`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true', marker(ctx.dir),
    `-Dlog4j2.configurationFile=${join(ctx.dir, 'log4j2.properties')}`,
    '-cp', join(ctx.lib, '*'), 'kafka.Kafka', join(ctx.dir, 'server.properties'),
  ];
}

/** The stack's client certificate and key, made by --mtls stacks only (servers that do not ask ignore them). */
function clientPair(secure: SecureFiles): { cert?: Buffer; key?: Buffer } {
  return existsSync(secure.clientCert) && existsSync(secure.clientKey) ? { cert: readFileSync(secure.clientCert), key: readFileSync(secure.clientKey) } : {};
}

async function kafkaReady(port: number, secure?: SecureFiles): Promise<boolean> {
  const kafka = createKafka({
    brokers: [`127.0.0.1:${port}`], retries: 0, clientId: 'loginsync-stack',
    ...(secure ? {
      ssl: { ca: readFileSync(secure.ca), ...clientPair(secure) },
      sasl: { mechanism: SASL_MECHANISM, username: KAFKA_USER, password: readSecret(secure.kafkaPasswordFile) },
    } : {}),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

// ---------------------------------------------------------------- Cassandra

function cassandraYaml(ctx: ServerContext): string {
  const data = join(ctx.dir, 'data');
  return `# written by loginsync stack up; rewritten at every start
cluster_name: loginsync
num_tokens: 16
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
data_file_directories:
  - ${join(data, 'data')}
commitlog_directory: ${join(data, 'commitlog')}
saved_caches_directory: ${join(data, 'saved_caches')}
hints_directory: ${join(data, 'hints')}
cdc_raw_directory: ${join(data, 'cdc_raw')}
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:${ctx.port + 1}"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: ${ctx.port + 1}
native_transport_port: ${ctx.port}
start_native_transport: true
endpoint_snitch: SimpleSnitch
auto_snapshot: false
${ctx.secure ? `authenticator: PasswordAuthenticator
client_encryption_options:
  enabled: true
  optional: false
  keystore: ${ctx.secure.keystore}
  keystore_password: "${readSecret(ctx.secure.keystorePassword)}"
  store_type: PKCS12
${ctx.mtls ? `  require_client_auth: true
  truststore: ${ctx.secure.truststore}
  truststore_password: "${readSecret(ctx.secure.keystorePassword)}"
` : `  require_client_auth: false
`}` : ''}`;
}

const CASSANDRA_LOGBACK = `<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
`;

/**
 * Cassandra 5.0 on Java 17 needs these module flags; they come from its distribution's
 * conf/jvm17-server.options, which is not inside the jar.
 */
const CASSANDRA_JVM17 = [
  '-Djdk.attach.allowAttachSelf=true',
  ...['java.base/jdk.internal.misc', 'java.management.rmi/com.sun.jmx.remote.internal.rmi', 'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server', 'java.sql/java.sql', 'java.base/java.lang.ref', 'jdk.unsupported/sun.misc',
    'jdk.compiler/com.sun.tools.javac.file', 'jdk.attach/sun.tools.attach']
    .flatMap((m) => ['--add-exports', `${m}=ALL-UNNAMED`]),
  ...['java.base/java.lang.module', 'java.base/jdk.internal.loader', 'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect', 'java.base/jdk.internal.math', 'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar', 'jdk.management/com.sun.management.internal', 'java.base/sun.nio.ch',
    'java.base/java.io', 'java.base/java.lang.reflect', 'jdk.compiler/com.sun.tools.javac', 'java.base/java.lang',
    'java.base/java.util']
    .flatMap((m) => ['--add-opens', `${m}=ALL-UNNAMED`]),
  '-Dio.netty.tryReflectionSetAccessible=true',
];

async function prepareCassandra(ctx: ServerContext): Promise<void> {
  mkdirSync(join(ctx.dir, 'data'), { recursive: true });
  writeFileSync(join(ctx.dir, 'cassandra.yaml'), cassandraYaml(ctx), { mode: 0o600 });
  chmodSync(join(ctx.dir, 'cassandra.yaml'), 0o600);
  writeFileSync(join(ctx.dir, 'logback.xml'), CASSANDRA_LOGBACK);
}

function cassandraArgs(ctx: ServerContext): string[] {
  return [
    `-Xms${ctx.heap}`, `-Xmx${ctx.heap}`, '-Xss512k', '-XX:+UseG1GC', '-XX:+ParallelRefProcEnabled',
    '-XX:MaxTenuringThreshold=1', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true',
    ...CASSANDRA_JVM17,
    marker(ctx.dir),
    `-Dcassandra.config=file://${join(ctx.dir, 'cassandra.yaml')}`,
    `-Dlogback.configurationFile=${join(ctx.dir, 'logback.xml')}`,
    `-Dcassandra.storagedir=${join(ctx.dir, 'data')}`,
    '-Dcassandra-foreground=yes',
    // a single node has no gossip to wait for
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    // a secured node creates its default superuser at once instead of after 10 s
    ...(ctx.secure ? ['-Dcassandra.superuser_setup_delay_ms=0'] : []),
    '-cp', join(ctx.lib, '*'), 'org.apache.cassandra.service.CassandraDaemon',
  ];
}

async function cassandraReady(port: number, secure?: SecureFiles): Promise<boolean> {
  const contact = { contactPoints: [`127.0.0.1:${port}`], localDc: 'datacenter1', connectTimeoutMs: 2000 };
  const tls = secure ? { sslOptions: { ca: readFileSync(secure.ca), ...clientPair(secure) } } : {};
  const as = (username: string, password: string) => connectCassandra({ ...contact, ...tls, credentials: { username, password } });
  try {
    let client;
    if (!secure) client = await connectCassandra(contact);
    else {
      const password = readSecret(secure.cassandraPasswordFile);
      try {
        client = await as(CASSANDRA_USER, password);
      } catch (err) {
        // the driver puts the server's answer in innerErrors of the error connectCassandra wraps
        const inner = (err as { cause?: { innerErrors?: Record<string, unknown> } }).cause?.innerErrors ?? {};
        if (!Object.values(inner).some((e) => /username|password|authenticat/i.test(errorMessage(e)))) throw err;
        // first start: the default superuser makes the stack's own, then gets a password nobody knows
        const root = await as('cassandra', 'cassandra');
        try {
          // role statements take no bind markers: the passwords are url-safe base64, quoted as CQL strings
          const quoted = (v: string) => `'${v.replace(/'/g, "''")}'`;
          await root.execute(`CREATE ROLE IF NOT EXISTS ${CASSANDRA_USER} WITH PASSWORD = ${quoted(password)} AND LOGIN = true AND SUPERUSER = true`, [], { prepare: false });
          await root.execute(`ALTER ROLE cassandra WITH PASSWORD = ${quoted(randomBytes(24).toString('base64url'))}`, [], { prepare: false });
        } finally {
          await root.shutdown().catch(() => {});
        }
        return false;
      }
    }
    try {
      const rs = await client.execute('SELECT release_version FROM system.local');
      return rs.rows.length === 1;
    } finally {
      await client.shutdown().catch(() => {});
    }
  } catch {
    return false;
  }
}

export interface ServerDef {
  prepare(ctx: ServerContext): Promise<void>;
  args(ctx: ServerContext): string[];
  /** a real client call: Kafka cluster metadata, a CQL query (with the stack's credentials when secured) */
  ready(port: number, secure?: SecureFiles): Promise<boolean>;
}

export const SERVERS: Record<ServerKind, ServerDef> = {
  kafka: { prepare: prepareKafka, args: kafkaArgs, ready: kafkaReady },
  cassandra: { prepare: prepareCassandra, args: cassandraArgs, ready: cassandraReady },
};
