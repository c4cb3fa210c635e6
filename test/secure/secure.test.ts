import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Kafka,
  logLevel,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
} from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCassandra } from '../../src/cassandra/client.js';
import { KAFKA_LIMITED_USER } from '../../src/stack/secure.js';
import { uniqueName } from '../support/names.js';
import { SecuredStack, type ErrorCase } from '../support/secured-stack.js';

/**
 * A real secured stack (stack up --secure) of its own: Kafka on SASL_SSL with SCRAM-SHA-512,
 * Cassandra with client TLS and password authentication. Every command is run as a user would, with
 * the settings `stack up --secure` prints.
 */
const stack = new SecuredStack('--secure');
let dir = '';
let env: NodeJS.ProcessEnv = {};
let secrets: string[] = [];
const cli = stack.cli.bind(stack);

beforeAll(async () => {
  await stack.up();
  dir = stack.dir;
  env = stack.env;
  secrets = stack.secrets();
}, 300_000);

afterAll(() => stack.down(), 180_000);

describe('a secured stack (stack up --secure)', () => {
  it('prints how to connect, keeps its secrets private, and every command works with the right credentials', async () => {
    const mark = stack.outputs.length;
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        'LOGINSYNC_KAFKA_CA',
        'LOGINSYNC_SASL_MECHANISM',
        'LOGINSYNC_SASL_PASSWORD',
        'LOGINSYNC_CASSANDRA_CA',
        'LOGINSYNC_CASSANDRA_PASSWORD',
      ]),
    );
    for (const f of readdirSync(join(dir, 'secure')).filter(
      (x) => x.endsWith('.password') || x.endsWith('.key') || x.endsWith('.p12'),
    )) {
      expect(statSync(join(dir, 'secure', f)).mode & 0o077, `${f} is private`).toBe(0);
    }
    const ks = uniqueName('ks');
    const topic = uniqueName('logins');
    const flags = ['-k', ks, '-t', topic];
    const work = mkdtempSync(join(tmpdir(), 'ls-secure-'));
    // --verbose too: the clients' own logs must not show a password either
    for (const args of [
      ['init', ...flags],
      ['seed', ...flags],
      ['produce', ...flags, '--login', '100001', '--time', '2020-09-09 10:18:00', '--verbose'],
    ]) {
      const r = await cli(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    const run = await cli(
      [
        'run',
        '--once',
        ...flags,
        '--group',
        'g',
        '--checkpoint',
        join(work, 'ckpt'),
        '--progress-json',
        join(work, 'progress.jsonl'),
      ],
      {},
      work,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/batch 0: +input 1 +malformed 0 +unmatched 0 +stale 0 +written 1/);
    const show = await cli(['show', 'users', ...flags, '--json']);
    expect(JSON.parse(show.stdout)).toContainEqual({
      login_id: '100001',
      user_name: 'Enes',
      last_login: '2020-09-09T10:18:00.000Z',
    });

    const doctor = await cli(['doctor', ...flags, '--json']);
    expect(doctor.code, doctor.stdout).toBe(0);
    const steps = (
      JSON.parse(doctor.stdout) as { checks: Array<{ server: string; step: string; ok: boolean }> }
    ).checks.map((c) => `${c.server} ${c.step}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        'Kafka TLS handshake',
        'Kafka protocol, SASL scram-sha-512 as loginsync',
        'Cassandra TLS handshake',
        'Cassandra CQL, as loginsync',
      ]),
    );
    const config = await cli(['config', 'show', '--verbose']);
    expect(config.stdout).toMatch(/saslPassword +│ \(set, hidden\) +│ LOGINSYNC_SASL_PASSWORD/);
    stack.expectNoSecrets([
      ...stack.outputs.slice(mark),
      readFileSync(join(work, 'ckpt', 'ledger.jsonl'), 'utf8'),
      readFileSync(join(work, 'progress.jsonl'), 'utf8'),
    ]);
  });

  it('SCRAM-SHA-256 and PLAIN work too; a wrong password, an untrusted CA, and plain text against a TLS port each give a one-line error saying what to do', async () => {
    const mark = stack.outputs.length;
    // a topic of its own to produce to
    const made = ['-k', uniqueName('ks'), '-t', uniqueName('logins')];
    const init = await cli(['init', ...made]);
    expect(init.code, init.stderr).toBe(0);
    const cases: ErrorCase[] = [
      [
        'wrong Kafka password',
        ['produce', '--login', '1'],
        { LOGINSYNC_SASL_PASSWORD: 'not-the-password' },
        /Kafka at \S+ refused the credentials/,
        /check --sasl-username, the password/,
      ],
      [
        'Kafka CA not trusted',
        ['produce', '--login', '1', '--kafka-tls'],
        { LOGINSYNC_KAFKA_CA: '' },
        /Kafka's TLS certificate at \S+ is not trusted/,
        /--kafka-ca FILE/,
      ],
      [
        'plain text to the Kafka TLS port',
        ['produce', '--login', '1'],
        { LOGINSYNC_KAFKA_CA: '' },
        /cannot reach Kafka at \S+/,
        /if their port expects TLS, add --kafka-tls/,
      ],
      [
        'wrong Cassandra password',
        ['show', 'users'],
        { LOGINSYNC_CASSANDRA_PASSWORD: 'not-the-password' },
        /Cassandra at \S+ refused the credentials/,
        /check --cassandra-username, the password/,
      ],
      [
        'Cassandra CA not trusted',
        ['show', 'users', '--cassandra-tls'],
        { LOGINSYNC_CASSANDRA_CA: '' },
        /Cassandra's TLS certificate at \S+ is not trusted/,
        /--cassandra-ca FILE/,
      ],
      [
        'plain text to the Cassandra TLS port',
        ['show', 'users'],
        { LOGINSYNC_CASSANDRA_CA: '' },
        /cannot reach Cassandra at \S+/,
        /requires TLS from clients, add --cassandra-tls/,
      ],
      [
        'no Cassandra credentials',
        ['show', 'users'],
        { LOGINSYNC_CASSANDRA_USERNAME: '', LOGINSYNC_CASSANDRA_PASSWORD: '' },
        /Cassandra at \S+ wants other authentication/,
        /give --cassandra-username and a password/,
      ],
    ];
    await stack.expectOneLineErrors(cases);
    // the other mechanisms the broker offers for the same user, and skip-verify (which warns)
    for (const mechanism of ['scram-sha-256', 'plain']) {
      const r = await cli(['produce', ...made, '--login', '1'], { LOGINSYNC_SASL_MECHANISM: mechanism });
      expect(r.code, `${mechanism}: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(/warning/);
    }
    const skip = await cli(['produce', ...made, '--login', '1', '--kafka-insecure-skip-verify'], {
      LOGINSYNC_KAFKA_CA: '',
    });
    expect(skip.code, skip.stderr).toBe(0);
    expect(skip.stderr).toMatch(/warning: Kafka TLS certificates are NOT checked/);
    // doctor names the failing step
    const doctor = await cli(['doctor', '--json'], {
      LOGINSYNC_SASL_PASSWORD: 'not-the-password',
      LOGINSYNC_CASSANDRA_CA: '',
      LOGINSYNC_CASSANDRA_TLS: 'true',
    });
    const failed = (
      JSON.parse(doctor.stdout) as { checks: Array<{ server: string; step: string; ok: boolean; fix?: string }> }
    ).checks.filter((c) => !c.ok);
    expect(failed.map((c) => `${c.server} ${c.step}`)).toEqual([
      'Kafka protocol, SASL scram-sha-512 as loginsync',
      'Cassandra TLS handshake',
    ]);
    expect(failed[0]!.fix).toMatch(/authentication as loginsync with scram-sha-512 failed/);
    expect(failed[1]!.fix).toMatch(/give that CA with --cassandra-ca/);
    stack.expectNoSecrets(stack.outputs.slice(mark));
  });

  it('no secret appears in any output, or in the logs and files loginsync writes', async () => {
    expect(secrets.length).toBe(4);
    // every command that handles the credentials, verbose, right and wrong: then the servers' logs
    const produced = await stack.credentialRound();
    const logs = ['kafka/kafka.log', 'cassandra/cassandra.log'].map((f) => readFileSync(join(dir, f), 'utf8'));
    stack.expectNoSecrets([...stack.upOutputs, ...produced, ...logs]);
    // the server configs must hold the keystore password: private files
    for (const f of ['kafka/server.properties', 'cassandra/cassandra.yaml'])
      expect(statSync(join(dir, f)).mode & 0o077, f).toBe(0);
  });

  it('run needs only the permissions docs/security.md names: read on the topic and group, write and create on its side topics, SELECT and MODIFY on the table', async () => {
    const [ks, topic, group] = [uniqueName('ks'), uniqueName('logins'), uniqueName('g')];
    const flags = ['-k', ks, '-t', topic];
    const [dlq, unmatched] = [`${topic}.dlq`, `${topic}.unmatched`];
    for (const args of [
      ['init', ...flags],
      ['seed', ...flags],
    ])
      expect((await cli(args)).code).toBe(0);
    const lines = [
      '{"login_id":"100001","created_time":"2020-09-09 10:18:00"}',
      '{"login_id":"nobody","created_time":"2020-09-09 10:18:00"}',
      '{oops',
    ];
    expect((await cli(['produce', ...flags, '-'], {}, undefined, lines.join('\n') + '\n')).code).toBe(0);

    // as the stack's own (super) users: a Kafka user and a Cassandra role with only those rights
    const kafka = new Kafka({
      brokers: [env.LOGINSYNC_BROKERS!],
      logLevel: logLevel.NOTHING,
      ssl: { ca: [readFileSync(env.LOGINSYNC_KAFKA_CA!)] },
      sasl: {
        mechanism: 'scram-sha-512',
        username: env.LOGINSYNC_SASL_USERNAME!,
        password: env.LOGINSYNC_SASL_PASSWORD!,
      },
    });
    const admin = kafka.admin();
    await admin.connect();
    const acl = (resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes): AclEntry => ({
      resourceType,
      resourceName,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: `User:${KAFKA_LIMITED_USER}`,
      host: '*',
      operation,
      permissionType: AclPermissionTypes.ALLOW,
    });
    const cql = await connectCassandra({
      contactPoints: [env.LOGINSYNC_CASSANDRA!],
      localDc: 'datacenter1',
      sslOptions: { ca: readFileSync(env.LOGINSYNC_CASSANDRA_CA!) },
      credentials: { username: env.LOGINSYNC_CASSANDRA_USERNAME!, password: env.LOGINSYNC_CASSANDRA_PASSWORD! },
    });
    const role = 'loginsync_limited';
    const limited = {
      LOGINSYNC_SASL_MECHANISM: 'plain',
      LOGINSYNC_SASL_USERNAME: KAFKA_LIMITED_USER,
      LOGINSYNC_CASSANDRA_USERNAME: role,
      LOGINSYNC_CASSANDRA_PASSWORD: 'limited-role-password',
    };
    const work = mkdtempSync(join(tmpdir(), 'ls-limited-'));
    const run = () =>
      cli(
        [
          'run',
          '--once',
          ...flags,
          '--group',
          group,
          '--unmatched-topic',
          unmatched,
          '--checkpoint',
          join(work, 'ckpt'),
        ],
        limited,
        work,
      );
    try {
      await cql.execute(`CREATE ROLE ${role} WITH PASSWORD = 'limited-role-password' AND LOGIN = true`);
      await cql.execute(`GRANT SELECT ON TABLE ${ks}.users TO ${role}`);

      // without MODIFY on the table and without the group's READ: each refusal is one clear line
      const kafkaOnly = [
        acl(AclResourceTypes.TOPIC, topic, AclOperationTypes.READ),
        acl(AclResourceTypes.GROUP, group, AclOperationTypes.READ),
      ];
      const sides = [dlq, unmatched].flatMap((t) => [
        acl(AclResourceTypes.TOPIC, t, AclOperationTypes.WRITE),
        acl(AclResourceTypes.TOPIC, t, AclOperationTypes.CREATE),
      ]);
      await admin.createAcls({ acl: [kafkaOnly[0]!, ...sides] });
      const noGroup = await run();
      expect(noGroup.code, noGroup.stderr).toBe(1);
      expect(noGroup.stderr).toMatch(
        new RegExp(
          `error: Kafka at .* named no coordinator for group ${group} .*not authorized to read the group`,
          'i',
        ),
      );
      await admin.createAcls({ acl: [kafkaOnly[1]!] });
      const noModify = await run();
      expect(noModify.code, noModify.stderr).toBe(1);
      expect(noModify.stderr).toMatch(
        new RegExp(`error: Cassandra at .* did not allow it .*${role} has no MODIFY permission on <table ${ks}.users>`),
      );
      expect(noModify.stderr).toMatch(/hint: run needs SELECT and MODIFY on the table/);

      // with MODIFY too: the run does all its work, and its side topics were made by it
      await cql.execute(`GRANT MODIFY ON TABLE ${ks}.users TO ${role}`);
      // (Cassandra caches a role's permissions for a few seconds)
      let ok = await run();
      for (
        const deadline = Date.now() + 30_000;
        ok.code !== 0 && /no MODIFY permission/.test(ok.stderr) && Date.now() < deadline;
      )
        ok = await run();
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/input 3 +malformed 1 +unmatched 1 +stale 0 +written 1/);
      expect(await admin.listTopics()).toEqual(expect.arrayContaining([dlq, unmatched]));
      const show = await cli(['show', 'users', ...flags, '--json']);
      expect(JSON.parse(show.stdout)).toContainEqual({
        login_id: '100001',
        user_name: 'Enes',
        last_login: '2020-09-09T10:18:00.000Z',
      });
    } finally {
      await admin.disconnect();
      await cql.shutdown();
    }
  });
});
