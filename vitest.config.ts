import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          // the servers are shared and the machine is small: a few files at a time
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // secured stacks of their own (TLS, SASL, passwords; and mutual TLS), after the integration
        // tests; one per file, the two files side by side
        test: {
          name: 'secure',
          include: ['test/secure/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
      {
        // npm run test:faults: kills runs, stops and restarts the servers; one file at a time
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/faults/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
        },
      },
      {
        // npm run test:cluster: a three-node Kafka and Cassandra cluster of its own (stack up --nodes 3,
        // about 4 GB), killed and mended; never part of npm test; one file at a time
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 4 },
        },
      },
    ],
  },
});
