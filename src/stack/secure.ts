import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../errors.js';
import { keytoolBinary } from './tools.js';

const run = promisify(execFile);

/** The users a secured stack creates: loginsync for clients, admin for the broker itself. */
export const KAFKA_USER = 'loginsync';
export const KAFKA_ADMIN = 'admin';
export const CASSANDRA_USER = 'loginsync';
/** A Kafka user (PLAIN, the loginsync user's password) with no rights but the ACLs given to it. */
export const KAFKA_LIMITED_USER = 'loginsync-limited';
/** The servers' certificate's subject: a cluster's brokers are this principal on the controller listener. */
export const SERVER_CERT_DN = 'CN=localhost';
export const SASL_MECHANISM = 'scram-sha-512';

/** Files of a secured stack (under <stack dir>/secure, private to the user). */
export interface SecureFiles {
  dir: string;
  /** the CA clients trust (PEM) */
  ca: string;
  /** the servers' key and certificate chain (PKCS12) and its password */
  keystore: string;
  keystorePassword: string;
  kafkaPasswordFile: string;
  kafkaAdminPasswordFile: string;
  cassandraPasswordFile: string;
  /** a client certificate and key signed by the CA (PEM), for servers that require one (--mtls) */
  clientCert: string;
  clientKey: string;
  /** the CA as a PKCS12 truststore (Cassandra checks client certificates against it), keystore password */
  truststore: string;
}

export function secureFiles(stackDir: string): SecureFiles {
  const dir = join(stackDir, 'secure');
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    keystore: join(dir, 'server.p12'),
    keystorePassword: join(dir, 'keystore.password'),
    kafkaPasswordFile: join(dir, 'kafka.password'),
    kafkaAdminPasswordFile: join(dir, 'kafka-admin.password'),
    cassandraPasswordFile: join(dir, 'cassandra.password'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
    truststore: join(dir, 'truststore.p12'),
  };
}

export const readSecret = (file: string) => readFileSync(file, 'utf8').trim();

/** Client credentials for the secured stack, as the servers' readiness checks and tests use them. */
export function secureClient(stackDir: string): { ca: string; kafkaPassword: string; cassandraPassword: string } {
  const f = secureFiles(stackDir);
  return {
    ca: f.ca,
    kafkaPassword: readSecret(f.kafkaPasswordFile),
    cassandraPassword: readSecret(f.cassandraPasswordFile),
  };
}

async function tool(cmd: 'openssl' | 'keytool', args: string[], cwd: string): Promise<void> {
  try {
    await run(cmd === 'keytool' ? keytoolBinary() : cmd, args, { cwd });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (e.code === 'ENOENT') {
      throw new UserError(`stack up --secure needs ${cmd} to make the certificates`, {
        hint:
          cmd === 'openssl'
            ? 'install it (Debian: apt install openssl)'
            : "it comes with the JDK: set JAVA_HOME, or put the JDK's bin directory on PATH",
      });
    }
    throw new UserError(
      `${cmd} ${args[0]} failed: ${(e.stderr || e.stdout || e.message).trim().split('\n').slice(-3).join(' ')}`,
    );
  }
}
const openssl = (args: string[], cwd: string) => tool('openssl', args, cwd);

/**
 * Makes, once per stack, a private CA, a server certificate for localhost and 127.0.0.1-3 (a cluster's
 * Cassandra nodes) signed by it (in a PKCS12 keystore for every server), and random passwords; all files
 * mode 600 in a 700 directory. With mtls a client certificate too; with mtls or on a cluster (whose
 * Cassandra nodes check each other's certificates) the CA as a truststore.
 */
export async function ensureSecureFiles(
  stackDir: string,
  want: { mtls: boolean; cluster: boolean },
): Promise<SecureFiles> {
  const f = secureFiles(stackDir);
  const made = [f.keystore, f.keystorePassword, f.kafkaPasswordFile, f.kafkaAdminPasswordFile, f.cassandraPasswordFile];
  if (!made.every((x) => existsSync(x))) await makeSecureFiles(f, made);
  if (want.mtls) await ensureClientCert(f);
  if (want.mtls || want.cluster) await ensureTruststore(f);
  return f;
}

async function makeSecureFiles(f: SecureFiles, made: string[]): Promise<void> {
  if (made.some((x) => existsSync(x))) {
    // new passwords would not match the users the servers already have
    throw new UserError(`${f.dir} is incomplete (${made.filter((x) => !existsSync(x)).join(', ')} missing)`, {
      hint: 'make the stack again: "loginsync stack down", "stack clean", then "stack up --secure"',
    });
  }
  mkdirSync(f.dir, { recursive: true, mode: 0o700 });
  chmodSync(f.dir, 0o700);
  const secret = (file: string) => writeFileSync(file, randomBytes(18).toString('base64url') + '\n', { mode: 0o600 });
  for (const file of [f.keystorePassword, f.kafkaPasswordFile, f.kafkaAdminPasswordFile, f.cassandraPasswordFile])
    secret(file);
  await makeServerCert(f);
}

/** The private CA, and the servers' certificate it signs. */
async function makeServerCert(f: SecureFiles): Promise<void> {
  writeFileSync(
    join(f.dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3\n' +
      'extendedKeyUsage=serverAuth,clientAuth\n' +
      'basicConstraints=CA:FALSE\n',
  );
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '3650',
      '-subj',
      '/CN=loginsync local stack CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    f.dir,
  );
  await signServerCert(f);
}

/** The servers' certificate, signed by the stack's CA, in a PKCS12 keystore. */
async function signServerCert(f: SecureFiles): Promise<void> {
  await openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      `/${SERVER_CERT_DN}`,
    ],
    f.dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '825',
      '-extfile',
      'server.ext',
    ],
    f.dir,
  );
  await openssl(
    [
      'pkcs12',
      '-export',
      '-in',
      'server.pem',
      '-inkey',
      'server.key',
      '-certfile',
      'ca.pem',
      '-name',
      'server',
      '-out',
      'server.p12',
      '-passout',
      `file:${f.keystorePassword}`,
    ],
    f.dir,
  );
}

/** The client side of mutual TLS (--mtls), made from the stack's CA: a client certificate and key (PEM). */
async function ensureClientCert(f: SecureFiles): Promise<void> {
  if (!existsSync(f.clientCert) || !existsSync(f.clientKey)) {
    if (!existsSync(join(f.dir, 'ca.key')))
      throw new UserError(`${f.dir} has no CA key to sign a client certificate with`, {
        hint: 'make the stack again: "loginsync stack down", "stack clean", then "stack up --secure"',
      });
    writeFileSync(join(f.dir, 'client.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    await openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'client.key',
        '-out',
        'client.csr',
        '-subj',
        `/CN=${CASSANDRA_USER}`,
      ],
      f.dir,
    );
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        'client.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'client.pem',
        '-days',
        '825',
        '-extfile',
        'client.ext',
      ],
      f.dir,
    );
    chmodSync(f.clientKey, 0o600);
  }
}

/**
 * The CA as a PKCS12 truststore for Cassandra, which checks certificates against it (Java trusts only certificates
 * keytool marked so).
 */
async function ensureTruststore(f: SecureFiles): Promise<void> {
  if (!existsSync(f.truststore)) {
    await tool(
      'keytool',
      [
        '-importcert',
        '-noprompt',
        '-alias',
        'loginsync-ca',
        '-file',
        f.ca,
        '-keystore',
        f.truststore,
        '-storetype',
        'PKCS12',
        '-storepass:file',
        f.keystorePassword,
      ],
      f.dir,
    );
    chmodSync(f.truststore, 0o600);
  }
}
