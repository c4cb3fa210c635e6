/**
 * The fence around kafkajs' internals: everything loginsync uses of kafkajs that its public surface
 * (types/index.d.ts, the package's exports) does not offer is in this file, and nowhere else.
 * checkKafkajsInternals() verifies at start, without network I/O, that the installed kafkajs is the
 * one this was written against and still has each internal, so that a different kafkajs fails with
 * one line at start instead of somewhere in a run. kafkajs is pinned exactly in package.json for
 * their sake; docs/decisions/0001-kafka-client.md says why, and what leaving kafkajs would take.
 *
 * Adding a use: a typed function here, and an entry in INTERNALS that checks it without I/O.
 */
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import type { Kafka } from 'kafkajs';
import { UserError } from '../errors.js';

/** The kafkajs whose internals this file was written against: package.json pins exactly this one. */
export const KAFKAJS_VERSION = '2.2.4';

/** Where the fence is, for its messages. */
const HERE = 'src/kafka/kafkajs-internals.ts';

// ---------------------------------------------------------------------------------------------------
// The client's own cluster connection, and the group coordinator on it
// ---------------------------------------------------------------------------------------------------

/**
 * The private member of a Kafka instance that makes a cluster connection with the client's settings
 * (brokers, TLS, SASL, retry, socket factory): kafkajs makes each admin, producer and consumer's
 * connection with it. The public API offers no connection of one's own, and no request to a group's
 * coordinator outside a consumer in that group.
 */
const CREATE_CLUSTER = 'private:Kafka:createCluster';

/** An offset to commit for one partition, as kafkajs' broker takes it. */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

/**
 * The requests to a group's coordinator that loginsync sends itself: methods of kafkajs' Broker
 * (src/broker/index.js). The declared Broker type has offsetCommit but not leaveGroup.
 */
export interface GroupCoordinator {
  /** LeaveGroup for another member (the member id is the one to remove, not ours) */
  leaveGroup(o: { groupId: string; memberId: string }): Promise<unknown>;
  /** OffsetCommit; generation -1 and member id '' commit for a group with no member, as Kafka's admin client does */
  offsetCommit(o: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: Array<{ topic: string; partitions: PartitionOffset[] }>;
  }): Promise<unknown>;
}

/** The part of kafkajs' Cluster (src/cluster/index.js) used here. */
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(o: { groupId: string }): Promise<GroupCoordinator>;
}

type CreateCluster = (o: { allowAutoTopicCreation: boolean }) => InternalCluster;

const CLUSTER_METHODS = ['connect', 'disconnect', 'findGroupCoordinator'] as const;
const COORDINATOR_METHODS = ['leaveGroup', 'offsetCommit'] as const;

/** The client's createCluster, found by the symbol's description (kafkajs does not export the symbol). */
function createClusterOf(client: object): CreateCluster | undefined {
  const key = Object.getOwnPropertySymbols(client).find((s) => s.description === CREATE_CLUSTER);
  const create = key === undefined ? undefined : (client as Record<symbol, unknown>)[key];
  return typeof create === 'function' ? (create as CreateCluster) : undefined;
}

/**
 * Runs fn with the group's coordinator, on a cluster connection of its own made with the client's
 * settings, closed afterwards. For the requests a group's coordinator takes from outside the group
 * (LeaveGroup on a member's behalf, a commit while the group is empty), which kafkajs' public API
 * does not send.
 */
