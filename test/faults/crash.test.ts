import type { Kafka } from 'kafkajs';
import { describe, expect } from 'vitest';
import { sleep } from '../../src/util/sleep.js';
import type { Spawned } from '../support/cli.js';
import { ledgerEntries, ledgerProblems } from '../support/ledger.js';
import { uniqueName } from '../support/names.js';
import { endOffsets, groupOffsets, total } from '../support/offsets.js';
import { compareWithOracle, eventJson, oracle, randomEvents } from '../support/oracle.js';
import { testRandom } from '../support/random.js';
import { it } from '../support/scene.js';
import { waitFor } from '../support/wait.js';
import { sendAll, type World } from '../support/world.js';

describe('kill -9 of loginsync run', () => {
  it('20 kills at random moments while draining 100,000 events (and more if they run out) over 10,000 users lose nothing and move nothing back', async ({
    scene,
  }) => {
    // the events, where the bad ones go and the moments of the kills (the same delays, not the same state)
    const random = testRandom();
    const w = await scene.world({ partitions: 3, users: 10_000 });
    const { admin: a, originals, ids } = w;
    const events = randomEvents(ids, 100_000, random);
    // a few malformed ones and unknown users among them: they must not disturb the rest
    const values: string[] = events.map(eventJson);
    for (let i = 0; i < 200; i++)
      values.splice(random.int(values.length), 0, i % 2 ? '{"login_id":' : eventJson({ id: `nobody${i}`, ms: 0 }));
    await sendAll(w, values);
    let end = await endOffsets(a, w.topic);
    expect([...end.values()].filter((o) => o > 0)).toHaveLength(3);
    // a restarted run resumes at once: when the group has drained the topic before the kills are over,
    // another wave of events arrives, so that every cycle kills a run with work to do
    const topUp = async () => {
      if (total(await groupOffsets(a, w.group, w.topic)) < total(end)) return;
      const more = randomEvents(ids, 10_000, random);
      events.push(...more);
      values.push(...more.map(eventJson));
      await sendAll(w, more.map(eventJson));
      end = await endOffsets(a, w.topic);
    };

    // small batches, so that a kill lands mid-fetch, mid-write or between the writes and the commit
    const args = ['-q', '--max-offsets-per-trigger', '500', '--session-timeout', '6s'];
    const kills: string[] = [];
    const runs: Spawned[] = [];
    for (let cycle = 0; cycle < 20; cycle++) {
      await topUp();
      const before = ledgerEntries(w.checkpoint).length;
      const run = w.startRun(args);
      runs.push(run);
      let exited = false;
      void run.exited.then(() => {
        exited = true;
      });
      if (cycle % 5 === 4) {
        // now and then at a moment unrelated to progress: starting, joining, fetching
        await sleep(1000 + random.next() * 6000);
      } else {
        await waitFor(
          () => exited || ledgerEntries(w.checkpoint).length > before,
          90_000,
          `cycle ${cycle}: a batch committed; the run said: ${run.stderr()}`,
        );
        await sleep(random.next() * 400);
      }
      expect(exited, `cycle ${cycle}: run exited by itself: ${run.stderr()}`).toBe(false);
      run.child.kill('SIGKILL');
      await run.exited;
      kills.push(`${ledgerEntries(w.checkpoint).length - before}`);
    }
    const committedAfterKills = [...(await groupOffsets(a, w.group, w.topic)).values()].reduce(
      (x, y) => x + Math.max(0, y),
      0,
    );

    // then a run to the end
    const last = await w.runOnce(['-q', '--session-timeout', '6s']);
    expect(last.code, last.stderr).toBe(0);

    const want = oracle(originals, events);
    const cmp = await compareWithOracle(w, want);
    if (cmp.lost.length > 0)
      process.stderr.write(
        await whereLost(w, cmp.lost, want, runs, last.stderr).catch(
          (err: unknown) => `(no diagnosis: ${String(err)})\n`,
        ),
      );
    expect(cmp.rows).toBe(10_000);
    expect(cmp.lost.slice(0, 5), `${cmp.lost.length} lost updates`).toEqual([]);
    expect(cmp.wrong.slice(0, 5), `${cmp.wrong.length} wrong rows`).toEqual([]);
    expect(await groupOffsets(a, w.group, w.topic)).toEqual(end);
    const ledger = ledgerEntries(w.checkpoint);
    expect(ledgerProblems(ledger, end)).toEqual([]);
    const counted = ledger.reduce((n, e) => n + (e.counts?.input ?? 0), 0);
    process.stderr.write(
      `crash test: ${kills.length} kills (ledger entries per cycle: ${kills.join(' ')}), ${committedAfterKills} of ${values.length} committed before the last run, ledger ${ledger.length} entries (${ledger.filter((e) => e.kind === 'recovered').length} recovered), ${counted} records counted\n`,
    );
    // counted records cover everything at least once (a batch read again after a kill counts twice)
    expect(counted).toBeGreaterThanOrEqual(
      values.length -
        ledger
          .filter((e) => e.kind === 'recovered')
          .reduce(
            (n, e) => n + Object.keys(e.endOffset).reduce((m, p) => m + e.endOffset[p]! - e.startOffset[p]!, 0),
            0,
          ),
    );
  });
});

