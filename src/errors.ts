/**
 * What loginsync knows about errors, in one place: the error it shows a user (UserError), how to walk
 * the errors the clients wrap in each other, and one classifier that says of any failure which server
 * it came from, whether waiting may cure it, and what kind of failure it is. The one-line messages
 * made from a classification are in errors-text.ts.
 */

/**
 * An error meant for the person at the terminal: one line saying what went wrong, and (optionally) a
 * hint saying what to do next. The CLI prints these without a stack trace unless --verbose is given.
 */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A usage error: a bad flag or setting value, flags that do not go together. Exit code 2, as commander's own. */
export class UsageError extends UserError {
  constructor(message: string, options: { hint?: string } = {}) {
    super(message, { ...options, exitCode: 2 });
    this.name = 'UsageError';
  }
}

/** An error's message; for aggregate errors (kafkajs' "Topic creation errors"), with their parts. */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const parts = (err as { errors?: unknown }).errors;
  if (Array.isArray(parts) && parts.length > 0) {
    const inner = [...new Set(parts.map((e) => (e instanceof Error ? e.message : String(e))))].join('; ');
    return `${err.message}: ${inner}`;
  }
  return err.message;
}

/**
 * An error and every error it wraps, outermost first: `cause`, kafkajs' `originalError`, the Cassandra
 * driver's `innerErrors` (one per host) and aggregate `errors`. Bounded in depth, cycles skipped.
 */
export function errorsIn(err: unknown, maxDepth = 6): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number) => {
    if (!e || depth > maxDepth || seen.has(e)) return;
    seen.add(e);
    out.push(e);
    const x = e as { cause?: unknown; originalError?: unknown; innerErrors?: unknown; errors?: unknown };
    visit(x.cause, depth + 1);
    visit(x.originalError, depth + 1);
    if (x.innerErrors && typeof x.innerErrors === 'object')
      for (const inner of Object.values(x.innerErrors)) visit(inner, depth + 1);
    if (Array.isArray(x.errors)) for (const inner of x.errors) visit(inner, depth + 1);
  };
  visit(err, 0);
  return out;
}

/** The fields of an error the classifiers look at. */
export interface ErrorFields {
  name?: string;
  message?: string;
  code?: number | string;
  type?: string;
  retriable?: boolean;
  /** the Cassandra driver's mark on a request whose connection closed (a node killed mid-request) */
  isSocketError?: boolean;
}

/** Whether the error, or any error it wraps, matches. */
export function anyError(err: unknown, test: (e: ErrorFields) => boolean): boolean {
  return errorsIn(err).some((e) => typeof e === 'object' && test(e as ErrorFields));
}

/** Every message in an error and what it wraps, as "name: message", outermost first. */
export function chainMessages(err: unknown): string[] {
  return errorsIn(err).map((e) => {
    const x = e as { name?: string; message?: string };
    return `${x.name ?? ''}: ${x.message ?? String(e)}`;
  });
}

/** The reason in an OpenSSL error message ("wrong version number", "tlsv1 alert unknown ca"), else the message. */
export function opensslReason(message: string): string {
  return /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message;
}

/** OpenSSL's "800C...:error:0A000416:SSL routines:ssl3_read_bytes:REASON:file.c:1601:SSL alert number 46". */
const OPENSSL_TEXT = /[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):[^:\s]*:\d+(?::SSL alert number \d+)?/g;

/**
 * The TLS and SASL failures, as the clients (kafkajs, the Cassandra driver, Node's TLS) and the servers
 * word them. The one table: the one-line errors and doctor both take their patterns from here.
 */
