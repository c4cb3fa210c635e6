import kafkajs from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import type { Admin, Kafka, KafkaConfig, SASLOptions } from 'kafkajs';
import { isRetriableKafkaRequest } from '../errors.js';
import { oneLineError } from '../errors-text.js';
import { backoff, retry } from '../util/retry.js';
import { checkKafkajsInternals } from './kafkajs-internals.js';
import { socketFactory } from './socket.js';

const { Kafka: KafkaClass, logLevel } = kafkajs;

export interface KafkaOptions {
  brokers: string[];
  clientId?: string;
  /** How many times a failed request is retried before giving up (kafkajs default is 5). */
  retries?: number;
  verbose?: boolean;
  /** TLS: true for the system's CAs, or options (ca, cert, key, rejectUnauthorized) */
  ssl?: boolean | ConnectionOptions;
  sasl?: SASLOptions;
}

/**
 * Where loginsync makes its Kafka clients (the only place in src/). The first call checks that the
 * installed kafkajs has the internals loginsync uses (kafkajs-internals.ts): a different one fails
 * here, in one line, not mid-run.
 */
export function createKafka(opts: KafkaOptions): Kafka {
  checkKafkajsInternals();
  const config: KafkaConfig = {
    clientId: opts.clientId ?? 'loginsync',
    brokers: opts.brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { retries: opts.retries ?? 5, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: opts.verbose ? logLevel.INFO : logLevel.NOTHING,
    socketFactory,
    ...(opts.ssl ? { ssl: opts.ssl } : {}),
    ...(opts.sasl ? { sasl: opts.sasl } : {}),
  };
  return new KafkaClass(config);
}

/** Turns a kafkajs failure into a one-line error for the terminal. */
export function kafkaError(err: unknown, brokers: string[], doing: string): Error {
  return oneLineError('kafka', err, brokers.join(','), doing);
}

/** Connects an admin client, or throws a one-line error naming the brokers. */
export async function connectAdmin(kafka: Kafka, brokers: string[]): Promise<Admin> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    await admin.disconnect().catch(() => {});
    throw kafkaError(err, brokers, 'connecting');
  }
  return admin;
}

/**
 * Retries a Kafka call while it fails with an error Kafka calls retriable (a coordinator still loading
 * on a fresh broker, a leader election), for up to `forMs`; other errors are thrown at once.
 */
export function retryRetriable<T>(fn: () => Promise<T>, forMs = 30_000): Promise<T> {
  return retry(fn, { retriable: isRetriableKafkaRequest, delayMs: backoff(100, 2000), deadlineMs: forMs });
}
