import { readFileSync } from 'node:fs';
import { createSecureContext, type ConnectionOptions } from 'node:tls';
import type { Admin, Kafka } from 'kafkajs';
import { connectCassandra, type CassandraClient } from '../cassandra/client.js';
import { consistencyCode } from '../cassandra/lastlogin.js';
import { UserError } from '../errors.js';
import { connectAdmin, createKafka } from '../kafka/client.js';
import type { ConnectionSettings } from './table.js';

function pem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UserError(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * Loads the client certificate and key as TLS will, so that a file of the wrong kind, or a key that is
 * not the certificate's, is named before any connection is tried (not as a failed handshake later).
 */
export function checkClientPair(
  side: 'kafka' | 'cassandra',
  files: { cert?: string | undefined; key?: string | undefined },
  pems: { cert?: Buffer; key?: Buffer },
): void {
  const attempt = (opts: { cert?: Buffer; key?: Buffer }, what: string, hint: string) => {
    try {
      createSecureContext(opts);
    } catch (err) {
      throw new UserError(`${what}: ${(err as Error).message.replace(/^error:[0-9A-F]+:/, '')}`, { hint });
    }
  };
  if (pems.cert)
    attempt(
      { cert: pems.cert },
      `--${side}-cert ${files.cert} is not a PEM certificate`,
      'give the certificate in PEM form (-----BEGIN CERTIFICATE-----)',
    );
  if (pems.key)
    attempt(
      { key: pems.key },
      `--${side}-key ${files.key} is not a PEM private key`,
      'give the private key in PEM form, unencrypted (-----BEGIN PRIVATE KEY-----)',
    );
  if (pems.cert && pems.key)
    attempt(
      pems,
      `--${side}-key ${files.key} is not the key of --${side}-cert ${files.cert}`,
      'give the key the certificate was made for',
    );
}

/** TLS options from the settings of one side; undefined when that side is plain TCP. */
function tlsOptions(
  on: boolean,
  ca: string | undefined,
  cert: string | undefined,
  key: string | undefined,
  side: 'kafka' | 'cassandra',
  skipVerify = false,
): ConnectionOptions | undefined {
  if (!on) return undefined;
  const pems = {
    ...(cert ? { cert: pem(cert, `--${side}-cert`) } : {}),
    ...(key ? { key: pem(key, `--${side}-key`) } : {}),
  };
  checkClientPair(side, { cert, key }, pems);
  return {
    ...(ca ? { ca: pem(ca, `--${side}-ca`) } : {}),
    ...pems,
    rejectUnauthorized: !skipVerify,
  };
}

/** The client options the settings ask for (TLS, SASL, credentials). */
export function kafkaSecurity(s: ConnectionSettings): {
  ssl?: ConnectionOptions;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
} {
  const ssl = tlsOptions(s.kafkaTls, s.kafkaCa, s.kafkaCert, s.kafkaKey, 'kafka', s.kafkaInsecureSkipVerify);
  return {
    ...(ssl ? { ssl } : {}),
    ...(s.saslMechanism && s.saslUsername && s.saslPassword !== undefined
      ? { sasl: { mechanism: s.saslMechanism, username: s.saslUsername, password: s.saslPassword } }
      : {}),
  };
}

export function cassandraSecurity(s: ConnectionSettings): {
  sslOptions?: ConnectionOptions;
  credentials?: { username: string; password: string };
} {
  const tls = tlsOptions(s.cassandraTls, s.cassandraCa, s.cassandraCert, s.cassandraKey, 'cassandra');
  // the driver connects to each node by its address, found in the cluster's own tables: the chain is
  // checked, the host name is not (as the Java driver and cqlsh do by default)
  const sslOptions = tls ? { ...tls, checkServerIdentity: () => undefined } : undefined;
  return {
    ...(sslOptions ? { sslOptions } : {}),
    ...(s.cassandraUsername && s.cassandraPassword !== undefined
      ? { credentials: { username: s.cassandraUsername, password: s.cassandraPassword } }
      : {}),
  };
}

export function openCassandra(s: ConnectionSettings): Promise<CassandraClient> {
  // reads (show, the schema checks) at the read consistency; writes set theirs explicitly
  return connectCassandra({
    contactPoints: s.cassandra,
    localDc: s.localDc,
    consistency: consistencyCode(s.readConsistency),
    ...cassandraSecurity(s),
  });
}

export function kafkaFor(s: ConnectionSettings, clientId?: string): Kafka {
  return createKafka({
    brokers: s.brokers,
    verbose: s.verbose,
    retries: 2,
    ...(clientId ? { clientId } : {}),
    ...kafkaSecurity(s),
  });
}

export function openKafkaAdmin(s: ConnectionSettings): Promise<Admin> {
  return connectAdmin(kafkaFor(s), s.brokers);
}

/** An admin client, and the client it came from (for requests the admin API does not offer). */
export async function openKafkaClients(s: ConnectionSettings): Promise<{ kafka: Kafka; admin: Admin }> {
  const kafka = kafkaFor(s);
  return { kafka, admin: await connectAdmin(kafka, s.brokers) };
}
