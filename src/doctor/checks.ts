import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { createCassandra } from '../cassandra/client.js';
import { shapeDifferences, tableColumns } from '../cassandra/schema.js';
import { cassandraSecurity, kafkaSecurity } from '../config/connect.js';
import type { ConnectionSettings } from '../config/table.js';
import { SECURITY_PATTERNS, chainMessages, errorMessage, opensslReason } from '../errors.js';
import { createKafka } from '../kafka/client.js';

/** One step of a connection check: what was tried, whether it worked, and what to do when not. */
export interface Check {
  server: 'Kafka' | 'Cassandra';
  step: string;
  target: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

const TIMEOUT_MS = 5_000;

function hostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
}

/** TCP: is anything listening? */
async function tcp(hp: string): Promise<{ ok: boolean; detail: string; code?: string }> {
  const { host, port } = hostPort(hp);
  return new Promise((resolve) => {
    const sock = tcpConnect({ host, port });
    const done = (r: { ok: boolean; detail: string; code?: string }) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(TIMEOUT_MS, () =>
      done({ ok: false, detail: `no answer within ${TIMEOUT_MS / 1000} s`, code: 'ETIMEDOUT' }),
    );
    sock.once('connect', () => done({ ok: true, detail: 'connected' }));
    sock.once('error', (err: NodeJS.ErrnoException) =>
      done({ ok: false, detail: err.message, ...(err.code ? { code: err.code } : {}) }),
    );
  });
}

const CLIENT_CERT_VERDICT_MS = 500;

/** TLS: does the handshake succeed, with the server's certificate trusted, and ours (if asked for) accepted? */
async function tls(hp: string, opts: ConnectionOptions): Promise<{ ok: boolean; detail: string; code?: string }> {
  const { host, port } = hostPort(hp);
  return new Promise((resolve) => {
    const sock = tlsConnect({ host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host, ...opts });
    const done = (r: { ok: boolean; detail: string; code?: string }) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(TIMEOUT_MS, () =>
      done({ ok: false, detail: `no TLS handshake within ${TIMEOUT_MS / 1000} s`, code: 'ETIMEDOUT' }),
    );
    sock.once('secureConnect', () => {
      const cert = sock.getPeerCertificate();
      const subject = cert?.subject?.CN ? `certificate CN=${cert.subject.CN}` : 'certificate accepted';
      const ok = () => {
        const unverified = sock.authorized ? '' : ' (NOT verified: --kafka-insecure-skip-verify)';
        done({ ok: true, detail: `${sock.getProtocol() ?? 'TLS'}, ${subject}${unverified}` });
      };
      // in TLS 1.3 the server judges our certificate (mutual TLS) after we think the handshake is done:
      // its refusal, an alert, comes a moment later
      if (sock.getProtocol() === 'TLSv1.3') setTimeout(ok, CLIENT_CERT_VERDICT_MS);
      else ok();
    });
    sock.once('error', (err: NodeJS.ErrnoException) =>
      done({ ok: false, detail: opensslReason(err.message), ...(err.code ? { code: err.code } : {}) }),
    );
  });
}

/** What to do about a failed TCP or TLS step. */
function networkFix(
  side: 'kafka' | 'cassandra',
  step: 'tcp' | 'tls',
  r: { detail: string; code?: string },
  hasCert = false,
): string {
  const flag = side === 'kafka' ? '--brokers' : '--cassandra';
  if (step === 'tcp') {
    if (r.code === 'ECONNREFUSED')
      return `nothing listens there: start the server ("loginsync stack up" for the local one), or fix ${flag}`;
    if (r.code === 'ENOTFOUND' || r.code === 'EAI_AGAIN') return `the host name does not resolve: fix ${flag}`;
    return `the host does not answer: check ${flag}, and any firewall in between`;
  }
  const p = SECURITY_PATTERNS;
  const text = `${r.detail} ${r.code}`;
  if (p['untrusted-server-cert'].test(text))
    return `the server's certificate is not signed by a CA loginsync trusts: give that CA with --${side}-ca FILE`;
  if (p['host-name'].test(text))
    return 'the certificate is not for this host name: connect by the name it was issued for';
  // a server that closes the connection at once during the handshake does not speak TLS either
  if (p['not-tls'].test(text) || p['closed-by-server'].test(text))
    return `this port does not speak TLS: drop --${side}-tls (and its files), or use the server's TLS port`;
  const want = `the server wants a client certificate: give --${side}-cert and --${side}-key, signed by a CA it trusts`;
  if (p['client-cert-required'].test(r.detail)) return want;
  if (p['client-cert-refused'].test(r.detail)) {
    return hasCert
      ? `the server refused the client certificate: --${side}-cert must be signed by a CA it trusts, still valid, ` +
          `and --${side}-key its key`
      : want;
  }
  if (p['client-cert-broken-off'].test(r.detail) && hasCert) {
    return (
      'the server broke off the handshake, as Cassandra does when it refuses a client certificate: ' +
      `check that --${side}-cert is signed by a CA it trusts`
    );
  }
  if (p['handshake-refused'].test(r.detail))
    return (
      `the server refused the handshake: check --${side}-cert and --${side}-key, ` +
      'and the TLS versions both sides allow'
    );
  return `check the TLS settings (--${side}-ca, --${side}-cert, --${side}-key)`;
}

