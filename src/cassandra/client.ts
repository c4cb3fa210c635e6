import cassandra from 'cassandra-driver';
import { closedByServer, securityProblem } from '../config/problems.js';
import { UserError, errorMessage } from '../errors.js';

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
  if (/unconfigured table|Keyspace .* does not exist/i.test(errorMessage(err))) {
    return new UserError(`table ${keyspace}.${table} does not exist`, { hint: 'create it with "loginsync init"' });
  }
  return undefined;
}

export function cassandraError(err: unknown, contactPoints: string[], doing: string): Error {
  if (err instanceof UserError) return err;
  const security = securityProblem('cassandra', err, contactPoints.join(','), doing);
  if (security) return security;
  const name = (err as Error)?.name ?? '';
  if (name === 'NoHostAvailableError' || /ECONNREFUSED|All host\(s\) tried/.test(errorMessage(err))) {
    return new UserError(`cannot reach Cassandra at ${contactPoints.join(',')} (${doing})`, {
      hint: closedByServer(err)
        ? 'Cassandra closed the connection: if it requires TLS from clients, add --cassandra-tls (and --cassandra-ca)'
        : 'start the local stack with "loginsync stack up", or point --cassandra (LOGINSYNC_CASSANDRA) at your cluster',
      cause: err,
    });
  }
  return new UserError(`Cassandra: ${doing} failed: ${errorMessage(err)}`, { cause: err });
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
