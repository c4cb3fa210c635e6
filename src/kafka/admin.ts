import type { Admin } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
}

export async function topicExists(admin: Admin, topic: string): Promise<boolean> {
  const topics = await admin.listTopics();
  return topics.includes(topic);
}

/** Creates the topic unless it exists; waits for its leaders so it can be used at once. */
export async function ensureTopic(admin: Admin, spec: TopicSpec): Promise<'created' | 'exists'> {
  if (await topicExists(admin, spec.topic)) return 'exists';
  const created = await admin.createTopics({
    topics: [{ topic: spec.topic, numPartitions: spec.partitions, replicationFactor: spec.replicationFactor }],
    waitForLeaders: true,
  });
  return created ? 'created' : 'exists';
}

export async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0]?.partitions.length ?? 0;
}
