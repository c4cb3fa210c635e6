import type { Admin } from 'kafkajs';
import { test as base } from 'vitest';
import { spawnCli, type Spawned } from './cli.js';
import { cassandraPause } from './faults.js';
import { seedUsers, type Originals } from './oracle.js';
import { admin, world, type World } from './world.js';

/*
 * The scene of a fault test, as a vitest fixture (`scene`): worlds of its own on the fault stack (a
 * fresh keyspace, topic, group and checkpoint, seeded users, an admin client), the runs it starts on
 * them, and the stack's Cassandra paused at will. After the test, pass or fail, Cassandra goes on, every
 * run still running is killed (SIGKILL) and every client is closed; then no run (without --verbose) may
 * have printed a stack frame or a raw object dump: what a run prints under faults is written for people.
 *
 *   import { it } from '../support/scene.js';
 *   it('...', async ({ scene }) => {
 *     const w = await scene.world({ partitions: 3, users: 2000 });
 *     const run = w.startRun(['--trigger', '1s']);
 */

/** A world of the test's own, with an admin client, its seeded users, and runs of loginsync on it. */
export interface SceneWorld extends World {
  /** an admin client of the world's Kafka, connected */
  admin: Admin;
  /** the synthetic users' last_login as seeded (empty when the world has seed 000's users) */
  originals: Originals;
  /** their ids */
  ids: string[];
  /** `loginsync run` on the world's topic, group and checkpoint, then `extra`, in the background */
  startRun(extra?: string[]): Spawned;
  /** closes the admin client and the world's clients (before the test ends, if it wants); once */
  close(): Promise<void>;
}

export interface Scene {
  /**
   * A fresh world with a topic of `partitions` (1 unless given) and `users` synthetic users (ids
   * 1000000..), or seed 000's users when `users` is not given.
   */
  world(opts?: { partitions?: number; users?: number }): Promise<SceneWorld>;
  /** the CLI in the background, pointed at the fault stack (a run in another group, say) */
  spawn(args: string[]): Spawned;
  /** pause() stops the stack's Cassandra with SIGSTOP (a stall, not a crash), resume() lets it go on */
  cassandra: { pause(): void; resume(): void };
}

/** Lines of a run's stderr that are no message for people: a stack frame, a Buffer dumped. */
export function rawLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\s+at |<Buffer/.test(l));
}

/** The runs that printed stack frames or dumps, each with its first such lines. */
function raw(runs: Array<{ args: string[]; run: Spawned }>): string[] {
  return runs
    .filter(({ args }) => !args.includes('--verbose'))
    .flatMap(({ args, run }) => {
      const lines = rawLines(run.stderr());
      return lines.length === 0 ? [] : [`loginsync ${args.join(' ')}:\n${lines.slice(0, 5).join('\n')}`];
    });
}

/** f, called once: later calls return the first call's promise. */
function once(f: () => Promise<void>): () => Promise<void> {
  let called: Promise<void> | undefined;
  return () => (called ??= f());
}

export const test = base.extend<{ scene: Scene }>({
  // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from this pattern: none
  scene: async ({}, use) => {
    const runs: Spawned[] = [];
    const spawned: Array<{ args: string[]; run: Spawned }> = [];
    /** what closes the worlds' clients, in the order they were opened */
    const closers: Array<() => Promise<void>> = [];
    const cassandra = cassandraPause();
    const spawn = (args: string[]): Spawned => {
      const run = spawnCli(args);
      runs.push(run);
      spawned.push({ args, run });
      return run;
    };
    const scene: Scene = {
      async world({ partitions = 1, users } = {}) {
        const w = await world({ partitions, seed: users === undefined });
        const closeWorld = once(() => w.close());
        closers.push(closeWorld);
        const originals: Originals = users === undefined ? new Map() : await seedUsers(w, users);
        const a = await admin(w.kafka);
        const closeAdmin = once(() => a.disconnect());
        closers.push(closeAdmin);
        return {
          ...w,
          admin: a,
          originals,
          ids: [...originals.keys()],
          startRun: (extra = []) =>
            spawn(['run', ...w.flags, '--group', w.group, '--checkpoint', w.checkpoint, ...extra]),
          async close() {
            await closeAdmin();
            await closeWorld();
          },
        };
      },
      spawn,
      cassandra,
    };
    await use(scene);
    cassandra.resume();
    for (const run of runs)
      if (run.child.exitCode === null) {
        run.child.kill('SIGKILL');
        await run.exited;
      }
    for (const close of closers.reverse()) await close();
    const dumps = raw(spawned);
    if (dumps.length > 0) throw new Error(`a run printed stack frames or dumps, not messages:\n${dumps.join('\n')}`);
  },
});

/** `it` of the fault tests: vitest's, with the `scene` fixture. */
export const it = test;
