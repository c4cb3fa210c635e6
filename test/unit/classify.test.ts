import { describe, expect, it } from 'vitest';
import {
  classify,
  describeFailure,
  isKafkaUnreachable,
  isMissingTable,
  isMissingTopic,
  isRetriable,
  isRetriableKafka,
  isRetriableKafkaRequest,
  isTopicNotReady,
  serverOf,
  type ErrorKind,
} from '../../src/errors.js';
import { oneLineError } from '../../src/errors-text.js';

/** errors shaped as the clients throw them */
const named = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name }, extra);
const sys = (message: string, code: string) => Object.assign(new Error(message), { code });
// kafkajs 2.2: retries exceeded -> connection error -> the socket's error, through cause; older ones through originalError
const kafkajs = (inner: Error) =>
  named('KafkaJSNumberOfRetriesExceeded', `Connection error: ${inner.message}`, {
    retriable: false,
    cause: named('KafkaJSConnectionError', `Connection error: ${inner.message}`, { retriable: true, cause: inner }),
  });
const kafkajsOld = (inner: Error) => named('KafkaJSNonRetriableError', inner.message, { originalError: inner });
// the driver: NoHostAvailableError with one inner error per host
const driver = (inner: Error) =>
  named(
    'NoHostAvailableError',
    `All host(s) tried for query failed. First host tried, 127.0.0.1:9042: ${inner.name}: ${inner.message}`,
    { innerErrors: { '127.0.0.1:9042': inner } },
  );
const openssl = (reason: string, n: number) =>
  new Error(
    `800C030B3F7F0000:error:0A000416:SSL routines:ssl3_read_bytes:${reason}:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number ${n}`,
  );
const response = (code: number, message: string) => named('ResponseError', message, { code });

describe('classify: the kind of failure', () => {
  const cases: Array<[string, unknown, ErrorKind, string | undefined]> = [
    [
      'Kafka refused the password',
      named(
        'KafkaJSSASLAuthenticationError',
        'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
      ),
      'credentials',
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    ],
    [
      'Cassandra refused the password',
      driver(named('AuthenticationError', 'Provided username loginsync and/or password are incorrect')),
      'credentials',
      'Provided username loginsync and/or password are incorrect',
    ],
    [
      'Cassandra wants a user',
      driver(
        named(
          'AuthenticationError',
          'Host 127.0.0.1:9042 requires authentication, but no authenticator found in the options',
        ),
      ),
      'auth-mechanism',
      'Host 127.0.0.1:9042 requires authentication, but no authenticator found in the options',
    ],
    [
      'Kafka offers no such mechanism',
      kafkajsOld(named('KafkaJSProtocolError', 'Unsupported SASL mechanism: UnsupportedSaslMechanism')),
      'auth-mechanism',
      'Unsupported SASL mechanism: UnsupportedSaslMechanism',
    ],
    [
      'no client certificate (TLS 1.3)',
      driver(openssl('tlsv13 alert certificate required', 116)),
      'client-cert-required',
      'tlsv13 alert certificate required',
    ],
    [
      'Kafka refused the client certificate',
      kafkajs(openssl('sslv3 alert bad certificate', 42)),
      'client-cert-refused',
      'sslv3 alert bad certificate',
    ],
    [
      'Cassandra broke off the handshake',
      driver(openssl('tlsv1 alert internal error', 80)),
      'client-cert-broken-off',
      'tlsv1 alert internal error',
    ],
    [
      'untrusted server certificate',
      kafkajs(sys('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN')),
      'untrusted-server-cert',
      'self-signed certificate in certificate chain',
    ],
    [
      'no issuer',
      driver(sys('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')),
      'untrusted-server-cert',
      'unable to verify the first certificate',
    ],
    [
      'expired server certificate',
      kafkajs(sys('certificate has expired', 'CERT_HAS_EXPIRED')),
      'expired-server-cert',
      'certificate has expired',
    ],
    [
      'another host name',
      kafkajs(
        sys(
          "Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: IP Address:127.0.0.1",
          'ERR_TLS_CERT_ALTNAME_INVALID',
        ),
      ),
      'host-name',
      "Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: IP Address:127.0.0.1",
    ],
    [
      'TLS to a plain port',
      driver(
        sys(
          'C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:354',
          'ERR_SSL_WRONG_VERSION_NUMBER',
        ),
      ),
      'not-tls',
      'wrong version number',
    ],
    [
      'a TLS port that hangs up',
      kafkajs(sys('Client network socket disconnected before secure TLS connection was established', 'ECONNRESET')),
      'not-tls',
      'Client network socket disconnected before secure TLS connection was established',
    ],
    ['nothing listening', kafkajs(sys('connect ECONNREFUSED 127.0.0.1:9092', 'ECONNREFUSED')), 'connection', undefined],
    ['Cassandra down', driver(sys('connect ECONNREFUSED 127.0.0.1:9042', 'ECONNREFUSED')), 'connection', undefined],
    [
      'plain text to a TLS port',
      named('KafkaJSNumberOfRetriesExceeded', 'Closed connection', {
        cause: named('KafkaJSConnectionClosedError', 'Closed connection'),
      }),
      'closed-by-server',
      undefined,
    ],
    ['a reset, behind the driver', driver(sys('read ECONNRESET', 'ECONNRESET')), 'closed-by-server', undefined],
    [
      'a Kafka request timed out',
      named('KafkaJSRequestTimeoutError', 'Request Metadata(key: 3, version: 6) timed out'),
      'timeout',
      undefined,
    ],
    [
      'a Cassandra write timed out',
      response(0x1100, 'Operation timed out - received only 0 responses.'),
      'timeout',
      undefined,
    ],
    [
      'a Cassandra permission missing',
      response(0x2100, 'User limited has no MODIFY permission on <table ks.users> or any of its parents'),
      'not-authorized',
      'User limited has no MODIFY permission on <table ks.users> or any of its parents',
    ],
    [
      'a Kafka ACL missing',
      named('KafkaJSProtocolError', 'Not authorized to access topics: [Topic authorization failed]', {
        type: 'TOPIC_AUTHORIZATION_FAILED',
        retriable: false,
      }),
      'not-authorized',
      'Not authorized to access topics: [Topic authorization failed]',
    ],
    ['a syntax error', response(0x2000, 'line 1:7 no viable alternative'), 'other', undefined],
    ['not an error at all', 'some string', 'other', undefined],
  ];
  for (const [what, err, kind, detail] of cases) {
    it(what, () => {
      const c = classify(err);
      expect(c.kind).toBe(kind);
      expect(c.detail).toBe(detail);
    });
  }

  it('the innermost message of a kind is the detail, and the kinds are looked for in order', () => {
    const outer = named('KafkaJSConnectionError', 'Connection error: self-signed certificate', {
      cause: sys('self signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'),
    });
    expect(classify(outer).detail).toBe('self signed certificate in certificate chain');
    // credentials come before TLS
    expect(classify(named('Error', 'bad credentials', { cause: sys('self-signed certificate', 'X') })).kind).toBe(
      'credentials',
    );
  });
});

