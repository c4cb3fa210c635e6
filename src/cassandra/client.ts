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
}

export function createCassandra(opts: CassandraOptions): CassandraClient {
  return new cassandra.Client({
    contactPoints: opts.contactPoints,
    localDataCenter: opts.localDc,
    ...(opts.keyspace ? { keyspace: opts.keyspace } : {}),
    socketOptions: { connectTimeout: opts.connectTimeoutMs ?? 5000, readTimeout: 30000 },
    queryOptions: { prepare: true, ...(opts.consistency !== undefined ? { consistency: opts.consistency } : {}) },
    ...(opts.sslOptions ? { sslOptions: opts.sslOptions } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    pooling: { warmup: false },
    // after an outage, look for the node again every few seconds (the driver's default backs off to 10 min)
    policies: { reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(500, 5_000, false) },
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
