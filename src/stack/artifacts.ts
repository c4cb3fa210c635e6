import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { interruptCleanup, withLock } from '../util/lock.js';

export type ServerKind = 'kafka' | 'cassandra';

export const DEFAULT_VERSIONS: Record<ServerKind, string> = { kafka: '4.1.1', cassandra: '5.0.6' };

/** Maven coordinates that make up each server's classpath. */
export function coordinates(kind: ServerKind, version: string): Array<[string, string, string]> {
  if (kind === 'kafka') {
    return [
      ['org.apache.kafka', 'kafka_2.13', version],
      ['org.apache.kafka', 'kafka-tools', version],
      // Kafka logs through slf4j 1.7; this binding sends it to log4j2, which Kafka already ships.
      ['org.apache.logging.log4j', 'log4j-slf4j-impl', '2.24.3'],
    ];
  }
  return [['org.apache.cassandra', 'cassandra-all', version]];
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOGINSYNC_CACHE && env.LOGINSYNC_CACHE !== '') return env.LOGINSYNC_CACHE;
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'loginsync');
}

function pom(kind: ServerKind, version: string): string {
  const deps = coordinates(kind, version)
    .map(
      ([g, a, v]) =>
        `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>loginsync.stack</groupId>
  <artifactId>${kind}</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`;
}

/** The classpath directory of a resolved server: <cache>/<kind>-<version>/lib. */
export function libDir(kind: ServerKind, version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), `${kind}-${version}`, 'lib');
}

export function isResolved(kind: ServerKind, version: string): boolean {
  return existsSync(join(cacheRoot(), `${kind}-${version}`, 'COMPLETE'));
}

function runMaven(mvn: string, dir: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      mvn,
      [
        '-B',
        '-q',
        '-f',
        join(dir, 'pom.xml'),
        'dependency:copy-dependencies',
        `-DoutputDirectory=${join(dir, 'lib')}`,
        '-DincludeScope=runtime',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else {
        const tail = output.trim().split('\n').slice(-15).join('\n');
        reject(
          new UserError(`Maven could not resolve the jars (exit ${code}):\n${tail}`, {
            hint:
              'check the network path to Maven Central (or your Maven mirror in ~/.m2/settings.xml) ' +
              'and the version asked for',
          }),
        );
      }
    });
  });
}

/**
 * Makes sure <cache>/<kind>-<version>/lib holds the server's jars. Resolution happens in a private temp
 * directory that is renamed into place only when Maven succeeded, under a per-version lock: two `stack
 * up`s never corrupt the cache, and a failed download leaves nothing half done behind.
 */
export async function resolveServer(
  kind: ServerKind,
  version: string,
  mvn: string,
  onWait: () => void = () => {},
): Promise<{ lib: string; downloaded: boolean }> {
  const root = cacheRoot();
  mkdirSync(root, { recursive: true });
  const final = join(root, `${kind}-${version}`);
  const lib = join(final, 'lib');
  if (existsSync(join(final, 'COMPLETE'))) return { lib, downloaded: false };
  return withLock(
    join(root, `${kind}-${version}.lock`),
    async () => {
      if (existsSync(join(final, 'COMPLETE'))) return { lib, downloaded: false };
      const tmp = join(root, `.tmp-${kind}-${version}-${process.pid}`);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      interruptCleanup.add(tmp);
      try {
        writeFileSync(join(tmp, 'pom.xml'), pom(kind, version));
        await runMaven(mvn, tmp);
        if (!existsSync(join(tmp, 'lib')) || readdirSync(join(tmp, 'lib')).length === 0) {
          throw new UserError(`Maven resolved no jars for ${kind} ${version}`);
        }
        writeFileSync(join(tmp, 'COMPLETE'), new Date().toISOString() + '\n');
        rmSync(final, { recursive: true, force: true });
        renameSync(tmp, final);
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        throw err;
      } finally {
        interruptCleanup.delete(tmp);
      }
      return { lib, downloaded: true };
    },
    onWait,
    30 * 60_000,
  ); // another process resolving the same jars with Maven: up to half an hour on a slow network
}
