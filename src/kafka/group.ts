import type { Admin, Kafka } from 'kafkajs';
import { UserError } from '../errors.js';
import type { Closable, DataLoss, GroupOffsets, StartFrom, StartPositions } from '../pipeline/ports.js';
import { kafkaError, retryRetriable } from './client.js';
import { withGroupCoordinator, type PartitionOffset } from './kafkajs-internals.js';
import { findLosses, resolveStarts, type LogRange } from './start-offsets.js';

/** The group's committed offsets on the topic (partitions with none left out): the one place that reads them. */
export async function committedOffsets(admin: Admin, topic: string, group: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const t of await retryRetriable(() => admin.fetchOffsets({ groupId: group, topics: [topic] }))) {
    for (const p of t.partitions) if (Number(p.offset) >= 0) out.set(p.partition, Number(p.offset));
  }
  return out;
}

/** A one-line error when the topic does not exist (or the user may not see it). */
export async function checkTopic(admin: Admin, topic: string, brokers: string[]): Promise<void> {
  const topics = await admin.listTopics().catch((err: unknown) => {
    throw kafkaError(err, brokers, 'reading the topic');
  });
  // (brokers list only the topics the user may see)
  if (!topics.includes(topic))
    throw new UserError(`topic ${topic} does not exist`, {
      hint: 'create it with "loginsync init"; on a secured cluster, check that the user may READ it (docs/security.md: Permissions)',
    });
}

/** End offsets of a topic (available-now) and where the group stands; `from` for partitions it has no offset for. */
export async function startPositions(
  admin: Admin,
  topic: string,
  group: string,
  from: StartFrom,
): Promise<StartPositions> {
  const offsets = await retryRetriable(() => admin.fetchTopicOffsets(topic));
  const committed = await committedOffsets(admin, topic, group);
  const logs = new Map<number, LogRange>(
    offsets.map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]),
  );
  const end = new Map([...logs].map(([p, l]) => [p, l.high]));
  const fresh = [...logs.keys()].filter((p) => !committed.has(p));
  const byTime =
    typeof from === 'object' && 'timestampMs' in from && fresh.length > 0
      ? new Map(
          (await retryRetriable(() => admin.fetchTopicOffsetsByTimestamp(topic, from.timestampMs))).map((o) => [
            o.partition,
            Number(o.offset),
          ]),
        )
      : undefined;
  const start = new Map([...committed].filter(([p]) => logs.has(p)));
  for (const [p, o] of resolveStarts(from, logs, fresh, byTime)) start.set(p, o);
  // the ListOffsets answer above is fresh: a committed offset outside the log is a loss, not a guess
  const lost = findLosses(logs, committed, from);
  for (const l of lost) start.set(l.partition, l.to);
  return { end, start, committed: new Set([...committed.keys()].filter((p) => end.has(p))), lost };
}

/**
 * Starting elsewhere than earliest: commit the start position of partitions the group has no offset
 * for, so that the consumer starts there (it knows only the group's offsets and earliest), and a later
 * run goes on from here (not from a newer "latest", skipping what arrived in between).
 */
async function pinStarts(kafka: Kafka, topic: string, group: string, at: StartPositions): Promise<void> {
  const partitions = [...at.start]
    .filter(([p]) => !at.committed.has(p))
    .map(([partition, offset]) => ({ partition, offset: String(offset) }));
  if (partitions.length === 0) return;
  // only possible while the group has no active member; a running member keeps its own position (a
  // JSON or timestamp start then begins at earliest: more is read again, which the write rule makes harmless)
  await commitWhileEmpty(kafka, group, topic, partitions).catch(() => {});
}

/** (the shape the coordinator's OffsetCommit takes, in the kafkajs fence; offsets.ts takes it from here) */
export type { PartitionOffset };

/**
 * Asks the group's coordinator to remove members (LeaveGroup v3 on their behalf, as Kafka's admin
 * client does in removeMembersFromConsumerGroup): their partitions go to the live
 * members at once. A member the coordinator no longer knows is no error.
 */
export async function removeMembers(kafka: Kafka, groupId: string, memberIds: string[]): Promise<void> {
  if (memberIds.length === 0) return;
  await withGroupCoordinator(kafka, groupId, async (coordinator) => {
    for (const memberId of memberIds) {
      await coordinator.leaveGroup({ groupId, memberId }).catch((err: unknown) => {
        if ((err as { type?: string }).type !== 'UNKNOWN_MEMBER_ID') throw err;
      });
    }
  });
}

