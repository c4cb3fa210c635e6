import type { Admin } from 'kafkajs';
import { UserError } from '../errors.js';
import type { Closable, GroupOffsets, StartPositions } from '../pipeline/ports.js';
import { kafkaError, retryRetriable } from './client.js';

/** The group's committed offsets on the topic (partitions with none left out): the one place that reads them. */
export async function committedOffsets(admin: Admin, topic: string, group: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const t of await retryRetriable(() => admin.fetchOffsets({ groupId: group, topics: [topic] }))) {
    for (const p of t.partitions) if (Number(p.offset) >= 0) out.set(p.partition, Number(p.offset));
  }
  return out;
}

/** End offsets of a topic (available-now) and where the group stands. */
export async function startPositions(admin: Admin, topic: string, group: string, fromBeginning: boolean): Promise<StartPositions> {
  const offsets = await retryRetriable(() => admin.fetchTopicOffsets(topic));
  const committed = await committedOffsets(admin, topic, group);
  const end = new Map<number, number>();
  const start = new Map<number, number>();
  for (const o of offsets) {
    end.set(o.partition, Number(o.high));
    start.set(o.partition, committed.get(o.partition) ?? (fromBeginning ? Number(o.low) : Number(o.high)));
  }
  return { end, start, committed: new Set([...committed.keys()].filter((p) => end.has(p))) };
}

/**
 * Starting at latest: commit the start position of partitions the group has no offset for, so a later
 * run goes on from here instead of from a newer "latest", skipping what arrived in between.
 */
async function pinLatest(admin: Admin, topic: string, group: string, at: StartPositions): Promise<void> {
  const partitions = [...at.start].filter(([p]) => !at.committed.has(p)).map(([partition, offset]) => ({ partition, offset: String(offset) }));
  if (partitions.length === 0) return;
  // only possible while the group has no active member; a running member keeps its own position
  await admin.setOffsets({ groupId: group, topic, partitions }).catch(() => {});
}

/** The consumer group's offsets on the topic, through an admin client; failures as one-line errors. */
export class KafkaGroup implements GroupOffsets, Closable {
  constructor(private readonly admin: Admin, private readonly topic: string, private readonly group: string, private readonly brokers: string[]) {}

  async checkTopic(): Promise<void> {
    const topics = await this.admin.listTopics().catch((err: unknown) => { throw kafkaError(err, this.brokers, 'reading the topic'); });
    if (!topics.includes(this.topic)) throw new UserError(`topic ${this.topic} does not exist`, { hint: 'create it with "loginsync init"' });
  }

  async positions(from: 'earliest' | 'latest'): Promise<StartPositions> {
    try {
      const at = await startPositions(this.admin, this.topic, this.group, from === 'earliest');
      if (from === 'latest') await pinLatest(this.admin, this.topic, this.group, at);
      return at;
    } catch (err) {
      throw kafkaError(err, this.brokers, 'reading the topic');
    }
  }

  committed(): Promise<Map<number, number>> {
    return committedOffsets(this.admin, this.topic, this.group)
      .catch((err: unknown) => { throw kafkaError(err, this.brokers, 'reading the committed offsets'); });
  }

  close(): Promise<void> {
    return this.admin.disconnect();
  }
}
