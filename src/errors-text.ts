import { UserError, classify, errorMessage, type Classification, type Side } from './errors.js';

/**
 * The one-line errors a failed client call becomes: what failed, at which servers, doing what, and a
 * hint saying what to do. Made from the classification in errors.ts.
 */

const TITLE: Record<Side, string> = { kafka: 'Kafka', cassandra: 'Cassandra' };

/** A client failure as a one-line error for the terminal; a UserError is returned as it is. */
export function oneLineError(side: Side, err: unknown, target: string, doing: string): Error {
  if (err instanceof UserError) return err;
  return userErrorFor(classify(err, side), err, side, target, doing);
}

/** The one-line error for a classified failure of one side's servers (target) while doing something. */
export function userErrorFor(c: Classification, err: unknown, side: Side, target: string, doing: string): UserError {
  const security = securityError(c, err, side, target, doing);
  if (security) return security;
  if (c.kind === 'connection' || c.kind === 'closed-by-server')
    return unreachable(c.kind === 'closed-by-server', err, side, target, doing);
  return new UserError(`${TITLE[side]}: ${doing} failed: ${errorMessage(err)}`, { cause: err });
}

/**
 * A client failure that is about TLS or credentials, as a one-line error that says what to do; or
 * undefined when it is something else (the server down, a timeout).
 */
export function securityProblem(side: Side, err: unknown, target: string, doing: string): UserError | undefined {
  return securityError(classify(err, side), err, side, target, doing);
}

function unreachable(closed: boolean, err: unknown, side: Side, target: string, doing: string): UserError {
  const hint =
    side === 'kafka'
      ? closed
        ? 'the brokers closed the connection: if their port expects TLS, add --kafka-tls (and --kafka-ca)'
        : 'start the local stack with "loginsync stack up", or point --brokers (LOGINSYNC_BROKERS) at your cluster'
      : closed
        ? 'Cassandra closed the connection: if it requires TLS from clients, add --cassandra-tls (and --cassandra-ca)'
        : 'start the local stack with "loginsync stack up", or point --cassandra (LOGINSYNC_CASSANDRA) at your cluster';
  return new UserError(`cannot reach ${TITLE[side]} at ${target} (${doing})`, { hint, cause: err });
}

function securityError(
  c: Classification,
  err: unknown,
  side: Side,
  target: string,
  doing: string,
): UserError | undefined {
  const t = TITLE[side];
  const m = c.detail ?? '';
  const pw =
    side === 'kafka'
      ? 'LOGINSYNC_SASL_PASSWORD or --sasl-password-file'
      : 'LOGINSYNC_CASSANDRA_PASSWORD or --cassandra-password-file';
  const user = side === 'kafka' ? '--sasl-username' : '--cassandra-username';
  const error = (message: string, hint: string) => new UserError(message, { hint, cause: err });
  switch (c.kind) {
    case 'credentials':
      return error(
        `${t} at ${target} refused the credentials (${doing}): ${m}`,
        `check ${user}, the password (${pw})${side === 'kafka' ? ' and --sasl-mechanism' : ''}`,
      );
    case 'auth-mechanism':
      return error(
        `${t} at ${target} wants other authentication (${doing}): ${m}`,
        side === 'kafka'
          ? 'give --sasl-mechanism, --sasl-username and a password, as the brokers expect'
          : `give ${user} and a password (${pw})`,
      );
    case 'client-cert-required':
      return error(
        `${t} at ${target} requires a client certificate (${doing})`,
        `give --${side}-cert FILE and --${side}-key FILE (or LOGINSYNC_${side.toUpperCase()}_CERT and _KEY), ` +
          'signed by a CA the server trusts',
      );
    case 'client-cert-refused':
      return error(
        `${t} at ${target} refused the TLS handshake, it checks client certificates (${doing}): ${m}`,
        `give --${side}-cert FILE and --${side}-key FILE, ` +
          'a certificate signed by a CA the server trusts and still valid',
      );
    case 'client-cert-broken-off':
      return error(
        `${t} at ${target} broke off the TLS handshake (${doing}): ${m}`,
        `servers answer so when they refuse a client certificate: give --${side}-cert and --${side}-key, ` +
          "signed by a CA the server trusts; if not that, the server's log says why",
      );
    case 'untrusted-server-cert':
    case 'expired-server-cert':
      return error(
        `${t}'s TLS certificate at ${target} is not trusted (${doing}): ${m}`,
        `give the CA that signed it with --${side}-ca FILE`,
      );
    case 'host-name':
      return error(
        `${t}'s TLS certificate is not for ${target} (${doing}): ${m}`,
        'connect by the host name the certificate was issued for',
      );
    case 'not-authorized':
      return error(
        `${t} at ${target} did not allow it (${doing}): ${m}`,
        side === 'kafka'
          ? 'run needs READ on the topic and on the group, ' +
              'WRITE and CREATE on the dead-letter and unmatched topics (docs/security.md: Permissions)'
          : 'run needs SELECT and MODIFY on the table: GRANT SELECT ON TABLE <keyspace>.users TO <role>, ' +
              'and the same for MODIFY (docs/security.md: Permissions)',
      );
    case 'not-tls':
      return error(
        `${t} at ${target} does not speak TLS on that port (${doing})`,
        `drop --${side}-tls and its files, or use the server's TLS port`,
      );
    default:
      return undefined;
  }
}