/** A TLS alert behind a failed protocol step: the server judged our certificate after the handshake seemed done. */
function alertFix(side: 'kafka' | 'cassandra', err: unknown, hasCert: boolean): string | undefined {
  const alert = chainMessages(err)
    .map(opensslReason)
    .find((m) => /alert /.test(m));
  return alert ? networkFix(side, 'tls', { detail: alert }, hasCert) : undefined;
}

function kafkaFix(err: unknown, s: ConnectionSettings): string {
  const name = (err as Error)?.name ?? '';
  const msg = errorMessage(err);
  const tlsFix = alertFix('kafka', err, s.kafkaCert !== undefined);
  if (tlsFix) return tlsFix;
  // any word of SASL or authentication: one fix, from the settings, for the credentials and the mechanism
  if (name === 'KafkaJSSASLAuthenticationError' || /SASL|authenticat/i.test(msg)) {
    return s.saslMechanism
      ? `authentication as ${s.saslUsername} with ${s.saslMechanism} failed: check --sasl-username, ` +
          'the password (LOGINSYNC_SASL_PASSWORD or --sasl-password-file) and --sasl-mechanism'
      : 'the brokers want SASL authentication: give --sasl-mechanism, --sasl-username and a password';
  }
  if (/Authoriz/i.test(msg))
    return 'the user lacks rights (ACLs) for this: ask for describe/read/write on the topic and the consumer group';
  if (!s.kafkaTls)
    return 'if this port expects TLS, add --kafka-tls (and --kafka-ca); if it expects SASL, add --sasl-mechanism';
  return 'check the security settings with "loginsync config show"';
}

function cassandraFix(err: unknown, s: ConnectionSettings): string {
  const name = (err as Error)?.name ?? '';
  const msg = errorMessage(err);
  const tlsFix = alertFix('cassandra', err, s.cassandraCert !== undefined);
  if (tlsFix) return tlsFix;
  if (SECURITY_PATTERNS['auth-mechanism'].test(msg))
    return (
      'the cluster wants a user and password: ' +
      'give --cassandra-username and LOGINSYNC_CASSANDRA_PASSWORD (or --cassandra-password-file)'
    );
  if (name === 'AuthenticationError' || SECURITY_PATTERNS.credentials.test(msg) || /authentication/i.test(msg)) {
    return (
      `authentication as ${s.cassandraUsername ?? '(no user)'} failed: check --cassandra-username ` +
      'and the password (LOGINSYNC_CASSANDRA_PASSWORD or --cassandra-password-file)'
    );
  }
  if (!s.cassandraTls) return 'if the cluster requires TLS for clients, add --cassandra-tls (and --cassandra-ca)';
  return 'check the security settings with "loginsync config show"';
}

/**
 * TCP, then the TLS handshake when TLS is on, for each host, each step added to out. The clients need
 * one reachable host: true when at least one passed.
 */
async function reachEach(
  server: Check['server'],
  hosts: string[],
  tlsOpts: ConnectionOptions | undefined,
  out: Check[],
): Promise<boolean> {
  const side = server === 'Kafka' ? 'kafka' : 'cassandra';
  let reachable = 0;
  for (const host of hosts) {
    const t = await tcp(host);
    out.push({
      server,
      step: 'TCP',
      target: host,
      ok: t.ok,
      detail: t.detail,
      ...(t.ok ? {} : { fix: networkFix(side, 'tcp', t) }),
    });
    if (!t.ok) continue;
    if (tlsOpts) {
      const h = await tls(host, tlsOpts);
      out.push({
        server,
        step: 'TLS handshake',
        target: host,
        ok: h.ok,
        detail: h.detail,
        ...(h.ok ? {} : { fix: networkFix(side, 'tls', h, tlsOpts.cert !== undefined) }),
      });
      if (!h.ok) continue;
    }
    reachable++;
  }
  return reachable > 0;
}

