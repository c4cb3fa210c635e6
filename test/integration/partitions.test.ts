import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, type Spawned } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { admin, event, world, type World } from '../support/world.js';

let w: World | undefined;
let run: Spawned | undefined;
afterEach(async () => {
  if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
  await w?.close();
  w = undefined;
  run = undefined;
});

describe('partitions added to a live topic', () => {
  it('are read within 10 s, from their first record even with --starting-offsets latest, and the run says so', async () => {
    w = await world({ partitions: 2 });
    run = spawnCli([
      'run',
      ...w.flags,
      '--group',
      w.group,
      '--checkpoint',
      w.checkpoint,
      '--starting-offsets',
      'latest',
    ]);
    await waitFor(
      () => /reading .* as group/.test(run!.stderr()),
      60_000,
      () => run!.stderr(),
    );
    const a = await admin(w.kafka);
    try {
      await a.createPartitions({ topicPartitions: [{ topic: w.topic, count: 4 }] });
    } finally {
      await a.disconnect();
    }
    // written to the new partitions before the run has seen them: latest would skip them
    const producer = w.kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: w.topic,
        acks: -1,
        messages: [
          { partition: 2, value: event('100009', '2021-03-03 03:03:00') },
          { partition: 3, value: event('100087', '2021-04-04 04:04:00') },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const added = Date.now();
    await waitFor(
      async () => {
        const l = await w!.lastLogins();
        return l.get('100009') === '2021-03-03T03:03:00.000Z' && l.get('100087') === '2021-04-04T04:04:00.000Z';
      },
      60_000,
      () => run!.stderr(),
    );
    // metadata is asked for every 10 s: seen by then, plus a rejoin and a batch
    expect(Date.now() - added, run.stderr()).toBeLessThan(40_000);
    expect(run.stderr()).toContain(`topic ${w.topic} now has 4 partitions: reading 2, 3 from their start`);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).toBe(0);
    expect(run.stderr()).not.toMatch(/^\s+at /m);
  });
});
