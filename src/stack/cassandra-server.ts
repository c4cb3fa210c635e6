import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectCassandra, types, type CassandraClient, type CassandraOptions } from '../cassandra/client.js';
import { errorMessage } from '../errors.js';
import { CASSANDRA_USER, readSecret, type SecureFiles } from './secure.js';
import { clientPair, marker, type ServerContext, type ServerDef } from './servers.js';
import type { StackNode } from './topology.js';

const NUM_TOKENS = 16;

/**
 * Tokens for node `index` of a new ring of `count` nodes: the ring cut into count * 16 equal parts,
 * dealt out in turn, so the nodes own equal shares from the start and no two can pick the same token.
 */
export function initialTokens(index: number, count: number): string[] {
  const parts = BigInt(count * NUM_TOKENS);
  const min = -(2n ** 63n);
  // each token in the middle of its part: none is the partitioner's minimum, which no node may own
  return Array.from({ length: NUM_TOKENS }, (_, j) =>
    String(min + ((2n * BigInt(j * count + index - 1) + 1n) * 2n ** 64n) / (2n * parts)),
  );
}

/**
 * A cluster's ring: every node a seed (so any of them can start alone, in any order, and none waits for
 * another at first start), none bootstrapping (a new ring has no data to stream: seeds never do), and
 * a failure detector that does not take a GC pause on a busy 2-core machine for a dead node (default 8).
 */
function cassandraClusterYaml(ctx: ServerContext): string {
  if (ctx.peers.length === 1) return '';
  return `auto_bootstrap: false
initial_token: "${initialTokens(ctx.node.index, ctx.peers.length).join(',')}"
phi_convict_threshold: 12
`;
}

/**
 * A secured cluster's nodes talk to each other over TLS only, each showing the stack's certificate and
 * checking the other's against the CA and its address.
 */
function cassandraInternodeYaml(ctx: ServerContext, f: SecureFiles): string {
  if (ctx.peers.length === 1) return '';
  const password = readSecret(f.keystorePassword);
  return `server_encryption_options:
  internode_encryption: all
  optional: false
  legacy_ssl_storage_port_enabled: false
  keystore: ${f.keystore}
  keystore_password: "${password}"
  truststore: ${f.truststore}
  truststore_password: "${password}"
  store_type: PKCS12
  require_client_auth: true
  require_endpoint_verification: true
`;
}

function cassandraSecureYaml(ctx: ServerContext): string {
  if (!ctx.secure) return '';
  return `${cassandraInternodeYaml(ctx, ctx.secure)}authenticator: PasswordAuthenticator
authorizer: CassandraAuthorizer
client_encryption_options:
  enabled: true
  optional: false
  keystore: ${ctx.secure.keystore}
  keystore_password: "${readSecret(ctx.secure.keystorePassword)}"
  store_type: PKCS12
${
  ctx.mtls
    ? `  require_client_auth: true
  truststore: ${ctx.secure.truststore}
  truststore_password: "${readSecret(ctx.secure.keystorePassword)}"
`
    : `  require_client_auth: false
`
}`;
}

function cassandraYaml(ctx: ServerContext): string {
  const data = join(ctx.node.dir, 'data');
  const storage = ctx.basePort + 1;
  return `# written by loginsync stack up; rewritten at every start
cluster_name: loginsync
num_tokens: ${NUM_TOKENS}
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
      - seeds: "${ctx.peers.map((p) => `${p.host}:${storage}`).join(',')}"
listen_address: ${ctx.node.host}
rpc_address: ${ctx.node.host}
storage_port: ${storage}
native_transport_port: ${ctx.node.port}
start_native_transport: true
endpoint_snitch: SimpleSnitch
auto_snapshot: false
${cassandraClusterYaml(ctx)}${cassandraSecureYaml(ctx)}`;
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
  ...[
    'java.base/jdk.internal.misc',
    'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server',
    'java.sql/java.sql',
    'java.base/java.lang.ref',
    'jdk.unsupported/sun.misc',
    'jdk.compiler/com.sun.tools.javac.file',
    'jdk.attach/sun.tools.attach',
  ].flatMap((m) => ['--add-exports', `${m}=ALL-UNNAMED`]),
  ...[
    'java.base/java.lang.module',
    'java.base/jdk.internal.loader',
    'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math',
    'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar',
    'jdk.management/com.sun.management.internal',
    'java.base/sun.nio.ch',
    'java.base/java.io',
    'java.base/java.lang.reflect',
    'jdk.compiler/com.sun.tools.javac',
    'java.base/java.lang',
    'java.base/java.util',
  ].flatMap((m) => ['--add-opens', `${m}=ALL-UNNAMED`]),
  '-Dio.netty.tryReflectionSetAccessible=true',
];

