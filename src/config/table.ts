// Every option of every command, in one table: its flag, help, kind of value, default and the commands
// that take it. A setting (scope 'setting') is also read from the environment (LOGINSYNC_ and its key in
// capitals: trigger -> LOGINSYNC_TRIGGER) and from a config file (its key), flags > env > project file >
// user file > default; the stack's (scope 'env') from its flag and variable; a switch for one invocation
// (scope 'invocation': --json, --yes, --once, what to send) only from its flag. The help text, the config
// file's keys and schema, `config show` and the values each command's code reads are all made from it.
import { JOIN_STRATEGIES } from '../cassandra/join-way.js';
import { CLUSTER_HEAPS, DEFAULT_SETTINGS, DEFAULT_STACK_DIR } from '../stack/stack.js';
import {
  bool,
  cqlName,
  duration,
  file,
  groupId,
  heapSize,
  hosts,
  int,
  oneOf,
  password,
  path,
  port,
  text,
  topicName,
  asGiven,
  type Kind,
} from './kinds.js';

export const CONSISTENCIES = [
  'any',
  'one',
  'two',
  'three',
  'quorum',
  'all',
  'local_quorum',
  'each_quorum',
  'local_one',
] as const;
export type Consistency = (typeof CONSISTENCIES)[number];
export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];
export const BENCH_SCENARIOS = ['drain', 'latency', 'table-size', 'restart', 'access', 'all'] as const;

/** The live page's port and interface when --ui does not say: Spark's UI port. */
export const UI_DEFAULTS = { port: 4040, host: '127.0.0.1' };

/** The commands, as typed after `loginsync`. */
export type CommandName =
  | 'init'
  | 'seed'
  | 'produce'
  | 'run'
  | 'show users'
  | 'offsets show'
  | 'offsets reset'
  | 'config show'
  | 'doctor'
  | 'bench'
  | 'demo'
  | 'stack up'
  | 'stack start'
  | 'stack stop'
  | 'stack down'
  | 'stack status'
  | 'stack logs'
  | 'stack clean';

/** The commands that talk to Kafka or Cassandra: they take the connection settings. */
const CONNECTED = [
  'init',
  'seed',
  'produce',
  'run',
  'show users',
  'offsets show',
  'offsets reset',
  'config show',
  'doctor',
  'bench',
  'demo',
] as const;
const STACK = [
  'stack up',
  'stack start',
  'stack stop',
  'stack down',
  'stack status',
  'stack logs',
  'stack clean',
] as const;

export interface SettingSpec<T = unknown> {
  /** the long flag; for a secret, the flag naming a file that holds it; `--no-x` for a switch on by default */
  flag: string;
  short?: string;
  /** the value's placeholder in help, `<n>`; none: a switch */
  arg?: string;
  /** other spellings of the flag, accepted and not shown */
  aliases?: readonly string[];
  /** what it does; per command where they say it differently */
  help: string | { [C in CommandName]?: string };
  commands: readonly CommandName[];
  /**
   * setting: flag, env, config file; env: flag and env (the stack's, which keeps its own settings in its
   * directory and must stop whatever a project file holds); invocation: the flag alone
   */
  scope: 'setting' | 'env' | 'invocation';
  /** its text, parsed as any other; shown in help and config show */
  default?: string;
  /** how help names a default that is worked out (e.g. from another setting); per command where it differs */
  defaultHelp?: string | { [C in CommandName]?: string };
  /** commands where it has no default, so that it must be given (the group that offsets reset moves) */
  requiredIn?: readonly CommandName[];
  /**
   * a setting that goes instead of this one: where both are given from different sources, the weaker is
   * dropped (a project file's startingTimestamp does not block a typed --starting-offsets); from one
   * source, the command refuses the pair
   */
  excludes?: string;
  /** a password: never a plain flag, never printed; in a config file as <key> or <key>File */
  secret?: boolean;
  /** the heading it is listed under in help */
  heading?: string;
  kind: Kind<T>;
}

/** Keeps each entry's own types (its kind's value, its commands, whether it has a default). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySpec = SettingSpec<any>;
const setting = <const S extends AnySpec>(s: S): S => s;

const CONNECTION = 'Connection:';
const KAFKA_SECURITY = 'Kafka security:';
const CASSANDRA_SECURITY = 'Cassandra security:';

/** A connection setting: every command that talks to Kafka or Cassandra takes it, from every source. */
const connection = <const S extends Omit<AnySpec, 'commands' | 'scope' | 'heading'>>(heading: string, s: S) =>
  setting({ ...s, heading, commands: CONNECTED, scope: 'setting' as const });

