import { anyError } from '../errors.js';

/**
 * Errors that waiting can cure: a server unreachable, overloaded or timing out, a Kafka error Kafka
 * itself calls retriable, a consumer rejoining its group. Anything else is a fault to report.
 */
export function isRetriable(err: unknown): boolean {
  return anyError(err, (x) => {
    if (x.retriable === true) return true;
    const name = x.name ?? '';
    if (['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError', 'KafkaJSConnectionError',
      'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSNumberOfRetriesExceeded', 'NotInGroupError'].includes(name)) return true;
    // Cassandra: unavailable, overloaded, bootstrapping, write and read timeouts, truncate error
    if (name === 'ResponseError' && typeof x.code === 'number' && [0x1000, 0x1001, 0x1002, 0x1003, 0x1100, 0x1200].includes(x.code)) return true;
    return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up/.test(x.message ?? '');
  });
}