export async function withGroupCoordinator<T>(
  kafka: Kafka,
  groupId: string,
  fn: (coordinator: GroupCoordinator) => Promise<T>,
): Promise<T> {
  const create = createClusterOf(kafka);
  // (a client checkKafkajsInternals has vouched for has it; one made some other way may not)
  if (create === undefined) throw fenceError(installedVersion(), [`no Kafka[Symbol(${CREATE_CLUSTER})]`]);
  const cluster = create({ allowAutoTopicCreation: false });
  await cluster.connect();
  try {
    return await fn(await cluster.findGroupCoordinator({ groupId }));
  } finally {
    await cluster.disconnect().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------
// The self-check
// ---------------------------------------------------------------------------------------------------

/** What the self-check looks at: the installed kafkajs, or a stand-in in tests. */
export interface InstalledKafkajs {
  /** the version in its package.json */
  version: string;
  /** a client made with `new Kafka(...)`, never connected */
  client: object;
  /** the prototype of its Broker class, whose instances findGroupCoordinator returns */
  brokerPrototype: object;
}

/** One internal: what is missing of it in `k`, if anything (no I/O). */
type Internal = (k: InstalledKafkajs) => string[];

const missingMethods = (what: string, o: object | undefined, names: readonly string[]): string[] =>
  names
    .filter((m) => typeof (o as Record<string, unknown> | undefined)?.[m] !== 'function')
    .map((m) => `${what} has no ${m}()`);

/** Every internal used above, each checked as it is used. */
const INTERNALS: Internal[] = [
  // the client's cluster connection, and what withGroupCoordinator calls on it
  (k) => {
    const create = createClusterOf(k.client);
    if (create === undefined) return [`no Kafka[Symbol(${CREATE_CLUSTER})]`];
    let cluster: object;
    try {
      // builds the Cluster and its broker pool; nothing connects before connect()
      cluster = create({ allowAutoTopicCreation: false });
    } catch (err) {
      return [`Kafka[Symbol(${CREATE_CLUSTER})] failed: ${err instanceof Error ? err.message : String(err)}`];
    }
    return missingMethods('its cluster', cluster, CLUSTER_METHODS);
  },
  // the coordinator's requests (a Broker is met only once connected: its class is checked instead)
  (k) => missingMethods('its Broker', k.brokerPrototype, COORDINATOR_METHODS),
];

/** The one-line error of a kafkajs that is not what the fence expects. */
function fenceError(version: string, problems: string[]): UserError {
  const what =
    version === KAFKAJS_VERSION
      ? `kafkajs ${version} is installed but not as loginsync expects it (${problems.join('; ')})`
      : `kafkajs ${version} is installed; loginsync uses internals of ${KAFKAJS_VERSION} only`;
  return new UserError(`${what} (${HERE}): npm ci`);
}

/**
 * Throws a one-line UserError unless `k` is the kafkajs the fence was written against: its version,
 * then each internal. Pure; checkKafkajsInternals gives it the installed kafkajs.
 */
export function verifyKafkajsInternals(k: InstalledKafkajs): void {
  // another version is refused whatever its shape: only this one's behaviour was read and tested
  if (k.version !== KAFKAJS_VERSION) throw fenceError(k.version, []);
  const problems = INTERNALS.flatMap((check) => check(k));
  if (problems.length > 0) throw fenceError(k.version, problems);
}

const requireHere = createRequire(import.meta.url);

function installedVersion(): string {
  try {
    return String((requireHere('kafkajs/package.json') as { version?: unknown }).version);
  } catch {
    return 'unknown';
  }
}

/** The installed kafkajs, as the self-check looks at it: nothing connects. */
export function installedKafkajs(): InstalledKafkajs {
  let brokerPrototype: object = {};
  try {
    // the Broker class is not exported; its file is read only to check its methods
    brokerPrototype = (requireHere('kafkajs/src/broker/index.js') as { prototype?: object }).prototype ?? {};
  } catch {
    // moved or gone: reported as its missing methods
  }
  return {
    version: installedVersion(),
    client: new kafkajs.Kafka({ brokers: ['127.0.0.1:9092'], logLevel: kafkajs.logLevel.NOTHING }),
    brokerPrototype,
  };
}

let verified = false;

/** The self-check, once per process (where the Kafka client is made): see verifyKafkajsInternals. */
export function checkKafkajsInternals(): void {
  if (verified) return;
  verifyKafkajsInternals(installedKafkajs());
  verified = true;
}
