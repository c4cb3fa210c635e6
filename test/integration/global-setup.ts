import type { TestProject } from 'vitest/node';
import { startTestStack } from '../support/test-stack.js';

/**
 * One real stack for the whole run, on free ports in a temp dir; or the servers named by
 * LOGINSYNC_BROKERS and LOGINSYNC_CASSANDRA when both are set.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const brokers = process.env.LOGINSYNC_BROKERS;
  const cassandra = process.env.LOGINSYNC_CASSANDRA;
  if (brokers && cassandra) {
    project.provide('brokers', brokers);
    project.provide('cassandra', cassandra);
    project.provide('stackDir', '');
    return async () => {};
  }
  return startTestStack(project);
}