async function prepareCassandra(ctx: ServerContext): Promise<void> {
  const { dir } = ctx.node;
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'cassandra.yaml'), cassandraYaml(ctx), { mode: 0o600 });
  chmodSync(join(dir, 'cassandra.yaml'), 0o600);
  writeFileSync(join(dir, 'logback.xml'), CASSANDRA_LOGBACK);
}

/**
 * Start-up properties. One node has no gossip to wait for. A cluster's nodes do not wait for gossip to
 * settle either (a new ring, all seeds, nothing to stream). Before it joins, a node asks the seeds
 * whether another live node has its address (a "shadow round"), for up to the ring delay when they do
 * not answer yet, as they do not while a new ring's nodes all boot: a new node skips that check (the
 * stack's addresses are its own, a new ring has no other node), a node with data keeps it, waiting at
 * most 10 s instead of 30 (the ring delay only caps such waits here: no node bootstraps or moves). The
 * system keyspaces are made with three copies, so that logins, and the tables Cassandra keeps for
 * itself, outlive one node.
 */
function cassandraStartProperties(ctx: ServerContext): string[] {
  const cluster = ctx.peers.length > 1;
  const copies = Math.min(ctx.peers.length, 3);
  const fresh = !existsSync(join(ctx.node.dir, 'data', 'data'));
  return [
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    ...(cluster
      ? [
          '-Dcassandra.ring_delay_ms=10000',
          ...(fresh ? ['-Dcassandra.allow_unsafe_join=true'] : []),
          ...['system_auth', 'system_distributed', 'system_traces'].map(
            (ks) => `-Dcassandra.${ks}.default_rf=${copies}`,
          ),
        ]
      : []),
    // a secured node creates its default superuser soon instead of after 10 s (a cluster's needs a
    // quorum of nodes, and is tried again every second until it has one)
    ...(ctx.secure ? [`-Dcassandra.superuser_setup_delay_ms=${cluster ? 1000 : 0}`] : []),
  ];
}

