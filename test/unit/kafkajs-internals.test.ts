import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import {
  KAFKAJS_VERSION,
  checkKafkajsInternals,
  installedKafkajs,
  verifyKafkajsInternals,
  withGroupCoordinator,
  type InstalledKafkajs,
} from '../../src/kafka/kafkajs-internals.js';
import type { Kafka } from 'kafkajs';

/** A stand-in for kafkajs 2.2.4 with every internal the fence uses; `change` alters it. */
function fake(change: (k: InstalledKafkajs) => void = () => {}): InstalledKafkajs {
  const cluster = { connect: async () => {}, disconnect: async () => {}, findGroupCoordinator: async () => ({}) };
  const k: InstalledKafkajs = {
    version: KAFKAJS_VERSION,
    client: { [Symbol('private:Kafka:createCluster')]: () => cluster },
    brokerPrototype: { leaveGroup: () => {}, offsetCommit: () => {} },
  };
  change(k);
  return k;
}

/** The message verifyKafkajsInternals throws for `k`, or undefined; asserts it is a one-line UserError. */
function failure(k: InstalledKafkajs): string | undefined {
  try {
    verifyKafkajsInternals(k);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
}

describe('the kafkajs fence', () => {
  it('pins in package.json exactly the kafkajs it was written against', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.kafkajs).toBe(KAFKAJS_VERSION);
  });

  it('passes on the installed kafkajs, once per process', () => {
    expect(installedKafkajs().version).toBe(KAFKAJS_VERSION);
    expect(failure(installedKafkajs())).toBeUndefined();
    expect(() => checkKafkajsInternals()).not.toThrow();
    expect(() => checkKafkajsInternals()).not.toThrow();
  });

  it('passes on a stand-in with every internal', () => {
    expect(failure(fake())).toBeUndefined();
  });

  it('refuses another version, whatever its shape, in one line saying what to do', () => {
    expect(failure(fake((k) => (k.version = '2.2.5')))).toBe(
      'kafkajs 2.2.5 is installed; loginsync uses internals of 2.2.4 only (src/kafka/kafkajs-internals.ts): npm ci',
    );
  });

  it('refuses a client without the private createCluster', () => {
    expect(failure(fake((k) => (k.client = {})))).toBe(
      'kafkajs 2.2.4 is installed but not as loginsync expects it (no Kafka[Symbol(private:Kafka:createCluster)]) (src/kafka/kafkajs-internals.ts): npm ci',
    );
    // a member of that name that is not a function is no better
    expect(failure(fake((k) => (k.client = { [Symbol('private:Kafka:createCluster')]: {} })))).toContain(
      'no Kafka[Symbol(private:Kafka:createCluster)]',
    );
  });

  it('names each method missing of the cluster and the broker', () => {
    const message = failure(
      fake((k) => {
        k.client = { [Symbol('private:Kafka:createCluster')]: () => ({ connect: async () => {} }) };
        k.brokerPrototype = { offsetCommit: () => {} };
      }),
    );
    expect(message).toContain('its cluster has no disconnect(); its cluster has no findGroupCoordinator()');
    expect(message).toContain('its Broker has no leaveGroup()');
    expect(message).not.toContain('offsetCommit');
  });

  it('reports a createCluster that throws', () => {
    const k = fake((x) => {
      x.client = {
        [Symbol('private:Kafka:createCluster')]: () => {
          throw new Error('brokers is not iterable');
        },
      };
    });
    expect(failure(k)).toContain('Kafka[Symbol(private:Kafka:createCluster)] failed: brokers is not iterable');
  });

  it('refuses, before any connection, to reach the coordinator through a client without createCluster', async () => {
    const run = withGroupCoordinator({} as Kafka, 'g', async () => 'reached');
    await expect(run).rejects.toBeInstanceOf(UserError);
    await expect(run).rejects.toThrow('no Kafka[Symbol(private:Kafka:createCluster)]');
  });

  it('reaches the coordinator on a cluster of its own, and disconnects it after', async () => {
    const calls: string[] = [];
    const coordinator = { leaveGroup: async () => {}, offsetCommit: async () => {} };
    const client = {
      [Symbol('private:Kafka:createCluster')]: (o: { allowAutoTopicCreation: boolean }) => {
        calls.push(`create ${o.allowAutoTopicCreation}`);
        return {
          connect: async () => void calls.push('connect'),
          disconnect: async () => void calls.push('disconnect'),
          findGroupCoordinator: async ({ groupId }: { groupId: string }) => {
            calls.push(`find ${groupId}`);
            return coordinator;
          },
        };
      },
    };
    await expect(
      withGroupCoordinator(client as unknown as Kafka, 'g', async (c) => {
        expect(c).toBe(coordinator);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(calls).toEqual(['create false', 'connect', 'find g', 'disconnect']);
  });
});