export const SECURITY_PATTERNS = {
  /** the server refused the user or password */
  credentials:
    /SASL .*authentication failed|invalid credentials|Provided username .* (and\/or password )?(are|is) incorrect|bad credentials/i,
  /** the server wants another authentication (or none) than the one given */
  'auth-mechanism':
    /requires authentication|Authentication provider not set|Unexpected SASL|SASL.*not enabled|UnsupportedSaslMechanism|Illegal SASL/i,
  /** TLS alert from the server (mutual TLS): it wants a client certificate and got none */
  'client-cert-required': /certificate required|CERTIFICATE_REQUIRED/i,
  /**
   * TLS alert from the server about our certificate: Kafka (Java) answers both no certificate and an untrusted one so
   */
  'client-cert-refused':
    /alert (bad certificate|unknown ca|certificate unknown|certificate expired|certificate revoked|unsupported certificate|access denied)/i,
  /** TLS alert from the server: Cassandra (Netty on OpenSSL) answers an untrusted client certificate so */
  'client-cert-broken-off': /alert internal error/i,
  /** the server's certificate is not signed by a CA we trust (message, or Node's code) */
  'untrusted-server-cert': /self[- ]signed|unable to (get|verify)|certificate chain|UNABLE_TO_VERIFY|SELF_SIGNED/i,
  /** the server's certificate has expired */
  'expired-server-cert': /certificate has expired/i,
  /** the server's certificate is for another host name */
  'host-name': /altnames|ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate/i,
  /** TLS spoken to a port that does not speak it */
  'not-tls': /wrong version number|packet length too long|disconnected before secure TLS connection|EPROTO/i,
  /** the server closed the connection at once: typically plain text sent to a TLS port */
  'closed-by-server': /Closed connection|ECONNRESET|socket hang up|Connection closed/i,
  /** the user is known but may not do this: a Kafka ACL or a Cassandra permission is missing */
  'not-authorized': /not authorized to access|authorization failed|has no \w+ permission on/i,
  /** any other TLS alert about the handshake (doctor only: the clients report it as a connection failure) */
  'handshake-refused': /alert.*handshake/i,
} as const;

/** The TLS and SASL kinds of failure, in the order they are looked for; a group shares one message. */
const SECURITY_ORDER = [
  ['credentials'],
  ['auth-mechanism'],
  ['client-cert-required'],
  ['client-cert-refused'],
  ['client-cert-broken-off'],
  ['untrusted-server-cert', 'expired-server-cert'],
  ['host-name'],
  ['not-tls'],
  ['not-authorized'],
] as const;

export type SecurityKind = (typeof SECURITY_ORDER)[number][number];
export type ErrorKind = SecurityKind | 'connection' | 'closed-by-server' | 'timeout' | 'other';
export type Server = 'Kafka' | 'Cassandra';
/** The two clients, as flags and settings name them (--kafka-ca, --cassandra-ca). */
export type Side = 'kafka' | 'cassandra';

export interface Classification {
  /** the server the error came from, if it is a client's error */
  server: Server | undefined;
  /** whether waiting may cure it (see isRetriable) */
  retriable: boolean;
  /**
   * TLS and SASL kinds first; then `connection` (the server not reached), `closed-by-server` (reached,
   * but it closed the connection at once), `timeout` (it did not answer in time), `other`
   */
  kind: ErrorKind;
  /** for the TLS and SASL kinds: the innermost message that says so, OpenSSL's wording shortened */
  detail?: string;
}

/**
 * The keyspace, the table or a column the run needs went away under it (dropped, retyped): an outage of
 * Cassandra (waited for, --max-outage gives up), named with what makes it again, never "unreachable".
 */
export class SchemaGone extends UserError {
  constructor(message: string, options: { hint: string; cause?: unknown }) {
    super(message, options);
    this.name = 'SchemaGoneError';
  }
}

/**
 * Cassandra refused a statement for want of its schema: a table or keyspace unknown, a column undefined,
 * or a prepared statement the server no longer knows (its table was dropped).
 */
export function isSchemaError(err: unknown): boolean {
  return anyError(
    err,
    (x) =>
      x.name === 'ResponseError' &&
      (x.code === 0x2500 ||
        /unconfigured table|does not exist|Undefined column|Prepared query with ID .* not found/i.test(
          x.message ?? '',
        )),
  );
}