/** Kafka and Cassandra: where they are, which keyspace, table and topic, how to sign in. */
const CONNECTION_SETTINGS = {
  brokers: connection(CONNECTION, {
    flag: '--brokers',
    short: '-b',
    arg: '<list>',
    aliases: ['--bootstrap-server'],
    help: 'Kafka bootstrap servers, host:port,... (alias --bootstrap-server)',
    default: '127.0.0.1:9092',
    kind: hosts(9092),
  }),
  cassandra: connection(CONNECTION, {
    flag: '--cassandra',
    short: '-c',
    arg: '<list>',
    help: 'Cassandra contact points, host:port,...',
    default: '127.0.0.1:9042',
    kind: hosts(9042),
  }),
  localDc: connection(CONNECTION, {
    flag: '--local-dc',
    arg: '<name>',
    help: 'Cassandra local data center',
    default: 'datacenter1',
    kind: text,
  }),
  keyspace: connection(CONNECTION, {
    flag: '--keyspace',
    short: '-k',
    arg: '<name>',
    help: 'Cassandra keyspace',
    default: 'spark_db',
    kind: cqlName,
  }),
  table: connection(CONNECTION, {
    flag: '--table',
    arg: '<name>',
    help: 'users table',
    default: 'users',
    kind: cqlName,
  }),
  topic: connection(CONNECTION, {
    flag: '--topic',
    short: '-t',
    arg: '<name>',
    help: 'Kafka topic of login events',
    default: 'logins',
    kind: topicName,
  }),
  readConsistency: connection(CONNECTION, {
    flag: '--read-consistency',
    arg: '<level>',
    help: 'Cassandra consistency of reads',
    default: 'local_quorum',
    kind: oneOf(CONSISTENCIES),
  }),
  writeConsistency: connection(CONNECTION, {
    flag: '--write-consistency',
    arg: '<level>',
    help: 'Cassandra consistency of writes',
    default: 'local_quorum',
    kind: oneOf(CONSISTENCIES),
  }),
  kafkaTls: connection(KAFKA_SECURITY, {
    flag: '--kafka-tls',
    help: 'connect to Kafka with TLS (implied by any of the Kafka TLS options)',
    default: 'false',
    kind: bool,
  }),
  kafkaCa: connection(KAFKA_SECURITY, {
    flag: '--kafka-ca',
    arg: '<file>',
    help: 'CA certificate(s), PEM, to trust for Kafka',
    kind: file,
  }),
  kafkaCert: connection(KAFKA_SECURITY, {
    flag: '--kafka-cert',
    arg: '<file>',
    help: 'client certificate, PEM, for mutual TLS',
    kind: file,
  }),
  kafkaKey: connection(KAFKA_SECURITY, {
    flag: '--kafka-key',
    arg: '<file>',
    help: 'client private key, PEM, for mutual TLS',
    kind: file,
  }),
  kafkaInsecureSkipVerify: connection(KAFKA_SECURITY, {
    flag: '--kafka-insecure-skip-verify',
    help: "do not check the brokers' certificates (unsafe: testing only)",
    default: 'false',
    kind: bool,
  }),
  saslMechanism: connection(KAFKA_SECURITY, {
    flag: '--sasl-mechanism',
    arg: '<name>',
    help: 'plain, scram-sha-256 or scram-sha-512',
    kind: oneOf(SASL_MECHANISMS),
  }),
  saslUsername: connection(KAFKA_SECURITY, {
    flag: '--sasl-username',
    arg: '<name>',
    help: 'SASL user',
    kind: text,
  }),
  saslPassword: connection(KAFKA_SECURITY, {
    flag: '--sasl-password-file',
    arg: '<file>',
    help: 'file holding the SASL password',
    secret: true,
    kind: password,
  }),
  cassandraTls: connection(CASSANDRA_SECURITY, {
    flag: '--cassandra-tls',
    help: 'connect to Cassandra with TLS (implied by any of the Cassandra TLS options)',
    default: 'false',
    kind: bool,
  }),
  cassandraCa: connection(CASSANDRA_SECURITY, {
    flag: '--cassandra-ca',
    arg: '<file>',
    help: 'CA certificate(s), PEM, to trust for Cassandra',
    kind: file,
  }),
  cassandraCert: connection(CASSANDRA_SECURITY, {
    flag: '--cassandra-cert',
    arg: '<file>',
    help: 'client certificate, PEM',
    kind: file,
  }),
  cassandraKey: connection(CASSANDRA_SECURITY, {
    flag: '--cassandra-key',
    arg: '<file>',
    help: 'client private key, PEM',
    kind: file,
  }),
  cassandraUsername: connection(CASSANDRA_SECURITY, {
    flag: '--cassandra-username',
    arg: '<name>',
    help: 'Cassandra user',
    kind: text,
  }),
  cassandraPassword: connection(CASSANDRA_SECURITY, {
    flag: '--cassandra-password-file',
    arg: '<file>',
    help: 'file holding the Cassandra password',
    secret: true,
    kind: password,
  }),
};