/**
 * On failure, where the lost updates were: the partition and offset of each lost user's latest event,
 * summed up per partition, beside the ledger's ranges and what the runs printed. Says which range was
 * committed without being written.
 */
async function whereLost(
  w: World,
  lost: string[],
  want: Map<string, number | null>,
  runs: Spawned[],
  lastStderr: string,
): Promise<string> {
  const ids = new Set(lost.map((l) => l.split(':')[0]!));
  const at = new Map<number, number[]>();
  for (const m of await readAll(w.kafka, w.topic)) {
    try {
      const v = JSON.parse(m.value) as { login_id?: string; created_time?: string };
      if (!v.login_id || !ids.has(v.login_id)) continue;
      if (Date.parse(`${v.created_time!.replace(' ', 'T')}Z`) !== want.get(v.login_id)) continue;
      at.set(m.partition, [...(at.get(m.partition) ?? []), m.offset]);
    } catch {
      /* malformed ones */
    }
  }
  const lines = ['', `${lost.length} lost updates; their latest events, per partition:`];
  for (const [p, offs] of [...at].sort((x, y) => x[0] - y[0])) {
    offs.sort((x, y) => x - y);
    lines.push(
      `  partition ${p}: ${offs.length} events, offsets ${offs[0]}..${offs[offs.length - 1]} (first ones: ${offs.slice(0, 8).join(' ')})`,
    );
  }
  lines.push('ledger:');
  for (const e of ledgerEntries(w.checkpoint))
    lines.push(
      `  ${e.batchId} ${e.kind ?? 'batch'} pid ${(e as { pid?: number }).pid ?? '-'} ${JSON.stringify(e.startOffset)} -> ${JSON.stringify(e.endOffset)} input ${e.counts?.input ?? '-'}`,
    );
  runs.forEach((r, i) => {
    if (r.stderr().trim()) lines.push(`run ${i} stderr: ${r.stderr().trim().slice(-1500)}`);
  });
  lines.push(`last run stderr: ${lastStderr.trim().slice(-3000)}`, '');
  return lines.join('\n');
}

async function readAll(
  kafka: Kafka,
  topic: string,
): Promise<Array<{ partition: number; offset: number; value: string }>> {
  const consumer = kafka.consumer({ groupId: uniqueName('diag') });
  const got: Array<{ partition: number; offset: number; value: string }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    let quiet: NodeJS.Timeout = setTimeout(resolve, 15_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ partition, offset: Number(message.offset), value: String(message.value) });
        clearTimeout(quiet);
        quiet = setTimeout(resolve, 3_000);
      },
    });
  });
  await consumer.disconnect();
  return got;
}
