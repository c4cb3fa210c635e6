import { UserError, errorsIn } from '../errors.js';

export type Side = 'kafka' | 'cassandra';
const TITLE: Record<Side, string> = { kafka: 'Kafka', cassandra: 'Cassandra' };

/** Every message in an error and what it wraps (causes, kafkajs' originalError, the driver's innerErrors). */
export function chainMessages(err: unknown): string[] {
  return errorsIn(err).map((e) => {
    const x = e as { name?: string; message?: string };
    return `${x.name ?? ''}: ${x.message ?? String(e)}`;
  });
}

/** TLS alerts a server sends about the client's certificate (mutual TLS), as OpenSSL names them. */
export const CLIENT_CERT_ALERTS = {
  /** none was given */
  required: /certificate required|CERTIFICATE_REQUIRED/i,
  /** Kafka (Java) answers both no certificate and an untrusted one so */
  refused: /alert (bad certificate|unknown ca|certificate unknown|certificate expired|certificate revoked|unsupported certificate|access denied)/i,
  /** Cassandra (Netty on OpenSSL) answers an untrusted certificate so */
  internal: /alert internal error/i,
};

/** OpenSSL's "800C...:error:0A000416:SSL routines:ssl3_read_bytes:REASON:file.c:1601:SSL alert number 46". */
const OPENSSL_TEXT = /[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):[^:\s]*:\d+(?::SSL alert number \d+)?/g;

/** The reason in an OpenSSL error message ("wrong version number", "tlsv1 alert unknown ca"), else the message. */
export function opensslReason(message: string): string {
  return /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message;
}

/**
 * A client failure that is about TLS or credentials, as a one-line error that says what to do; or
 * undefined when it is something else (the server down, a timeout).
 */
export function securityProblem(side: Side, err: unknown, target: string, doing: string): UserError | undefined {
  const all = chainMessages(err).join('\n');
  const t = TITLE[side];
  const pw = side === 'kafka' ? 'LOGINSYNC_SASL_PASSWORD or --sasl-password-file' : 'LOGINSYNC_CASSANDRA_PASSWORD or --cassandra-password-file';
  const user = side === 'kafka' ? '--sasl-username' : '--cassandra-username';
  // the innermost matching message is the most specific
  const pick = (re: RegExp) => all.split('\n').reverse().find((l) => re.test(l))?.replace(/^[A-Za-z]*: /, '').replace(OPENSSL_TEXT, '$1').trim();
  let m: string | undefined;
  if ((m = pick(/SASL .*authentication failed|invalid credentials|Provided username .* (and\/or password )?(are|is) incorrect|bad credentials/i))) {
    return new UserError(`${t} at ${target} refused the credentials (${doing}): ${m}`, {
      hint: `check ${user}, the password (${pw})${side === 'kafka' ? ' and --sasl-mechanism' : ''}`, cause: err,
    });
  }
  if ((m = pick(/requires authentication|Authentication provider not set|Unexpected SASL|SASL.*not enabled|UnsupportedSaslMechanism|Illegal SASL/i))) {
    return new UserError(`${t} at ${target} wants other authentication (${doing}): ${m}`, {
      hint: side === 'kafka' ? 'give --sasl-mechanism, --sasl-username and a password, as the brokers expect' : `give ${user} and a password (${pw})`, cause: err,
    });
  }
  // alerts the server sends about our certificate (mutual TLS)
  if ((m = pick(CLIENT_CERT_ALERTS.required))) {
    return new UserError(`${t} at ${target} requires a client certificate (${doing})`, {
      hint: `give --${side}-cert FILE and --${side}-key FILE (or LOGINSYNC_${side.toUpperCase()}_CERT and _KEY), signed by a CA the server trusts`, cause: err,
    });
  }
  // Kafka (Java) answers "bad certificate" to no certificate, "certificate unknown" to an untrusted one
  if ((m = pick(CLIENT_CERT_ALERTS.refused))) {
    return new UserError(`${t} at ${target} refused the TLS handshake, it checks client certificates (${doing}): ${m}`, {
      hint: `give --${side}-cert FILE and --${side}-key FILE, a certificate signed by a CA the server trusts and still valid`, cause: err,
    });
  }
  // Cassandra (Netty on OpenSSL) answers an untrusted client certificate with "internal error"
  if ((m = pick(CLIENT_CERT_ALERTS.internal))) {
    return new UserError(`${t} at ${target} broke off the TLS handshake (${doing}): ${m}`, {
      hint: `servers answer so when they refuse a client certificate: give --${side}-cert and --${side}-key, signed by a CA the server trusts; if not that, the server's log says why`, cause: err,
    });
  }
  if ((m = pick(/self[- ]signed certificate|unable to (get|verify)|certificate chain|UNABLE_TO_VERIFY|certificate has expired/i))) {
    return new UserError(`${t}'s TLS certificate at ${target} is not trusted (${doing}): ${m}`, { hint: `give the CA that signed it with --${side}-ca FILE`, cause: err });
  }
  if ((m = pick(/altnames|ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate/i))) {
    return new UserError(`${t}'s TLS certificate is not for ${target} (${doing}): ${m}`, { hint: 'connect by the host name the certificate was issued for', cause: err });
  }
  if ((m = pick(/wrong version number|packet length too long|disconnected before secure TLS connection|EPROTO/i))) {
    return new UserError(`${t} at ${target} does not speak TLS on that port (${doing})`, { hint: `drop --${side}-tls and its files, or use the server's TLS port`, cause: err });
  }
  return undefined;
}

/** A connection the server closed at once: typically plain text sent to a TLS port. */
export function closedByServer(err: unknown): boolean {
  return /Closed connection|ECONNRESET|socket hang up|Connection closed/i.test(chainMessages(err).join('\n'));
}