/** Which group, and where its ledger is: `run` and `offsets` mean the same by them. */
const GROUP_SETTINGS = {
  group: setting({
    flag: '--group',
    short: '-g',
    arg: '<id>',
    help: {
      run: 'Kafka consumer group; runs with one group share the partitions',
      'offsets show': "Kafka consumer group, as run's --group",
      'offsets reset': "Kafka consumer group, as run's --group (no default: the wrong group is not moved by accident)",
    },
    commands: ['run', 'offsets show', 'offsets reset'],
    requiredIn: ['offsets reset'],
    scope: 'setting',
    default: 'loginsync',
    kind: groupId,
  }),
  checkpoint: setting({
    flag: '--checkpoint',
    arg: '<dir>',
    help: {
      run: 'ledger directory, one JSON line per committed batch',
      'offsets show': "the ledger directory, as run's",
      'offsets reset': 'the ledger directory, as run\'s: the move is recorded there as a "reset" entry',
    },
    commands: ['run', 'offsets show', 'offsets reset'],
    scope: 'setting',
    defaultHelp: '.loginsync/checkpoint/<group>',
    kind: path,
  }),
  timezone: setting({
    flag: '--timezone',
    arg: '<zone>',
    help: {
      run: 'IANA zone of times without a zone (created_time values, --starting-timestamp)',
      'offsets reset': 'IANA zone of --to-datetime without a zone',
    },
    commands: ['run', 'offsets reset'],
    scope: 'setting',
    default: 'UTC',
    // checked where it is used: by run, and by offsets reset only with --to-datetime
    kind: text,
  }),
};

/** The streaming join: where it starts, how batches are cut, how events are read. */
const RUN_SETTINGS = {
  startingOffsets: setting({
    flag: '--starting-offsets',
    arg: '<where>',
    help:
      'where partitions the group has no offset for start: earliest, latest, or JSON offsets per ' +
      'partition, \'{"0":23,"1":-2}\' (Spark\'s form too; -2 earliest, -1 latest)',
    commands: ['run'],
    defaultHelp: 'earliest',
    excludes: 'startingTimestamp',
    scope: 'setting',
    kind: text,
  }),
  startingTimestamp: setting({
    flag: '--starting-timestamp',
    arg: '<time>',
    help:
      'start partitions the group has no offset for at the first event written at or after this time ' +
      '("2020-09-09 08:00:00" in --timezone, or ISO-8601)',
    commands: ['run'],
    scope: 'setting',
    kind: text,
  }),
  trigger: setting({
    flag: '--trigger',
    arg: '<interval>',
    help: 'start a batch every interval: 500ms, 30s, 1m, "30 seconds"; 0 = as soon as records arrive',
    commands: ['run'],
    scope: 'setting',
    default: '0',
    kind: duration({ zero: true }),
  }),
  failOnDataLoss: setting({
    flag: '--no-fail-on-data-loss',
    aliases: ['--fail-on-data-loss'],
    help:
      'when records were deleted (retention, delete-records) before the group read them, warn, record the skip ' +
      "in the ledger as lost and go on from the first offset held, instead of stopping (exit 1), Spark's default",
    commands: ['run'],
    scope: 'setting',
    default: 'true',
    kind: bool,
  }),
  once: setting({
    flag: '--once',
    aliases: ['--available-now'],
    help: 'process what the topic holds now (up to the end offsets seen at start), then exit (alias --available-now)',
    commands: ['run'],
    scope: 'invocation',
    default: 'false',
    kind: bool,
  }),
  maxOffsetsPerTrigger: setting({
    flag: '--max-offsets-per-trigger',
    arg: '<n>',
    help: 'at most n records per batch',
    commands: ['run'],
    scope: 'setting',
    default: '2000000',
    kind: int(),
  }),
  maxBatchIds: setting({
    flag: '--max-batch-ids',
    arg: '<n>',
    help: 'close a batch at this many distinct login ids (bounds memory)',
    commands: ['run'],
    scope: 'setting',
    default: '500000',
    kind: int(),
  }),
  idField: setting({
    flag: '--id-field',
    arg: '<name>',
    help: 'JSON field of the login id (seed 004 uses "Login Id")',
    commands: ['run'],
    scope: 'setting',
    default: 'login_id',
    kind: asGiven,
  }),
  timeField: setting({
    flag: '--time-field',
    arg: '<name>',
    help: 'JSON field of the login time',
    commands: ['run'],
    scope: 'setting',
    default: 'created_time',
    kind: asGiven,
  }),
  maxFuture: setting({
    flag: '--max-future',
    arg: '<duration>',
    help:
      "an event more than this ahead of this machine's clock is malformed (dead-lettered), not written: it " +
      'would hold last_login above every real login; "off" to accept any',
    commands: ['run'],
    scope: 'setting',
    default: '1h',
    kind: duration({ off: 'off' }),
  }),
  dlqTopic: setting({
    flag: '--dlq-topic',
    arg: '<topic>',
    help: 'dead-letter topic for malformed messages, or "none" to only count them',
    commands: ['run'],
    scope: 'setting',
    defaultHelp: '<topic>.dlq',
    kind: text,
  }),
  unmatchedTopic: setting({
    flag: '--unmatched-topic',
    arg: '<topic>',
    help: 'send events of unknown login ids there instead of dropping them',
    commands: ['run'],
    scope: 'setting',
    kind: text,
  }),
  joinStrategy: setting({
    flag: '--join-strategy',
    arg: '<way>',
    help:
      "how a batch's users are read: lookup (by key), scan (the whole table in token ranges, as Spark does), " +
      'or auto: a scan when the batch holds half the table or more',
    commands: ['run'],
    scope: 'setting',
    default: 'auto',
    kind: oneOf(JOIN_STRATEGIES),
  }),
  readAhead: setting({
    flag: '--no-read-ahead',
    help: "with an interval --trigger, read a batch's users only at its trigger, not (by key) while it waits for it",
    commands: ['run'],
    scope: 'setting',
    default: 'true',
    kind: bool,
  }),
};

