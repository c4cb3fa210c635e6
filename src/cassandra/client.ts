import cassandra from 'cassandra-driver';
import { UserError, isMissingTable } from '../errors.js';
import { oneLineError } from '../errors-text.js';

export type CassandraClient = cassandra.Client;
export const { types } = cassandra;

export interface CassandraOptions {
  contactPoints: string[];
  localDc: string;
  keyspace?: string;
  /** ms allowed for the first connection */
  connectTimeoutMs?: number;
  /** TLS options (ca, cert, key, rejectUnauthorized); absent: plain TCP */
  sslOptions?: import('node:tls').ConnectionOptions;
  credentials?: { username: string; password: string };
  /** default consistency of queries that set none (driver code) */
  consistency?: number;
  /** talk to the contact points only, never to the other nodes the cluster names (a check of one node) */
  onlyContactPoints?: boolean;
}

/**
 * The port the contact points share, if they all name the same one. The driver reaches the nodes it
 * discovers (system.peers) on one port for all, 9042 unless told: a cluster on another port needs it.
 */
export function sharedPort(contactPoints: string[]): number | undefined {
  const ports = new Set(contactPoints.map((p) => /:(\d+)$/.exec(p)?.[1]));
  const [port] = ports;
  return ports.size === 1 && port !== undefined ? Number(port) : undefined;
}

export function createCassandra(opts: CassandraOptions): CassandraClient {
  const port = sharedPort(opts.contactPoints);
  return new cassandra.Client({
    contactPoints: opts.contactPoints,
    ...(port !== undefined ? { protocolOptions: { port } } : {}),
    localDataCenter: opts.localDc,
    ...(opts.keyspace ? { keyspace: opts.keyspace } : {}),
    // Cassandra answers a request within seconds, with an error if need be (5.0: at most 12 s in its
    // queue, native_transport_timeout, then its read, range or write timeout, 10 s at most); schema
    // changes set a longer timeout of their own. A connection whose answers stop (seen after a node was
    // paused for 20 s: what was sent once it resumed went unanswered) is dropped for a new one once more
    // than 8 of its requests are overdue, instead of the driver's 64, which at a batch's 16 requests in
    // flight and 30 s each took minutes.
    socketOptions: {
      connectTimeout: opts.connectTimeoutMs ?? 5000,
      readTimeout: 20_000,
      defunctReadTimeoutThreshold: 8,
    },
    queryOptions: { prepare: true, ...(opts.consistency !== undefined ? { consistency: opts.consistency } : {}) },
    ...(opts.sslOptions ? { sslOptions: opts.sslOptions } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    // open a connection to every node before the first query: with several nodes, a statement
    // prepared on a node whose pool is still opening in the background fails ("No connection available")
    pooling: { warmup: true },
    // after an outage, look for the node again every few seconds (the driver's default backs off to 10 min)
    policies: {
      reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(500, 5_000, false),
      ...(opts.onlyContactPoints
        ? {
            loadBalancing: new cassandra.policies.loadBalancing.AllowListPolicy(
              new cassandra.policies.loadBalancing.DCAwareRoundRobinPolicy(opts.localDc),
              opts.contactPoints,
            ),
          }
        : {}),
    },
  });
}

/** A query failed because the keyspace or table is missing: the error a user can fix with init. */
export function tableMissing(err: unknown, keyspace: string, table: string): UserError | undefined {
  if (isMissingTable(err)) {
    return new UserError(`table ${keyspace}.${table} does not exist`, { hint: 'create it with "loginsync init"' });
  }
  return undefined;
}

/** Turns a Cassandra driver failure into a one-line error for the terminal. */
export function cassandraError(err: unknown, contactPoints: string[], doing: string): Error {
  return oneLineError('cassandra', err, contactPoints.join(','), doing);
}

/** Connects, or throws a one-line error naming the contact points. */
export async function connectCassandra(opts: CassandraOptions): Promise<CassandraClient> {
  const client = createCassandra(opts);
  try {
    await client.connect();
  } catch (err) {
    await client.shutdown().catch(() => {});
    throw cassandraError(err, opts.contactPoints, 'connecting');
  }
  return client;
}