/** Cassandra driver errors, by name. */
const CASSANDRA_ERRORS = [
  'SchemaGoneError',
  'NoHostAvailableError',
  'OperationTimedOutError',
  'BusyConnectionError',
  'ResponseError',
  'DriverError',
];
/**
 * Cassandra answers waiting can cure: unavailable, overloaded, bootstrapping, truncate error, write and read timeouts.
 */
const CASSANDRA_TRANSIENT_CODES = [0x1000, 0x1001, 0x1002, 0x1003, 0x1100, 0x1200];
const CASSANDRA_TIMEOUT_CODES = [0x1100, 0x1200];
const KAFKA_CONNECTION_ERRORS = ['KafkaJSConnectionError', 'KafkaJSConnectionClosedError'];
/** Errors waiting can cure, by name: a server unreachable or busy, a consumer rejoining its group. */
const TRANSIENT_ERRORS = [
  'SchemaGoneError',
  'NoHostAvailableError',
  'OperationTimedOutError',
  'BusyConnectionError',
  ...KAFKA_CONNECTION_ERRORS,
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'NotInGroupError',
];

/** Which server an error came from, following wrapped causes; undefined when it is neither's. */
export function serverOf(err: unknown): Server | undefined {
  for (const e of errorsIn(err)) {
    const name = (e as { name?: string }).name ?? '';
    if (CASSANDRA_ERRORS.includes(name)) return 'Cassandra';
    if (name.startsWith('KafkaJS') || name === 'NotInGroupError') return 'Kafka';
  }
  return undefined;
}

/**
 * Errors that waiting can cure: a server unreachable, overloaded or timing out, a Kafka error Kafka
 * itself calls retriable, a consumer rejoining its group. Anything else is a fault to report.
 */
export function isRetriable(err: unknown): boolean {
  return anyError(err, (x) => {
    if (x.retriable === true || x.isSocketError === true) return true;
    const name = x.name ?? '';
    if (TRANSIENT_ERRORS.includes(name)) return true;
    if (name === 'ResponseError' && typeof x.code === 'number' && CASSANDRA_TRANSIENT_CODES.includes(x.code))
      return true;
    return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up/.test(x.message ?? '');
  });
}

/** Whether Kafka itself calls the error (or the one it wraps) retriable: what a write to a side topic retries. */
export function isRetriableKafka(err: unknown): boolean {
  return anyError(
    err,
    (x) =>
      x.retriable === true ||
      ['KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionError', 'KafkaJSRequestTimeoutError'].includes(x.name ?? ''),
  );
}

/**
 * A consumer crash kafkajs will not restart that waiting can still cure: no broker answered where the
 * group's coordinator is (kafkajs calls that final, and it is what a lone broker down looks like), no
 * broker known, a connection failed.
 */
export function isKafkaUnreachable(err: unknown): boolean {
  return anyError(err, (x) =>
    ['KafkaJSGroupCoordinatorNotFound', 'KafkaJSBrokerNotFound', ...KAFKA_CONNECTION_ERRORS].includes(x.name ?? ''),
  );
}

/**
 * A Kafka request that failed only for now, as kafkajs gives up on it: marked retriable itself, or a
 * coordinator still loading on a fresh broker, a leader election. Not a connection failure: kafkajs has
 * retried that already.
 */
export function isRetriableKafkaRequest(err: unknown): boolean {
  const retriable =
    (err as { retriable?: boolean } | undefined)?.retriable === true ||
    /coordinator is (loading|not available)|not the correct coordinator|leader/i.test(errorMessage(err));
  return retriable && !connectionFailed(err, 'kafka');
}

/**
 * The server was not reached, or the connection failed. kafkajs wraps such failures in connection and
 * retry errors; the driver in a NoHostAvailableError (one inner error per host), on top.
 */
