import { UserError } from '../errors.js';

export type Side = 'kafka' | 'cassandra';
const TITLE: Record<Side, string> = { kafka: 'Kafka', cassandra: 'Cassandra' };

/** Every message in an error and what it wraps (causes, kafkajs' originalError, the driver's innerErrors). */
export function chainMessages(err: unknown, depth = 0): string[] {
  if (!err || depth > 6) return [];
  const e = err as { message?: string; name?: string; cause?: unknown; originalError?: unknown; innerErrors?: Record<string, unknown>; errors?: unknown[] };
  const own = `${e.name ?? ''}: ${e.message ?? String(err)}`;
  return [
    own,
    ...chainMessages(e.cause, depth + 1),
    ...chainMessages(e.originalError, depth + 1),
    ...Object.values(e.innerErrors ?? {}).flatMap((x) => chainMessages(x, depth + 1)),
    ...(Array.isArray(e.errors) ? e.errors.flatMap((x) => chainMessages(x, depth + 1)) : []),
  ];
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
  const pick = (re: RegExp) => all.split('\n').reverse().find((l) => re.test(l))?.replace(/^[A-Za-z]*: /, '').trim();
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