/**
 * Commits offsets for a group with no member, as Kafka's admin client does in
 * alterConsumerGroupOffsets: one OffsetCommit with no generation and no member id. The coordinator
 * refuses it while the group has members. (kafkajs' setOffsets joins the group, fetches, commits and
 * leaves: about 5 s.)
 */
export async function commitWhileEmpty(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partitions: PartitionOffset[],
): Promise<void> {
  // a coordinator moving, or still loading on a fresh broker, is retried for up to 15 s (a group
  // rebalancing answers with a retriable error too, and has members: not worth the 30 s of other
  // requests); a refusal is not retriable
  await retryRetriable(
    () =>
      withGroupCoordinator(kafka, groupId, (coordinator) =>
        coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics: [{ topic, partitions }] }),
      ),
    15_000,
  );
}

/** The consumer group's offsets on the topic, through an admin client; failures as one-line errors. */
export class KafkaGroup implements GroupOffsets, Closable {
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly topic: string,
    private readonly group: string,
    private readonly brokers: string[],
  ) {}

  /** Failures are the run's to report (it goes on, the members' sessions time out), as they come. */
  removeMembers(memberIds: string[]): Promise<void> {
    return removeMembers(this.kafka, this.group, memberIds);
  }

  checkTopic(): Promise<void> {
    return checkTopic(this.admin, this.topic, this.brokers);
  }

  positions(from: StartFrom): Promise<StartPositions> {
    return startPositions(this.admin, this.topic, this.group, from).catch((err: unknown) => this.readFailed(err));
  }

  /** Pins the start of partitions the group has no offset for (not those lost: skipLost decides them). */
  async pinStarts(at: StartPositions, from: StartFrom): Promise<void> {
    if (from === 'earliest') return;
    const lost = new Set(at.lost.map((l) => l.partition));
    const start = new Map([...at.start].filter(([p]) => !lost.has(p)));
    await pinStarts(this.kafka, this.topic, this.group, { ...at, start }).catch((err: unknown) => this.readFailed(err));
  }

  /** A failure reading where the group stands, as one line. */
  private readFailed(err: unknown): never {
    throw this.coordinatorUnknown(err) ?? kafkaError(err, this.brokers, 'reading the topic');
  }

  /**
   * The brokers answered (the topic was listed) but named no coordinator for the group: kafkajs drops
   * the broker's reason, which is most often that the user may not read the group.
   */
  private coordinatorUnknown(err: unknown): UserError | undefined {
    if ((err as Error | undefined)?.name !== 'KafkaJSGroupCoordinatorNotFound') return undefined;
    return new UserError(
      `Kafka at ${this.brokers.join(',')} named no coordinator for group ${this.group} (reading its committed offsets): it is not authorized to read the group, or the brokers are still starting`,
      {
        hint: `run needs READ on group ${this.group} (docs/security.md: Permissions); if it has it, try again in a moment`,
        cause: err,
      },
    );
  }

  /**
   * Commits the first offset held of each lost partition, so that the consumer goes on there (kafkajs
   * would jump to earliest or latest by itself, saying nothing). Only while the group has no member.
   */
  async skipLost(lost: DataLoss[]): Promise<void> {
    const partitions = lost.map((l) => ({ partition: l.partition, offset: String(l.to) }));
    if (partitions.length === 0) return;
    await commitWhileEmpty(this.kafka, this.group, this.topic, partitions).catch((err: unknown) => {
      throw kafkaError(err, this.brokers, 'committing past the records lost');
    });
  }

  async firstOffsets(
    partitions: number[],
  ): Promise<{ first: Map<number, number>; committed: Map<number, number>; total: number }> {
    const [offsets, committed] = await Promise.all([
      retryRetriable(() => this.admin.fetchTopicOffsets(this.topic)),
      committedOffsets(this.admin, this.topic, this.group),
    ]).catch((err: unknown) => {
      throw kafkaError(err, this.brokers, 'reading the first offsets of new partitions');
    });
    // another member of the group may have read (and committed) them already: it goes on from there
    const want = new Set(partitions.filter((p) => !committed.has(p)));
    const first = new Map(offsets.filter((o) => want.has(o.partition)).map((o) => [o.partition, Number(o.low)]));
    const known = new Map([...committed].filter(([p]) => partitions.includes(p)));
    return { first, committed: known, total: offsets.length };
  }

  committed(): Promise<Map<number, number>> {
    return committedOffsets(this.admin, this.topic, this.group).catch((err: unknown) => {
      throw kafkaError(err, this.brokers, 'reading the committed offsets');
    });
  }

  close(): Promise<void> {
    return this.admin.disconnect();
  }
}
