import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../support/names.js';
import { SecuredStack, type ErrorCase } from '../support/secured-stack.js';

/**
 * A real stack that requires client certificates (stack up --mtls): Kafka's SASL_SSL listener with
 * ssl.client.auth=required, Cassandra with require_client_auth, both checking against the stack's CA.
 */
const stack = new SecuredStack('--mtls');
/** a CA of its own, unknown to the servers, and a client certificate it signed */
let stranger = { cert: '', key: '' };

beforeAll(async () => {
  await stack.up();
  const d = mkdtempSync(join(tmpdir(), 'ls-stranger-'));
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'pipe' });
  ssl([
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
    '2',
    '-subj',
    '/CN=stranger CA',
  ]);
  ssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'client.key',
    '-out',
    'client.csr',
    '-subj',
    '/CN=loginsync',
  ]);
  ssl([
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
    '2',
  ]);
  stranger = { cert: join(d, 'client.pem'), key: join(d, 'client.key') };
}, 300_000);

afterAll(() => stack.down(), 180_000);

describe('a stack that requires client certificates (stack up --mtls)', () => {
  it('prints the client certificate to use, and every command works with it', async () => {
    const mark = stack.outputs.length;
    const env = stack.env;
    for (const side of ['KAFKA', 'CASSANDRA']) {
      expect(env[`LOGINSYNC_${side}_CERT`], side).toMatch(/client\.pem$/);
      expect(env[`LOGINSYNC_${side}_KEY`], side).toMatch(/client\.key$/);
    }
    const flags = ['-k', uniqueName('ks'), '-t', uniqueName('logins')];
    for (const args of [
      ['init', ...flags],
      ['seed', ...flags],
      ['produce', ...flags, '--login', '100001', '--time', '2020-09-09 10:18:00'],
    ]) {
      const r = await stack.cli(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    const work = mkdtempSync(join(tmpdir(), 'ls-mtls-'));
    const run = await stack.cli(
      ['run', '--once', ...flags, '--group', 'g', '--checkpoint', join(work, 'ckpt')],
      {},
      work,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/batch 0: +input 1 +malformed 0 +unmatched 0 +stale 0 +written 1/);
    const show = await stack.cli(['show', 'users', ...flags, '--json']);
    expect(JSON.parse(show.stdout)).toContainEqual({
      login_id: '100001',
      user_name: 'Enes',
      last_login: '2020-09-09T10:18:00.000Z',
    });
    const doctor = await stack.cli(['doctor', ...flags, '--json']);
    expect(doctor.code, doctor.stdout).toBe(0);
    stack.expectNoSecrets(stack.outputs.slice(mark));
  });

  it("no client certificate, one from a CA the servers do not trust, or a key that is not the certificate's: a one-line error saying what to do", async () => {
    const mark = stack.outputs.length;
    const none = {
      LOGINSYNC_KAFKA_CERT: '',
      LOGINSYNC_KAFKA_KEY: '',
      LOGINSYNC_CASSANDRA_CERT: '',
      LOGINSYNC_CASSANDRA_KEY: '',
    };
    const strange = {
      LOGINSYNC_KAFKA_CERT: stranger.cert,
      LOGINSYNC_KAFKA_KEY: stranger.key,
      LOGINSYNC_CASSANDRA_CERT: stranger.cert,
      LOGINSYNC_CASSANDRA_KEY: stranger.key,
    };
    const mismatched = { LOGINSYNC_KAFKA_KEY: stranger.key, LOGINSYNC_CASSANDRA_KEY: stranger.key };
    const cases: ErrorCase[] = [
      // Kafka (Java) answers both with an alert about the certificate; Cassandra (Netty on OpenSSL)
      // with "certificate required", and "internal error" for one it does not trust
      [
        'Kafka, no certificate',
        ['produce', '--login', '1'],
        none,
        /^error: Kafka at \S+ refused the TLS handshake, it checks client certificates .*alert bad certificate/,
        /give --kafka-cert FILE and --kafka-key FILE, a certificate signed by a CA the server trusts/,
      ],
      [
        'Cassandra, no certificate',
        ['show', 'users'],
        none,
        /^error: Cassandra at \S+ requires a client certificate/,
        /give --cassandra-cert FILE and --cassandra-key FILE/,
      ],
      [
        'Kafka, untrusted certificate',
        ['produce', '--login', '1'],
        strange,
        /^error: Kafka at \S+ refused the TLS handshake, it checks client certificates .*alert certificate unknown/,
        /give --kafka-cert FILE and --kafka-key FILE, a certificate signed by a CA the server trusts/,
      ],
      [
        'Cassandra, untrusted certificate',
        ['show', 'users'],
        strange,
        /^error: Cassandra at \S+ broke off the TLS handshake .*alert internal error/,
        /give --cassandra-cert and --cassandra-key, signed by a CA the server trusts/,
      ],
      [
        'Kafka, wrong key',
        ['produce', '--login', '1'],
        mismatched,
        /^error: --kafka-key \S+ is not the key of --kafka-cert \S+/,
        /give the key the certificate was made for/,
      ],
      [
        'Cassandra, wrong key',
        ['show', 'users'],
        mismatched,
        /^error: --cassandra-key \S+ is not the key of --cassandra-cert \S+/,
        /give the key the certificate was made for/,
      ],
      [
        'Kafka, a key given as the certificate',
        ['produce', '--login', '1'],
        { LOGINSYNC_KAFKA_CERT: stack.env.LOGINSYNC_KAFKA_KEY },
        /^error: --kafka-cert \S+ is not a PEM certificate/,
        /PEM form/,
      ],
    ];
    await stack.expectOneLineErrors(cases);
    // doctor names the step: the TLS handshake, refused for want of a certificate
    const doctor = await stack.cli(['doctor', '--json'], none);
    const failed = (
      JSON.parse(doctor.stdout) as { checks: Array<{ server: string; step: string; ok: boolean; fix?: string }> }
    ).checks.filter((c) => !c.ok);
    expect(failed.map((c) => `${c.server} ${c.step}`)).toEqual(['Kafka TLS handshake', 'Cassandra TLS handshake']);
    for (const f of failed) expect(f.fix).toMatch(/wants a client certificate/);
    const refused = await stack.cli(['doctor', '--json'], strange);
    const fixes = (
      JSON.parse(refused.stdout) as { checks: Array<{ server: string; step: string; ok: boolean; fix?: string }> }
    ).checks
      .filter((c) => !c.ok)
      .map((c) => `${c.server} ${c.step}: ${c.fix}`);
    expect(fixes).toEqual([
      expect.stringMatching(/^Kafka TLS handshake: the server refused the client certificate/),
      expect.stringMatching(
        /^Cassandra TLS handshake: the server broke off the handshake, as Cassandra does when it refuses a client certificate/,
      ),
    ]);
    stack.expectNoSecrets(stack.outputs.slice(mark));
  });

  it('keeps the client key private and its passwords out of every output', async () => {
    const key = readFileSync(stack.env.LOGINSYNC_KAFKA_KEY!, 'utf8');
    expect(key).toMatch(/PRIVATE KEY/);
    expect(statSync(stack.env.LOGINSYNC_KAFKA_KEY!).mode & 0o077).toBe(0);
    // every command that handles the credentials and the key, verbose, right and wrong
    const produced = await stack.credentialRound();
    stack.expectNoSecrets([...stack.upOutputs, ...produced], [key.split('\n')[1]!]);
  });
});
