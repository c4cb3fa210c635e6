import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { waitForTopic } from '../../src/kafka/admin.js';

describe('waiting for a new topic', () => {
  // the answers a broker gives, one per metadata request, right after it created a topic
  const scripted = (answers: Array<Error | Array<{ leader: number; partitionErrorCode: number }>>) => {
    let calls = 0;
    const admin = {
      fetchTopicMetadata: async () => {
        const a = answers[Math.min(calls++, answers.length - 1)]!;
        if (a instanceof Error) throw a;
        return { topics: [{ name: 't', partitions: a }] };
      },
    } as unknown as Admin;
    return { admin, calls: () => calls };
  };
  const protocol = (type: string) => Object.assign(new Error(type), { type, retriable: true });
  const ok = { leader: 1, partitionErrorCode: 0 };

  it('asks again while the broker does not know the topic yet, or a partition has no leader', async () => {
    // kafkajs throws them bare, or (after its own retries) wrapped in a retries-exceeded error
    const exhausted = Object.assign(new Error('LEADER_NOT_AVAILABLE'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
      cause: protocol('LEADER_NOT_AVAILABLE'),
    });
    const s = scripted([
      protocol('UNKNOWN_TOPIC_OR_PARTITION'),
      exhausted,
      [ok, { leader: -1, partitionErrorCode: 5 }],
      [],
      [ok, ok],
    ]);
    await waitForTopic(s.admin, 't');
    expect(s.calls()).toBe(5);
  });

  it('gives up at once on another error, and after the timeout on a topic that never gets a leader', async () => {
    const refused = scripted([protocol('TOPIC_AUTHORIZATION_FAILED')]);
    await expect(waitForTopic(refused.admin, 't')).rejects.toThrow('TOPIC_AUTHORIZATION_FAILED');
    expect(refused.calls()).toBe(1);
    const never = scripted([protocol('UNKNOWN_TOPIC_OR_PARTITION')]);
    await expect(waitForTopic(never.admin, 't', 350)).rejects.toThrow('topic t was created but has no leader');
    expect(never.calls()).toBeGreaterThan(2);
  });
});
