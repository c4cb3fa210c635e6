import type { Admin, Kafka } from 'kafkajs';
import { connectCassandra, type CassandraClient } from '../cassandra/client.js';
import { connectAdmin, createKafka } from '../kafka/client.js';
import type { ConnectionSettings } from './settings.js';

export function verbose(): boolean {
  return process.argv.includes('--verbose') || process.env.LOGINSYNC_VERBOSE === '1';
}

export function openCassandra(s: ConnectionSettings): Promise<CassandraClient> {
  return connectCassandra({ contactPoints: s.cassandra, localDc: s.localDc });
}

export function kafkaFor(s: ConnectionSettings, clientId?: string): Kafka {
  return createKafka({ brokers: s.brokers, verbose: verbose(), retries: 2, ...(clientId ? { clientId } : {}) });
}

export function openKafkaAdmin(s: ConnectionSettings): Promise<Admin> {
  return connectAdmin(kafkaFor(s), s.brokers);
}