function connectionFailed(err: unknown, client?: Side): boolean {
  const kafka = () =>
    anyError(
      err,
      (x) =>
        KAFKA_CONNECTION_ERRORS.includes(x.name ?? '') ||
        /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Connection (error|timeout)/i.test(x.message ?? ''),
    );
  const cassandra = () =>
    (err as Error | undefined)?.name === 'NoHostAvailableError' ||
    /ECONNREFUSED|All host\(s\) tried/.test(errorMessage(err));
  if (client === 'kafka') return kafka();
  if (client === 'cassandra') return cassandra();
  return kafka() || cassandra();
}

function timedOut(err: unknown): boolean {
  return anyError(
    err,
    (x) =>
      x.name === 'OperationTimedOutError' ||
      x.name === 'KafkaJSRequestTimeoutError' ||
      (x.name === 'ResponseError' && typeof x.code === 'number' && CASSANDRA_TIMEOUT_CODES.includes(x.code)),
  );
}

/** The TLS or SASL failure behind an error: the innermost line of the first kind found. */
function securityKind(err: unknown): { kind: SecurityKind; detail: string } | undefined {
  const lines = chainMessages(err).join('\n').split('\n').reverse();
  for (const group of SECURITY_ORDER) {
    const line = lines.find((l) => group.some((k) => SECURITY_PATTERNS[k].test(l)));
    if (line === undefined) continue;
    const kind = group.find((k) => SECURITY_PATTERNS[k].test(line))!;
    return {
      kind,
      detail: line
        .replace(/^[A-Za-z]*: /, '')
        .replace(OPENSSL_TEXT, '$1')
        .trim(),
    };
  }
  return undefined;
}

/**
 * What an error is: its server, whether waiting may cure it, and its kind. `client`, when known, is the
 * client that threw it: each wraps a connection failure its own way.
 */
export function classify(err: unknown, client?: Side): Classification {
  const server = serverOf(err);
  const retriable = isRetriable(err);
  const security = securityKind(err);
  if (security) return { server, retriable, ...security };
  if (connectionFailed(err, client))
    return { server, retriable, kind: closedByServer(err) ? 'closed-by-server' : 'connection' };
  return { server, retriable, kind: timedOut(err) ? 'timeout' : 'other' };
}

/** A connection the server closed at once: typically plain text sent to a TLS port. */
export function closedByServer(err: unknown): boolean {
  return SECURITY_PATTERNS['closed-by-server'].test(chainMessages(err).join('\n'));
}

/** A Cassandra query failed because the keyspace or table is missing. */
export function isMissingTable(err: unknown): boolean {
  return /unconfigured table|Keyspace .* does not exist/i.test(errorMessage(err));
}

/** A Kafka send failed because the topic is missing. */
export function isMissingTopic(err: unknown): boolean {
  return /does not host this topic-partition|UNKNOWN_TOPIC/i.test(String((err as Error | undefined)?.message));
}

/**
 * The errors a broker gives for a topic it has just created but not yet learned of (kafkajs retries them for a few
 * seconds, then wraps them).
 */
export function isTopicNotReady(err: unknown): boolean {
  return anyError(err, (e) => e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || e.type === 'LEADER_NOT_AVAILABLE');
}

/** Names the server behind a failure mid-run, so an outage reads as one. */
export function describeFailure(err: unknown, s: { brokers: string[]; cassandra: string[] }): string {
  const server = serverOf(err);
  const name = (err as Error)?.name ?? '';
  if (err instanceof SchemaGone) return `Cassandra at ${s.cassandra.join(',')}: ${err.message} (${err.hint})`;
  if (server === 'Cassandra' && (name === 'NoHostAvailableError' || name === 'OperationTimedOutError'))
    return `Cassandra at ${s.cassandra.join(',')} is unreachable (${errorMessage(err)})`;
  if (server !== undefined)
    return `${server} at ${(server === 'Kafka' ? s.brokers : s.cassandra).join(',')}: ${errorMessage(err)}`;
  return errorMessage(err);
}