/** Checks Kafka: each broker's TCP and TLS, then the protocol with authentication, then the topic. */
export async function checkKafka(s: ConnectionSettings): Promise<Check[]> {
  const out: Check[] = [];
  const sec = kafkaSecurity(s);
  if (!(await reachEach('Kafka', s.brokers, sec.ssl, out))) return out;
  const kafka = createKafka({
    brokers: s.brokers,
    retries: 0,
    verbose: s.verbose,
    clientId: 'loginsync-doctor',
    ...sec,
  });
  const admin = kafka.admin();
  const target = s.brokers.join(',');
  try {
    await withTimeout(admin.connect(), 15_000, 'no Kafka answer within 15 s');
    const cluster = await withTimeout(admin.describeCluster(), 15_000, 'no Kafka answer within 15 s');
    out.push({
      server: 'Kafka',
      step: s.saslMechanism ? `protocol, SASL ${s.saslMechanism} as ${s.saslUsername}` : 'protocol',
      target,
      ok: true,
      detail: `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s)`,
    });
  } catch (err) {
    out.push({
      server: 'Kafka',
      step: s.saslMechanism ? `protocol, SASL ${s.saslMechanism} as ${s.saslUsername}` : 'protocol',
      target,
      ok: false,
      detail: errorMessage(err),
      fix: kafkaFix(err, s),
    });
    await admin.disconnect().catch(() => {});
    return out;
  }
  try {
    const topics = await admin.listTopics();
    const has = topics.includes(s.topic);
    out.push({
      server: 'Kafka',
      step: 'topic',
      target: s.topic,
      ok: has,
      detail: has ? 'present' : 'missing',
      ...(has ? {} : { fix: 'create it with "loginsync init"' }),
    });
  } catch (err) {
    out.push({
      server: 'Kafka',
      step: 'topic',
      target: s.topic,
      ok: false,
      detail: errorMessage(err),
      fix: kafkaFix(err, s),
    });
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return out;
}

/** Checks Cassandra: each contact point's TCP and TLS, then the connection with authentication, then the table. */
export async function checkCassandra(s: ConnectionSettings): Promise<Check[]> {
  const out: Check[] = [];
  const sec = cassandraSecurity(s);
  if (!(await reachEach('Cassandra', s.cassandra, sec.sslOptions, out))) return out;
  const client = createCassandra({
    contactPoints: s.cassandra,
    localDc: s.localDc,
    connectTimeoutMs: TIMEOUT_MS,
    ...sec,
  });
  const target = s.cassandra.join(',');
  const step = s.cassandraUsername ? `CQL, as ${s.cassandraUsername}` : 'CQL';
  try {
    await withTimeout(client.connect(), 20_000, 'no CQL answer within 20 s');
    const v = client.getState().getConnectedHosts()[0]?.cassandraVersion;
    out.push({
      server: 'Cassandra',
      step,
      target,
      ok: true,
      detail: `connected${v ? `, Cassandra ${v}` : ''}, data center ${s.localDc}`,
    });
  } catch (err) {
    const inner = (err as { innerErrors?: Record<string, unknown> }).innerErrors;
    const first = inner ? Object.values(inner)[0] : undefined;
    out.push({
      server: 'Cassandra',
      step,
      target,
      ok: false,
      detail: errorMessage(first ?? err),
      fix: cassandraFix(first ?? err, s),
    });
    await client.shutdown().catch(() => {});
    return out;
  }
  try {
    const cols = await tableColumns(client, s.keyspace, s.table);
    const diffs = cols.length === 0 ? ['missing'] : shapeDifferences(cols);
    const ok = diffs.length === 0;
    out.push({
      server: 'Cassandra',
      step: 'table',
      target: `${s.keyspace}.${s.table}`,
      ok,
      detail: ok ? 'present, expected columns' : diffs.join('; '),
      ...(ok
        ? {}
        : {
            fix:
              cols.length === 0
                ? 'create it with "loginsync init"'
                : 'the table has another shape: see "loginsync init"',
          }),
    });
  } catch (err) {
    out.push({
      server: 'Cassandra',
      step: 'table',
      target: `${s.keyspace}.${s.table}`,
      ok: false,
      detail: errorMessage(err),
      fix: cassandraFix(err, s),
    });
  } finally {
    await client.shutdown().catch(() => {});
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