/** A run as a service: what it reports, how it stops, where it is watched. */
const SERVICE_SETTINGS = {
  progressJson: setting({
    flag: '--progress-json',
    arg: '<file>',
    help: 'append a Spark-style progress object per batch to file ("-" for stdout)',
    commands: ['run'],
    scope: 'setting',
    kind: path,
  }),
  quiet: setting({
    flag: '--quiet',
    short: '-q',
    help: 'print only the progress lines',
    commands: ['run'],
    scope: 'setting',
    default: 'false',
    kind: bool,
  }),
  maxOutage: setting({
    flag: '--max-outage',
    arg: '<duration>',
    help:
      'give up (exit 1, nothing unwritten committed) when Kafka or Cassandra stays unreachable this long; ' +
      'default: wait for ever, with a reminder every 30 s',
    commands: ['run'],
    scope: 'setting',
    kind: duration(),
  }),
  shutdownTimeout: setting({
    flag: '--shutdown-timeout',
    arg: '<duration>',
    help:
      'on SIGTERM/Ctrl-C, how long the batch in progress may take to finish and commit; past it the run exits ' +
      '1 without committing it',
    commands: ['run'],
    scope: 'setting',
    default: '30s',
    kind: duration(),
  }),
  sessionTimeout: setting({
    flag: '--session-timeout',
    arg: '<duration>',
    help:
      'Kafka consumer session timeout: how soon the group gives the partitions of a crashed run to another ' +
      '(the broker allows 6s to 5m by default)',
    commands: ['run'],
    scope: 'setting',
    default: '30s',
    kind: duration(),
  }),
  metricsPort: setting({
    flag: '--metrics-port',
    arg: '<port>',
    help:
      'serve Prometheus metrics on http://<host>:<port>/metrics and health on /healthz (200, or 503 after 3 ' +
      'failed attempts in a row)',
    commands: ['run'],
    scope: 'setting',
    kind: port,
  }),
  metricsHost: setting({
    flag: '--metrics-host',
    arg: '<host>',
    help: 'interface for --metrics-port (0.0.0.0 for every interface)',
    commands: ['run'],
    scope: 'setting',
    default: '127.0.0.1',
    kind: text,
  }),
  ui: setting({
    flag: '--ui',
    help: `serve a live page of the run (rates, lag, stages, outcomes, the last batches) on http://${UI_DEFAULTS.host}:${UI_DEFAULTS.port}/`,
    commands: ['run'],
    scope: 'setting',
    default: 'false',
    kind: bool,
  }),
  uiPort: setting({
    flag: '--ui-port',
    arg: '<port>',
    help: 'port of the live page (implies --ui); the same as --metrics-port: one server serves both',
    commands: ['run'],
    scope: 'setting',
    defaultHelp: String(UI_DEFAULTS.port),
    kind: port,
  }),
  uiHost: setting({
    flag: '--ui-host',
    arg: '<host>',
    help: 'interface of the live page (implies --ui); anyone who can reach it can read login ids and user names',
    commands: ['run'],
    scope: 'setting',
    defaultHelp: UI_DEFAULTS.host,
    kind: asGiven,
  }),
};

