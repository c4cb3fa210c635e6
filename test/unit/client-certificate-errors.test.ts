import { describe, expect, it } from 'vitest';
import { securityProblem } from '../../src/errors-text.js';

/** errors shaped as the clients throw them */
const named = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name }, extra);
// kafkajs 2.2 chains through cause: retries exceeded -> connection error -> the socket's error
const kafkajs = (inner: Error) =>
  named('KafkaJSNumberOfRetriesExceeded', `Connection error: ${inner.message}`, {
    cause: named('KafkaJSConnectionError', `Connection error: ${inner.message}`, { cause: inner }),
  });
const driver = (inner: Error) =>
  named('NoHostAvailableError', 'All host(s) tried for query failed.', { innerErrors: { '127.0.0.1:9042': inner } });

describe('client certificate failures (mutual TLS)', () => {
  // as Node reports the alerts Kafka 4.1 and Cassandra 5.0 send
  const alert = (text: string, n: number, code: string) =>
    Object.assign(
      new Error(
        `800C030B3F7F0000:error:0A000416:SSL routines:ssl3_read_bytes:${text}:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number ${n}`,
      ),
      { code },
    );
  const required = alert('tlsv13 alert certificate required', 116, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  const bad = alert('sslv3 alert bad certificate', 42, 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE');
  const unknown = alert('sslv3 alert certificate unknown', 46, 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN');
  const internal = alert('tlsv1 alert internal error', 80, 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR');

  it('a server that wants a certificate and got none says which flags to give', () => {
    const c = securityProblem('cassandra', driver(required), 'c:9042', 'connecting');
    expect(c?.message).toBe('Cassandra at c:9042 requires a client certificate (connecting)');
    expect(c?.hint).toMatch(/--cassandra-cert FILE and --cassandra-key FILE/);
  });

  it('a certificate the server refused is not mistaken for one loginsync refused, nor for an unreachable server', () => {
    for (const e of [bad, unknown]) {
      const p = securityProblem('kafka', kafkajs(e), 'b:9093', 'producing');
      expect(p?.message).toMatch(
        /^Kafka at b:9093 refused the TLS handshake, it checks client certificates \(producing\): sslv3 alert (bad certificate|certificate unknown)$/,
      );
      expect(p?.hint).toMatch(/give --kafka-cert FILE and --kafka-key FILE/);
    }
    const broke = securityProblem('cassandra', driver(internal), 'c:9042', 'connecting');
    expect(broke?.message).toMatch(
      /^Cassandra at c:9042 broke off the TLS handshake \(connecting\): tlsv1 alert internal error$/,
    );
    expect(broke?.hint).toMatch(/give --cassandra-cert and --cassandra-key, signed by a CA the server trusts/);
    const ours = securityProblem(
      'cassandra',
      driver(
        Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      ),
      'c:9042',
      'connecting',
    );
    expect(ours?.message).toMatch(/TLS certificate at c:9042 is not trusted/);
    expect(
      securityProblem(
        'kafka',
        kafkajs(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' })),
        'b:9093',
        'producing',
      ),
    ).toBeUndefined();
  });
});
