import type { Admin, ITopicConfig } from 'kafkajs';
import { isTopicNotReady } from '../errors.js';
import { retry } from '../util/retry.js';

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** broker default when absent */
  replicationFactor?: number;
  configEntries?: ITopicConfig['configEntries'];
}

/**
 * A topic's replication: the factor, and writes acknowledged by min(2, factor) replicas, so that one
 * broker down neither loses an acknowledged record nor stops the writes.
 */
export function replicated(factor: number): Pick<TopicSpec, 'replicationFactor' | 'configEntries'> {
  return {
    replicationFactor: factor,
    configEntries: [{ name: 'min.insync.replicas', value: String(Math.min(2, factor)) }],
  };
}

/** The replication factor of an existing topic (its first partition's replicas). */
export async function replicationOf(admin: Admin, topic: string): Promise<number> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0]?.partitions[0]?.replicas.length ?? 1;
}

export async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  const topics = await admin.listTopics();
  return topics.includes(topic);
}

/** The topic's metadata is not complete yet: asked again. */
class NoLeaderYet extends Error {}

/**
 * Waits until the broker serves metadata for every partition of the topic, each with a leader.
 * In KRaft the broker learns of a new topic from the metadata log a moment after the controller
 * accepted it, so right after creation the broker may answer "does not host this topic-partition".
 */
export async function waitForTopic(admin: Admin, topic: string, timeoutMs = 30_000): Promise<void> {
  const notYet = (err: unknown) => err instanceof NoLeaderYet || isTopicNotReady(err);
  try {
    await retry(
      async () => {
        const md = await admin.fetchTopicMetadata({ topics: [topic] });
        const parts = md.topics[0]?.partitions ?? [];
        if (!(parts.length > 0 && parts.every((p) => p.leader >= 0 && p.partitionErrorCode === 0)))
          throw new NoLeaderYet();
      },
      { retriable: notYet, delayMs: () => 100, deadlineMs: timeoutMs },
    );
  } catch (err) {
    if (notYet(err))
      throw new Error(`topic ${topic} was created but has no leader after ${Math.round(timeoutMs / 1000)} s`);
    throw err;
  }
}

/** Creates a topic, then waits until it can be used. False when it already existed. */
export async function createTopic(admin: Admin, spec: TopicSpec): Promise<boolean> {
  const created = await admin.createTopics({
    topics: [
      {
        topic: spec.topic,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor,
        configEntries: spec.configEntries,
      },
    ],
    waitForLeaders: false,
  });
  await waitForTopic(admin, spec.topic);
  return created;
}

/** Creates the topic unless it exists; waits for its leaders so it can be used at once. */
export async function ensureTopic(admin: Admin, spec: TopicSpec): Promise<'created' | 'exists'> {
  if (await topicExists(admin, spec.topic)) return 'exists';
  return (await createTopic(admin, spec)) ? 'created' : 'exists';
}

export async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0]?.partitions.length ?? 0;
}