describe('classify: which server, and whether waiting may cure it', () => {
  it('names the server through wrapped errors: cause, originalError, innerErrors, aggregate errors', () => {
    expect(classify(driver(new Error('x'))).server).toBe('Cassandra');
    expect(serverOf(named('Error', 'wrapped', { cause: named('OperationTimedOutError', 'timeout') }))).toBe(
      'Cassandra',
    );
    expect(serverOf(named('Error', 'wrapped', { originalError: named('KafkaJSProtocolError', 'x') }))).toBe('Kafka');
    expect(serverOf(named('Error', 'wrapped', { innerErrors: { a: named('ResponseError', 'x') } }))).toBe('Cassandra');
    expect(
      serverOf(named('AggregateError', 'many', { errors: [new Error('a'), named('KafkaJSBrokerNotFound', 'b')] })),
    ).toBe('Kafka');
    expect(serverOf(named('NotInGroupError', 'rejoining'))).toBe('Kafka');
    expect(classify(new Error('plain')).server).toBeUndefined();
  });

  it("retriable: unreachable, busy or slow servers, Kafka's own retriable errors, a rejoin; not a fault", () => {
    const yes = [
      driver(sys('connect ECONNREFUSED 127.0.0.1:9042', 'ECONNREFUSED')),
      named('OperationTimedOutError', 'x'),
      named('BusyConnectionError', 'x'),
      kafkajs(sys('connect ECONNREFUSED 127.0.0.1:9092', 'ECONNREFUSED')),
      named('KafkaJSRequestTimeoutError', 'x'),
      named('NotInGroupError', 'x'),
      named('KafkaJSProtocolError', 'The coordinator is loading', { retriable: true }),
      response(0x1000, 'Cannot achieve consistency level'),
      response(0x1200, 'read timeout'),
      named('Error', 'wrapped', { cause: new Error('write EPIPE') }),
      new Error('socket hang up'),
      // a node killed while it had requests in flight: the driver fails them, and retries none that are not idempotent
      named('DriverError', 'Socket was closed', { isSocketError: true }),
    ];
    for (const e of yes) expect(classify(e).retriable, errorText(e)).toBe(true);
    const no = [
      response(0x2000, 'syntax'),
      response(0x2100, 'unauthorized'),
      named('KafkaJSProtocolError', 'Topic authorization failed', { retriable: false }),
      new Error('plain'),
      undefined,
    ];
    for (const e of no) expect(isRetriable(e), errorText(e)).toBe(false);
  });

  it('isRetriableKafka: only what Kafka calls retriable, for the side topics', () => {
    expect(isRetriableKafka(named('Error', 'x', { cause: named('KafkaJSConnectionError', 'x') }))).toBe(true);
    expect(isRetriableKafka(named('KafkaJSProtocolError', 'x', { retriable: true }))).toBe(true);
    expect(isRetriableKafka(named('KafkaJSNumberOfRetriesExceeded', 'x'))).toBe(true);
    expect(isRetriableKafka(named('KafkaJSConnectionClosedError', 'x'))).toBe(false);
    expect(isRetriableKafka(new Error('ECONNREFUSED'))).toBe(false);
  });

  it('isKafkaUnreachable: the consumer crashes kafkajs calls final that are brokers not answering', () => {
    expect(
      isKafkaUnreachable(
        named('KafkaJSGroupCoordinatorNotFound', 'Failed to find group coordinator', { retriable: false }),
      ),
    ).toBe(true);
    expect(isKafkaUnreachable(named('KafkaJSBrokerNotFound', 'No brokers in the broker pool'))).toBe(true);
    expect(isKafkaUnreachable(kafkajs(sys('connect ECONNREFUSED 127.0.0.1:9092', 'ECONNREFUSED')))).toBe(true);
    expect(
      isKafkaUnreachable(
        named('KafkaJSProtocolError', 'Not authorized to access group: Group authorization failed', {
          retriable: false,
        }),
      ),
    ).toBe(false);
    expect(
      isKafkaUnreachable(named('KafkaJSNonRetriableError', 'Cannot subscribe to topic while consumer is running')),
    ).toBe(false);
  });

  it('isRetriableKafkaRequest: a coordinator or leader moving, not a connection failure (kafkajs retried that)', () => {
    expect(
      isRetriableKafkaRequest(
        named('KafkaJSProtocolError', "The coordinator is loading and hence can't process requests"),
      ),
    ).toBe(true);
    expect(isRetriableKafkaRequest(named('KafkaJSProtocolError', 'There is no leader for this topic-partition'))).toBe(
      true,
    );
    expect(isRetriableKafkaRequest(named('KafkaJSProtocolError', 'x', { retriable: true }))).toBe(true);
    expect(isRetriableKafkaRequest(kafkajs(sys('connect ECONNREFUSED 127.0.0.1:9092', 'ECONNREFUSED')))).toBe(false);
    expect(isRetriableKafkaRequest(named('KafkaJSProtocolError', 'Not authorized'))).toBe(false);
  });
});