function cassandraArgs(ctx: ServerContext): string[] {
  const { dir } = ctx.node;
  return [
    `-Xms${ctx.heap}`,
    `-Xmx${ctx.heap}`,
    '-Xss512k',
    '-XX:+UseG1GC',
    '-XX:+ParallelRefProcEnabled',
    '-XX:MaxTenuringThreshold=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    ...CASSANDRA_JVM17,
    marker(dir),
    `-Dcassandra.config=file://${join(dir, 'cassandra.yaml')}`,
    `-Dlogback.configurationFile=${join(dir, 'logback.xml')}`,
    `-Dcassandra.storagedir=${join(dir, 'data')}`,
    '-Dcassandra-foreground=yes',
    ...cassandraStartProperties(ctx),
    '-cp',
    join(ctx.lib, '*'),
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}

type Connect = (username?: string, password?: string) => Promise<CassandraClient>;

/** Connects to the nodes given (only to them with `only`), over TLS and as `username` on a secured stack. */
function connector(nodes: StackNode[], secure: SecureFiles | undefined, only: boolean): Connect {
  const contact: CassandraOptions = {
    contactPoints: nodes.map((n) => `${n.host}:${n.port}`),
    localDc: 'datacenter1',
    connectTimeoutMs: 2000,
    onlyContactPoints: only,
    ...(secure ? { sslOptions: { ca: readFileSync(secure.ca), ...clientPair(secure) } } : {}),
  };
  return (username, password) =>
    connectCassandra({ ...contact, ...(username && password ? { credentials: { username, password } } : {}) });
}

/**
 * A secured stack's first start: its default superuser makes the stack's own role, then gets a password
 * nobody knows. Role statements take no bind markers: the passwords are url-safe base64, quoted as CQL
 * strings.
 */
async function makeRole(connect: Connect, password: string): Promise<void> {
  const root = await connect('cassandra', 'cassandra');
  try {
    const quoted = (v: string) => `'${v.replace(/'/g, "''")}'`;
    await root.execute(
      `CREATE ROLE IF NOT EXISTS ${CASSANDRA_USER} WITH PASSWORD = ${quoted(password)} ` +
        'AND LOGIN = true AND SUPERUSER = true',
      [],
      { prepare: false },
    );
    await root.execute(`ALTER ROLE cassandra WITH PASSWORD = ${quoted(randomBytes(24).toString('base64url'))}`, [], {
      prepare: false,
    });
  } finally {
    await root.shutdown().catch(() => {});
  }
}

/** A client of the stack's nodes, as the stack's user when it is secured; undefined while its role is being made. */
async function stackClient(
  nodes: StackNode[],
  secure: SecureFiles | undefined,
  only: boolean,
): Promise<CassandraClient | undefined> {
  const connect = connector(nodes, secure, only);
  if (!secure) return connect();
  const password = readSecret(secure.cassandraPasswordFile);
  try {
    return await connect(CASSANDRA_USER, password);
  } catch (err) {
    // the driver puts the server's answer in innerErrors of the error connectCassandra wraps
    const inner = (err as { cause?: { innerErrors?: Record<string, unknown> } }).cause?.innerErrors ?? {};
    if (!Object.values(inner).some((e) => /username|password|authenticat/i.test(errorMessage(e)))) throw err;
    await makeRole(connect, password);
    return undefined;
  }
}

/** Runs check with a client of the nodes; false when they do not answer (yet). */
async function withClient(
  nodes: StackNode[],
  secure: SecureFiles | undefined,
  only: boolean,
  check: (c: CassandraClient) => Promise<boolean>,
): Promise<boolean> {
  try {
    const client = await stackClient(nodes, secure, only);
    if (!client) return false;
    try {
      return await check(client);
    } finally {
      await client.shutdown().catch(() => {});
    }
  } catch {
    return false;
  }
}

/**
 * Every node is UP for every other: the driver sees them all, they agree on the schema, and each,
 * coordinating a read of system_auth (three copies) at consistency ALL, finds every replica alive.
 */
async function ringReady(client: CassandraClient, count: number): Promise<boolean> {
  const hosts = client.hosts.values();
  if (hosts.length !== count || !hosts.every((h) => h.isUp())) return false;
  const schemas = new Set<string>();
  for (const host of hosts) {
    const local = await client.execute('SELECT schema_version FROM system.local', [], { host, prepare: false });
    schemas.add(String(local.first()?.get('schema_version')));
    await client.execute('SELECT role FROM system_auth.roles LIMIT 1', [], {
      host,
      consistency: types.consistencies.all,
      prepare: false,
    });
  }
  return schemas.size === 1;
}

export const CASSANDRA: ServerDef = {
  prepare: prepareCassandra,
  args: cassandraArgs,
  ready: (node, secure) =>
    withClient([node], secure, true, async (client) => {
      const rs = await client.execute('SELECT release_version FROM system.local');
      return rs.rows.length === 1;
    }),
  clusterReady: (nodes, secure) => withClient(nodes, secure, false, (client) => ringReady(client, nodes.length)),
};
