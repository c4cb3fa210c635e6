import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { Stack } from '../../src/stack/stack.js';
import { startTestStack } from '../support/test-stack.js';

/**
 * The fault tests stop, kill and restart the servers: a stack of their own, never the servers
 * LOGINSYNC_BROKERS / LOGINSYNC_CASSANDRA point at. LOGINSYNC_FAULTS_STACK=<dir> uses a stack started
 * with `loginsync stack up --dir <dir>` instead (it will be broken and mended, and left running).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = process.env.LOGINSYNC_FAULTS_STACK;
  if (!dir) return startTestStack(project);
  const servers = await new Stack(resolve(dir)).status();
  const port = (kind: string) => {
    const s = servers.find((x) => x.server === kind);
    if (!s?.healthy)
      throw new Error(
        `LOGINSYNC_FAULTS_STACK=${dir}: ${kind} is not running; start it with "loginsync stack up --dir ${dir}"`,
      );
    return s.port;
  };
  project.provide('brokers', `127.0.0.1:${port('kafka')}`);
  project.provide('cassandra', `127.0.0.1:${port('cassandra')}`);
  project.provide('stackDir', resolve(dir));
  return async () => {};
}