describe('the one-line errors', () => {
  it('an unreachable server: which, where, doing what, and how to start one', () => {
    const k = oneLineError(
      'kafka',
      kafkajs(sys('connect ECONNREFUSED 127.0.0.1:9092', 'ECONNREFUSED')),
      'b:9092',
      'connecting',
    );
    expect(k.message).toBe('cannot reach Kafka at b:9092 (connecting)');
    expect((k as { hint?: string }).hint).toMatch(/loginsync stack up.*--brokers/);
    const c = oneLineError('cassandra', driver(sys('read ECONNRESET', 'ECONNRESET')), 'c:9042', 'reading');
    expect(c.message).toBe('cannot reach Cassandra at c:9042 (reading)');
    expect((c as { hint?: string }).hint).toMatch(
      /Cassandra closed the connection: if it requires TLS from clients, add --cassandra-tls/,
    );
  });

  it("anything else: the client's message, and a UserError as it is", () => {
    expect(oneLineError('cassandra', response(0x2200, 'Invalid query'), 'c:9042', 'writing ks.users').message).toBe(
      'Cassandra: writing ks.users failed: Invalid query',
    );
    const ours = oneLineError('kafka', new Error('x'), 'b', 'y');
    expect(oneLineError('kafka', ours, 'b', 'z')).toBe(ours);
  });
});

describe('missing things', () => {
  it('a missing table, a missing topic, a topic not yet known to the broker', () => {
    expect(isMissingTable(response(0x2200, 'unconfigured table users'))).toBe(true);
    expect(isMissingTable(response(0x2200, 'Keyspace ks does not exist'))).toBe(true);
    expect(isMissingTopic(named('KafkaJSProtocolError', 'This server does not host this topic-partition'))).toBe(true);
    expect(
      isTopicNotReady(
        named('KafkaJSNumberOfRetriesExceeded', 'x', {
          cause: named('KafkaJSProtocolError', 'y', { type: 'LEADER_NOT_AVAILABLE' }),
        }),
      ),
    ).toBe(true);
    expect(isTopicNotReady(named('KafkaJSProtocolError', 'y', { type: 'TOPIC_AUTHORIZATION_FAILED' }))).toBe(false);
  });
});

describe('describeFailure', () => {
  const s = { brokers: ['b:9092'], cassandra: ['c:9042'] };
  it('names the server and its address', () => {
    expect(describeFailure(driver(new Error('refused')), s)).toMatch(/^Cassandra at c:9042 is unreachable \(All host/);
    expect(describeFailure(named('OperationTimedOutError', 'slow'), s)).toBe(
      'Cassandra at c:9042 is unreachable (slow)',
    );
    expect(describeFailure(response(0x1100, 'write timeout'), s)).toBe('Cassandra at c:9042: write timeout');
    expect(describeFailure(named('Error', 'wrapped', { cause: named('KafkaJSConnectionError', 'x') }), s)).toBe(
      'Kafka at b:9092: wrapped',
    );
    expect(describeFailure(new Error('plain'), s)).toBe('plain');
  });
});

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
