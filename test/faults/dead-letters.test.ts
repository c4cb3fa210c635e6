import { describe, expect } from 'vitest';
import { createTopic } from '../../src/kafka/admin.js';
import { ledgerEntries } from '../support/ledger.js';
import { endOffsets, groupOffsets, waitCommitted } from '../support/offsets.js';
import { it } from '../support/scene.js';
import { waitFor } from '../support/wait.js';
import { event, readTopic } from '../support/world.js';

const malformed = (i: number) => `{"login_id":"100001","created_time":"not a time ${i} ${'x'.repeat(300)}"}`;

describe('a dead-letter topic that cannot be written', () => {
  it('refusing the messages (max.message.bytes): the run stops with the reason and commits nothing; fixed, the next run delivers them', async ({
    scene,
  }) => {
    const w = await scene.world();
    const a = w.admin;
    const dlq = `${w.topic}.dlq`;
    await createTopic(a, { topic: dlq, partitions: 1, configEntries: [{ name: 'max.message.bytes', value: '200' }] });
    await w.send([
      event('100001', '2021-01-01 00:00:00'),
      malformed(1),
      event('100009', '2021-01-01 00:00:00'),
      malformed(2),
    ]);

    const refused = await w.runOnce();
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain(`cannot write to topic ${dlq} (--dlq-topic)`);
    expect(refused.stderr).toMatch(/larger than the max message size/);
    expect(refused.stderr).toContain('nothing of this batch was committed');
    expect([...(await groupOffsets(a, w.group, w.topic)).values()]).toEqual([-1]);
    expect(ledgerEntries(w.checkpoint)).toEqual([]);

    await a.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: dlq, configEntries: [{ name: 'max.message.bytes', value: '1048588' }] }],
    });
    const fixed = await w.runOnce();
    expect(fixed.code, fixed.stderr).toBe(0);
    const letters = await readTopic(w.kafka, dlq, 2);
    expect(letters.map((l) => l.headers['loginsync.offset']).sort()).toEqual(['1', '3']);
    expect(await groupOffsets(a, w.group, w.topic)).toEqual(await endOffsets(a, w.topic));
    expect((await w.lastLogins()).get('100009')).toBe('2021-01-01T00:00:00.000Z');
  });

  it('deleted under a running run: the batch waits, the topic is created again, every later dead letter is in it', async ({
    scene,
  }) => {
    const w = await scene.world();
    const a = w.admin;
    const dlq = `${w.topic}.dlq`;
    const run = w.startRun(['-q', '--session-timeout', '6s']);
    await w.send([malformed(0), malformed(1)]);
    await waitCommitted(a, w, 60_000);
    expect(await readTopic(w.kafka, dlq, 2)).toHaveLength(2);

    await a.deleteTopics({ topics: [dlq] });
    await waitFor(async () => !(await a.listTopics()).includes(dlq), 30_000, `${dlq} deleted`);
    await w.send([malformed(2), event('100001', '2021-02-02 00:00:00'), malformed(3), malformed(4)]);
    await waitCommitted(a, w, 90_000);

    const letters = await readTopic(w.kafka, dlq, 3);
    expect(letters.map((l) => l.headers['loginsync.offset']).sort()).toEqual(['2', '4', '5']);
    expect((await w.lastLogins()).get('100001')).toBe('2021-02-02T00:00:00.000Z');
    const counted = ledgerEntries(w.checkpoint).reduce((n, e) => n + (e.counts?.malformed ?? 0), 0);
    expect(counted).toBe(5);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).toBe(0);
    if (process.env.LOGINSYNC_SHOW_RUN) process.stderr.write(run.stderr());
  });
});
