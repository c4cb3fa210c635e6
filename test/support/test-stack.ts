import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePortPair } from '../../src/stack/process.js';
import { Stack, DEFAULT_SETTINGS } from '../../src/stack/stack.js';

/** What each tier's global setup (test/<tier>/global-setup.ts) provides its tests, through inject(). */
declare module 'vitest' {
  export interface ProvidedContext {
    brokers: string;
    cassandra: string;
    /** the stack directory when the tests started their own stack, '' when they reuse one */
    stackDir: string;
  }
}

/** Starts a stack of its own on free ports in a temp dir, for the run; returns its teardown. */
export async function startTestStack(project: TestProject): Promise<() => Promise<void>> {
  const root = process.env.LOGINSYNC_TEST_ROOT ?? tmpdir();
  const dir = mkdtempSync(join(root, 'loginsync-test-stack-'));
  const stack = new Stack(dir);
  // free ports whose next port is free too (each server uses port and port+1)
  const kafkaPort = await freePortPair();
  const cassandraPort = await freePortPair([kafkaPort, kafkaPort + 1]);
  const t0 = Date.now();
  await stack.up({
    kafka: { ...DEFAULT_SETTINGS.kafka, port: kafkaPort },
    cassandra: { ...DEFAULT_SETTINGS.cassandra, port: cassandraPort },
  });
  process.stderr.write(
    `test stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s: kafka ${kafkaPort}, cassandra ${cassandraPort}, ${dir}\n`,
  );
  project.provide('brokers', `127.0.0.1:${kafkaPort}`);
  project.provide('cassandra', `127.0.0.1:${cassandraPort}`);
  project.provide('stackDir', dir);
  return async () => {
    await stack.down(20_000);
    if (!process.env.LOGINSYNC_KEEP_TEST_STACK) rmSync(dir, { recursive: true, force: true });
  };
}
