import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli, waitFor } from '../helpers.js';
import { world, type World } from '../integration/pipeline-env.js';
import {
  admin, compareWithOracle, committedOffsets, endOffsets, eventJson, ledgerEntries, ledgerProblems, oracle,
  randomEvents, seedUsers, sendAll, sleep,
} from './env.js';

let w: World | undefined;
afterAll(async () => { await w?.close(); });

describe('kill -9 of loginsync run', () => {
  it('20 kills at random moments while draining 100,000 events over 10,000 users lose nothing and move nothing back', async () => {
    w = await world({ partitions: 3, seed: false });
    const originals = await seedUsers(w, 10_000);
    const ids = [...originals.keys()];
    const events = randomEvents(ids, 100_000);
    // a few malformed ones and unknown users among them: they must not disturb the rest
    const values: string[] = events.map(eventJson);
    for (let i = 0; i < 200; i++) values.splice(Math.floor(Math.random() * values.length), 0, i % 2 ? '{"login_id":' : eventJson({ id: `nobody${i}`, ms: 0 }));
    await sendAll(w, values);
    const a = await admin(w.kafka);
    const end = await endOffsets(a, w.topic);
    expect([...end.values()].filter((o) => o > 0)).toHaveLength(3);

    // small batches, so that a kill lands mid-fetch, mid-write or between the writes and the commit
    const args = ['run', ...w.flags, '--group', w.group, '--checkpoint', w.checkpoint, '-q',
      '--max-offsets-per-trigger', '500', '--session-timeout', '6s'];
    const kills: string[] = [];
    for (let cycle = 0; cycle < 20; cycle++) {
      const before = ledgerEntries(w.checkpoint).length;
      const run = spawnCli(args);
      let exited = false;
      void run.exited.then(() => { exited = true; });
      if (cycle % 5 === 4) {
        // now and then at a moment unrelated to progress: starting, joining, fetching
        await sleep(1000 + Math.random() * 6000);
      } else {
        await waitFor(() => exited || ledgerEntries(w!.checkpoint).length > before, 90_000, `cycle ${cycle}: a batch committed`);
        await sleep(Math.random() * 400);
      }
      expect(exited, `cycle ${cycle}: run exited by itself: ${run.stderr()}`).toBe(false);
      run.child.kill('SIGKILL');
      await run.exited;
      kills.push(`${ledgerEntries(w.checkpoint).length - before}`);
    }
    const committedAfterKills = [...(await committedOffsets(a, w.group, w.topic)).values()].reduce((x, y) => x + Math.max(0, y), 0);

    // then a run to the end
    const last = await w.runOnce(['-q', '--session-timeout', '6s']);
    expect(last.code, last.stderr).toBe(0);

    const cmp = await compareWithOracle(w, oracle(originals, events));
    expect(cmp.rows).toBe(10_000);
    expect(cmp.lost.slice(0, 5), `${cmp.lost.length} lost updates`).toEqual([]);
    expect(cmp.wrong.slice(0, 5), `${cmp.wrong.length} wrong rows`).toEqual([]);
    expect(await committedOffsets(a, w.group, w.topic)).toEqual(end);
    const ledger = ledgerEntries(w.checkpoint);
    expect(ledgerProblems(ledger, end)).toEqual([]);
    const counted = ledger.reduce((n, e) => n + (e.counts?.input ?? 0), 0);
    process.stderr.write(`crash test: ${kills.length} kills (ledger entries per cycle: ${kills.join(' ')}), ${committedAfterKills} of ${values.length} committed before the last run, ledger ${ledger.length} entries (${ledger.filter((e) => e.kind === 'recovered').length} recovered), ${counted} records counted\n`);
    // counted records cover everything at least once (a batch read again after a kill counts twice)
    expect(counted).toBeGreaterThanOrEqual(values.length - ledger.filter((e) => e.kind === 'recovered').reduce((n, e) => n + Object.keys(e.endOffset).reduce((m, p) => m + e.endOffset[p]! - e.startOffset[p]!, 0), 0));
    await a.disconnect();
  });
});
