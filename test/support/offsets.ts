import type { Admin } from 'kafkajs';
import { committedOffsets } from '../../src/kafka/group.js';
import { isRetriable } from '../../src/errors.js';
import { backoff, retry } from '../../src/util/retry.js';
import { waitFor } from './wait.js';
import type { World } from './world.js';

/* A topic's offsets and a group's, as the fault tests check them from outside the run. */

/** The topic's end offsets; retried for up to 30 s while a broker is away (a cluster's leader killed). */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await retry(() => admin.fetchTopicOffsets(topic), {
    retriable: isRetriable,
    delayMs: backoff(200, 2000),
    deadlineMs: 30_000,
  });
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

/**
 * The group's committed offset on every partition of the topic, -1 where it has none: what a test
 * compares with endOffsets. (src's committedOffsets(admin, topic, group) leaves those partitions out.)
 */
export async function groupOffsets(admin: Admin, group: string, topic: string): Promise<Map<number, number>> {
  const [committed, end] = await Promise.all([committedOffsets(admin, topic, group), endOffsets(admin, topic)]);
  return new Map([...end.keys()].map((p) => [p, committed.get(p) ?? -1]));
}

export const total = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + Math.max(0, b), 0);

/** Waits until the group has committed the whole topic. */
export async function waitCommitted(admin: Admin, w: Pick<World, 'topic' | 'group'>, timeoutMs: number): Promise<void> {
  const end = await endOffsets(admin, w.topic);
  await waitFor(
    async () => {
      const c = await groupOffsets(admin, w.group, w.topic).catch(() => new Map<number, number>());
      return [...end].every(([p, o]) => (c.get(p) ?? -1) >= o);
    },
    timeoutMs,
    `group ${w.group} to commit ${[...end].map(([p, o]) => `${p}:${o}`).join(' ')}`,
  );
}