/** What init (and bench, for its own keyspace and topic) makes. */
const SCHEMA_SETTINGS = {
  keyspaceReplication: setting({
    flag: '--keyspace-replication',
    arg: '<n>',
    aliases: ['--replication-factor'],
    help: 'SimpleStrategy replication factor of a new keyspace (alias --replication-factor)',
    commands: ['init'],
    scope: 'setting',
    default: '1',
    kind: int({ max: 32767 }),
  }),
  replication: setting({
    flag: '--replication',
    arg: '<spec>',
    help: "replication of a new keyspace, e.g. 'NetworkTopologyStrategy:dc1=3,dc2=3'",
    commands: ['init'],
    excludes: 'keyspaceReplication',
    scope: 'setting',
    kind: text,
  }),
  topicReplication: setting({
    flag: '--topic-replication',
    arg: '<n>',
    help: 'replication factor of a new topic',
    commands: ['init'],
    scope: 'setting',
    default: '1',
    kind: int({ max: 32767 }),
  }),
  partitions: setting({
    flag: '--partitions',
    arg: '<n>',
    help: 'partitions of a new topic',
    commands: ['init'],
    scope: 'setting',
    default: '1',
    kind: int(),
  }),
};

/** The local stack: where it lives, what it runs, how long it waits. */
const STACK_SETTINGS = {
  stackDir: setting({
    flag: '--dir',
    arg: '<path>',
    help: 'directory of the stack: configs, data, logs, pid files',
    commands: STACK,
    scope: 'env',
    default: DEFAULT_STACK_DIR,
    kind: path,
  }),
  nodes: setting({
    flag: '--nodes',
    arg: '<n>',
    help:
      'nodes of each server: 1, or 3 for a cluster (3 brokers in one KRaft quorum, a ring of 3 Cassandra nodes ' +
      "on 127.0.0.1-3); chosen when the stack is made, kept after (default: 1, or the stack's)",
    commands: ['stack up'],
    scope: 'invocation',
    kind: int(),
  }),
  kafkaPort: setting({
    flag: '--kafka-port',
    arg: '<port>',
    help:
      "Kafka listener port; the KRaft controller uses the next one; a cluster's brokers the ports from it on, " +
      "then their controllers (default: 9092, or the stack's)",
    commands: ['stack up'],
    scope: 'invocation',
    kind: port,
  }),
  cassandraPort: setting({
    flag: '--cassandra-port',
    arg: '<port>',
    help:
      "Cassandra CQL port; its storage port is the next one; a cluster's nodes all use both, each on its own " +
      "address (default: 9042, or the stack's)",
    commands: ['stack up'],
    scope: 'invocation',
    kind: port,
  }),
  kafkaVersion: setting({
    flag: '--kafka-version',
    arg: '<v>',
    help: 'Apache Kafka version',
    commands: ['stack up'],
    scope: 'env',
    defaultHelp: `${DEFAULT_SETTINGS.kafka.version}, or the stack's`,
    kind: text,
  }),
  cassandraVersion: setting({
    flag: '--cassandra-version',
    arg: '<v>',
    help: 'Apache Cassandra version',
    commands: ['stack up'],
    scope: 'env',
    defaultHelp: `${DEFAULT_SETTINGS.cassandra.version}, or the stack's`,
    kind: text,
  }),
  kafkaHeap: setting({
    flag: '--kafka-heap',
    arg: '<size>',
    help: 'Kafka heap of each node',
    commands: ['stack up'],
    scope: 'invocation',
    defaultHelp: `${DEFAULT_SETTINGS.kafka.heap}, in a cluster ${CLUSTER_HEAPS.kafka}, or the stack's`,
    kind: heapSize,
  }),
  cassandraHeap: setting({
    flag: '--cassandra-heap',
    arg: '<size>',
    help: 'Cassandra heap of each node',
    commands: ['stack up'],
    scope: 'invocation',
    defaultHelp: `${DEFAULT_SETTINGS.cassandra.heap}, in a cluster ${CLUSTER_HEAPS.cassandra}, or the stack's`,
    kind: heapSize,
  }),
  secure: setting({
    flag: '--secure',
    help:
      'TLS and authentication: a private CA and certificates (openssl), Kafka on SASL_SSL with SCRAM-SHA-512, ' +
      'Cassandra with client TLS and passwords; prints how to connect',
    commands: ['stack up'],
    scope: 'invocation',
    default: 'false',
    kind: bool,
  }),
  mtls: setting({
    flag: '--mtls',
    help:
      "--secure, and both servers also require a client certificate signed by the stack's CA (mutual TLS); one " +
      'is made for you',
    commands: ['stack up'],
    scope: 'invocation',
    default: 'false',
    kind: bool,
  }),
  readyTimeout: setting({
    flag: '--ready-timeout',
    arg: '<duration>',
    aliases: ['--timeout'],
    help: 'how long the servers may take to become ready; a bare number is seconds (alias --timeout)',
    commands: ['stack up', 'stack start'],
    scope: 'env',
    defaultHelp: '180s, for a cluster 360s',
    kind: duration({ bareSeconds: true }),
  }),
  gracePeriod: setting({
    flag: '--grace-period',
    arg: '<duration>',
    aliases: ['--timeout'],
    help: 'how long a server may take to stop before SIGKILL; a bare number is seconds (alias --timeout)',
    commands: ['stack stop', 'stack down'],
    scope: 'env',
    default: '30s',
    // Cassandra syncs its commit log every 10 s: a SIGKILL too soon could lose acknowledged writes
    kind: duration({ bareSeconds: true, minMs: 1000 }),
  }),
  kill: setting({
    flag: '--kill',
    help: 'SIGKILL at once instead of a clean stop',
    commands: ['stack stop'],
    scope: 'invocation',
    default: 'false',
    kind: bool,
  }),
  lines: setting({
    flag: '--lines',
    short: '-n',
    arg: '<n>',
    help: 'number of lines',
    commands: ['stack logs'],
    scope: 'invocation',
    default: '50',
    kind: int(),
  }),
};

