import { afterEach, describe, expect, it } from 'vitest';
import { runCli, spawnCli, type Spawned } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { event, world, type World } from '../support/world.js';

let w: World | undefined;
let run: Spawned | undefined;
afterEach(async () => {
  if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
  await w?.close();
  w = undefined;
  run = undefined;
});

describe('the table changes under a live run', () => {
  it('a dropped table is an outage of Cassandra named in one line, with the fix; made again, the run goes on by itself', async () => {
    w = await world();
    run = spawnCli(['run', ...w.flags, '--group', w.group, '--checkpoint', w.checkpoint]);
    await waitFor(
      () => /reading .* as group/.test(run!.stderr()),
      60_000,
      () => run!.stderr(),
    );
    await w.send([event('100001', '2021-01-01 00:01:00')]);
    await waitFor(
      async () => (await w!.lastLogins()).get('100001') === '2021-01-01T00:01:00.000Z',
      30_000,
      () => run!.stderr(),
    );
    await w.cql.execute(`DROP TABLE ${w.keyspace}.users`);
    await w.send([event('100001', '2021-01-01 00:02:00')]);
    await waitFor(
      () => /does not exist/.test(run!.stderr()),
      30_000,
      () => run!.stderr(),
    );
    expect(run.stderr()).toContain(
      `: table ${w.keyspace}.users does not exist (dropped under the run) (make it again: loginsync init -k ` +
        `${w.keyspace} --table users, then restore its users; the run goes on by itself once it is back)`,
    );
    expect(run.stderr()).not.toMatch(/unreachable/);
    expect(run.stderr()).not.toMatch(/^\s+at |<Buffer/m);
    expect(run.child.exitCode).toBeNull();
    // made again (and seeded): the batch held back is written, nothing lost
    expect((await runCli(['init', ...w.flags])).code).toBe(0);
    expect((await runCli(['seed', ...w.flags])).code).toBe(0);
    await waitFor(
      async () => (await w!.lastLogins()).get('100001') === '2021-01-01T00:02:00.000Z',
      60_000,
      () => run!.stderr(),
    );
    expect(run.stderr()).toMatch(/Cassandra is back after/);
    run.child.kill('SIGTERM');
    expect(await run.exited, run.stderr()).toBe(0);
  });
});