/** What one invocation of seed, produce and show does. */
const DATA_SWITCHES = {
  file: setting({
    flag: '--file',
    arg: '<path>',
    help: {
      seed:
        'users from a JSON array, JSON Lines (.jsonl, .ndjson: one object per line) or a CSV file with a ' +
        'header (login_id,user_name,last_login; times in UTC)',
      produce: 'send each line of the file as one message, as given (malformed lines too); "-" for stdin',
    },
    commands: ['seed', 'produce'],
    scope: 'invocation',
    kind: path,
  }),
  count: setting({
    flag: '--count',
    arg: '<n>',
    help: {
      seed: 'also add n synthetic users (ids from 1000000 up), batched, for benchmarks',
      produce: 'send n events for random known login ids (from the table, or --ids)',
    },
    commands: ['seed', 'produce'],
    scope: 'invocation',
    kind: text,
  }),
  idStart: setting({
    flag: '--id-start',
    arg: '<n>',
    help: 'first synthetic id',
    commands: ['seed'],
    scope: 'invocation',
    default: '1000000',
    kind: int({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  }),
  login: setting({
    flag: '--login',
    arg: '<id>',
    help: 'send {"login_id": id, "created_time": --time} keyed by the id',
    commands: ['produce'],
    scope: 'invocation',
    kind: asGiven,
  }),
  time: setting({
    flag: '--time',
    arg: '<time>',
    help: 'created_time, "YYYY-MM-DD HH:MM:SS" (UTC) or ISO-8601',
    commands: ['produce'],
    scope: 'invocation',
    defaultHelp: 'now',
    kind: text,
  }),
  rate: setting({
    flag: '--rate',
    arg: '<r>',
    help: {
      produce: 'events per second for --count; 0 = as fast as possible',
      bench: 'latency, restart: events per second',
    },
    commands: ['produce', 'bench'],
    scope: 'invocation',
    default: '1000',
    kind: text,
  }),
  ids: setting({
    flag: '--ids',
    arg: '<list>',
    help: 'login ids to pick from for --count, comma-separated',
    commands: ['produce'],
    scope: 'invocation',
    kind: text,
  }),
  timeSpread: setting({
    flag: '--time-spread',
    arg: '<interval>',
    help: 'for --count: created_time random within this interval before now (e.g. 1d, 1h)',
    commands: ['produce'],
    scope: 'invocation',
    defaultHelp: 'now',
    kind: text,
  }),
  key: setting({
    flag: '--no-key',
    help: 'send without a key (partitions are then chosen round-robin-ish)',
    commands: ['produce'],
    scope: 'invocation',
    default: 'true',
    kind: bool,
  }),
  limit: setting({
    flag: '--limit',
    arg: '<n>',
    help: 'rows to print, the smallest login_ids; 0 streams every row in token order',
    commands: ['show users'],
    scope: 'invocation',
    default: '100',
    kind: int({ min: 0 }),
  }),
};

/** What `offsets reset` moves the group to, and how it asks. */
const RESET_SWITCHES = {
  toEarliest: setting({
    flag: '--to-earliest',
    help: 'every partition to its first offset still held',
    commands: ['offsets reset'],
    scope: 'invocation',
    kind: bool,
  }),
  toLatest: setting({
    flag: '--to-latest',
    help: 'every partition to its end: skip what is there',
    commands: ['offsets reset'],
    scope: 'invocation',
    kind: bool,
  }),
  toDatetime: setting({
    flag: '--to-datetime',
    arg: '<time>',
    help:
      'every partition to the first record Kafka stored at or after this time ("2020-09-09 10:00:00" in ' +
      '--timezone, or ISO-8601); the end where none is that late',
    commands: ['offsets reset'],
    scope: 'invocation',
    kind: asGiven,
  }),
  toOffsets: setting({
    flag: '--to-offsets',
    arg: '<json>',
    help:
      'offsets per partition, \'{"0":23,"1":40}\' or Spark\'s form \'{"logins":{"0":23,"1":40}}\'; partitions ' +
      'left out stay where they are',
    commands: ['offsets reset'],
    scope: 'invocation',
    kind: asGiven,
  }),
  shiftBy: setting({
    flag: '--shift-by',
    arg: '<n>',
    help:
      'move each partition the group has an offset for by n (-100 back, +100 forward); partitions with none ' +
      'stay as they are',
    commands: ['offsets reset'],
    scope: 'invocation',
    kind: asGiven,
  }),
  dryRun: setting({
    flag: '--dry-run',
    help: 'print the plan, change nothing',
    commands: ['offsets reset'],
    scope: 'invocation',
    default: 'false',
    kind: bool,
  }),
  yes: setting({
    flag: '--yes',
    short: '-y',
    help: 'do not ask for confirmation (needed when stdin is not a terminal)',
    commands: ['offsets reset'],
    scope: 'invocation',
    default: 'false',
    kind: bool,
  }),
};

/** The bench's scenarios and their sizes. */
const BENCH_SWITCHES = {
  scenario: setting({
    flag: '--scenario',
    arg: '<name>',
    help: 'what to measure',
    commands: ['bench'],
    scope: 'invocation',
    default: 'drain',
    kind: oneOf(BENCH_SCENARIOS),
  }),
  users: setting({
    flag: '--users',
    arg: '<n>',
    help: 'users in the table (drain, latency, access)',
    commands: ['bench'],
    scope: 'invocation',
    default: '100000',
    kind: int(),
  }),
  events: setting({
    flag: '--events',
    arg: '<n>',
    help: 'events to drain (drain, table-size)',
    commands: ['bench'],
    scope: 'invocation',
    default: '1000000',
    kind: int(),
  }),
  benchPartitions: setting({
    flag: '--partitions',
    arg: '<n>',
    help: 'partitions of the bench topic; events are unkeyed',
    commands: ['bench'],
    scope: 'invocation',
    default: '2',
    kind: int(),
  }),
  // the bench's scratch keyspace and topic: their own keys, so that init's settings for a cluster do not
  // reach a bench on a private one-node stack
  benchKeyspaceReplication: setting({
    flag: '--keyspace-replication',
    arg: '<n>',
    aliases: ['--replication-factor'],
    help:
      "replication factor of the bench's keyspace: 3 on a three-node stack; --replication-factor sets it and " +
      '--topic-replication both',
    commands: ['bench'],
    scope: 'invocation',
    default: '1',
    kind: int({ max: 32767 }),
  }),
  benchTopicReplication: setting({
    flag: '--topic-replication',
    arg: '<n>',
    help: "replication factor of the bench's topic: 3 on a three-node stack",
    commands: ['bench'],
    scope: 'invocation',
    default: '1',
    kind: int({ max: 32767 }),
  }),
  benchUiPort: setting({
    flag: '--ui-port',
    arg: '<port>',
    help:
      'serve the live page of each measured run on this port (run --ui-port), to watch it; an open page is ' +
      'then part of what is measured',
    commands: ['bench'],
    scope: 'invocation',
    kind: port,
  }),
  kills: setting({
    flag: '--kills',
    arg: '<n>',
    help: 'restart: how many times the run is killed',
    commands: ['bench'],
    scope: 'invocation',
    default: '10',
    kind: int(),
  }),
  duration: setting({
    flag: '--duration',
    arg: '<duration>',
    aliases: ['--seconds'],
    help: 'latency: how long to produce; a bare number is seconds (alias --seconds)',
    commands: ['bench'],
    scope: 'invocation',
    default: '60',
    kind: duration({ bareSeconds: true, minMs: 1000 }),
  }),
  lead: setting({
    flag: '--lead',
    arg: '<duration>',
    help: 'latency: how long the run runs before the load starts; a bare number is seconds',
    commands: ['bench'],
    scope: 'invocation',
    default: '25',
    kind: duration({ bareSeconds: true, zero: true }),
  }),
  largeTable: setting({
    flag: '--large-table',
    arg: '<n>',
    help: 'table-size: rows of the large table (the small one has 10,000)',
    commands: ['bench'],
    scope: 'invocation',
    default: '1000000',
    kind: int(),
  }),
  out: setting({
    flag: '--out',
    arg: '<file>',
    help: 'also write the JSON figures to a file',
    commands: ['bench'],
    scope: 'invocation',
    kind: path,
  }),
  html: setting({
    flag: '--html',
    arg: '<file>',
    help: 'also write a report with charts to one HTML file that opens offline',
    commands: ['bench'],
    scope: 'invocation',
    kind: path,
  }),
  keep: setting({
    flag: '--keep',
    help: 'keep the bench keyspaces and topics',
    commands: ['bench'],
    scope: 'invocation',
    default: 'false',
    kind: bool,
  }),
  stack: setting({
    flag: '--stack',
    help: 'bring up a private local stack on free ports for the bench, and stop it after',
    commands: ['bench'],
    scope: 'invocation',
    default: 'false',
    kind: bool,
  }),
};

/** --json, on every command that prints data, each with the shape it prints. */
const OUTPUT_SWITCHES = {
  json: setting({
    flag: '--json',
    help: {
      init: 'print what was done as JSON',
      seed: 'print what was inserted as JSON',
      produce:
        'print what was sent as JSON: a line per event for --login and the prompt ({topic, partition, offset, ' +
        'event}); one summary for --count and a file ({topic, sent, seconds, perSecond})',
      'show users': 'print a JSON array of {login_id, user_name, last_login (ISO-8601 UTC or null)}',
      'offsets show':
        'print one object: {group, topic, state, checkpoint, partitions: [{partition, committed, low, high, lag, ' +
        'ledger}], members: [{memberId, clientId, host, partitions}]}',
      'offsets reset':
        'print the plan and the result as one object: {group, topic, target, dryRun, applied, plan: ' +
        '[{partition, from, to, low, high, asked, note}], ledger}',
      'config show': 'print JSON: settings, files read, warnings',
      doctor: 'print the checks as JSON',
      bench: 'print the figures as JSON',
      'stack status': 'print JSON',
    },
    commands: [
      'init',
      'seed',
      'produce',
      'show users',
      'offsets show',
      'offsets reset',
      'config show',
      'doctor',
      'bench',
      'stack status',
    ],
    scope: 'invocation',
    default: 'false',
    kind: bool,
  }),
};

/** The one table. */
export const SETTINGS = {
  ...CONNECTION_SETTINGS,
  ...GROUP_SETTINGS,
  ...RUN_SETTINGS,
  ...SERVICE_SETTINGS,
  ...SCHEMA_SETTINGS,
  ...STACK_SETTINGS,
  ...DATA_SWITCHES,
  ...RESET_SWITCHES,
  ...BENCH_SWITCHES,
  ...OUTPUT_SWITCHES,
};

type Table = typeof SETTINGS;
export type SettingKey = keyof Table;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
export const spec = (key: SettingKey): SettingSpec => SETTINGS[key] as SettingSpec;

/** The keys a config file may hold: the settings (a secret may also be given there as <key>File). */
export const FILE_KEYS = SETTING_KEYS.filter((k) => spec(k).scope === 'setting');
export const SECRET_KEYS = SETTING_KEYS.filter((k) => spec(k).secret);
export const CONNECTION_KEYS = Object.keys(CONNECTION_SETTINGS) as Array<keyof typeof CONNECTION_SETTINGS>;

/** Every command that connects takes it (so lists of commands can say so instead of naming eleven). */
export const takenByAllConnected = (key: SettingKey): boolean => spec(key).commands === CONNECTED;

/** The environment variable of a setting: LOGINSYNC_ and its key in capitals, kafkaCa -> LOGINSYNC_KAFKA_CA. */
export function envName(key: SettingKey): string | undefined {
  if (spec(key).scope === 'invocation') return undefined;
  return `LOGINSYNC_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The keys a command takes. */
export function keysOf(command: CommandName): SettingKey[] {
  return SETTING_KEYS.filter((k) => spec(k).commands.includes(command));
}

/** A setting's value: its kind's, or undefined where it has no default (and was not given). */
type ValueOf<S> = S extends { kind: Kind<infer T> } ? (S extends { default: string } ? T : T | undefined) : never;

/** Every setting's value (what config show lists). */
export type AllSettings = { -readonly [K in SettingKey]: ValueOf<Table[K]> };

/** The values a command's code reads, typed by the table. */
export type SettingsOf<C extends CommandName> = {
  -readonly [K in SettingKey as C extends Table[K]['commands'][number] ? K : never]: ValueOf<Table[K]>;
};

/** Kafka and Cassandra settings, as the clients take them. */
export type ConnectionValues = { -readonly [K in keyof typeof CONNECTION_SETTINGS]: ValueOf<Table[K]> };
export interface ConnectionSettings extends ConnectionValues {
  /** the clients log what they do: the global --verbose flag, or LOGINSYNC_VERBOSE=1 */
  verbose: boolean;
}
