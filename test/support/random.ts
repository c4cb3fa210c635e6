import { randomInt } from 'node:crypto';

/** Random numbers from a seed: the same seed gives the same numbers, so a failing test can be replayed. */
export interface Random {
  readonly seed: number;
  /** a number in [0, 1), as Math.random() */
  next(): number;
  /** a whole number in [0, n) */
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  bytes(n: number): Buffer;
}

export const SEED_VARIABLE = 'LOGINSYNC_TEST_SEED';

/** mulberry32: a small, fast 32-bit PRNG, plenty for test data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function seededRandom(seed: number): Random {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    seed,
    next,
    int,
    pick: <T>(xs: readonly T[]): T => {
      if (xs.length === 0) throw new Error('pick from an empty list');
      return xs[int(xs.length)]!;
    },
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}

/** The seed in LOGINSYNC_TEST_SEED, or a fresh one when it is not set. */
export function testSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env[SEED_VARIABLE];
  if (given === undefined || given === '') return randomInt(2 ** 32);
  if (!/^\d+$/.test(given.trim()) || Number(given) > 2 ** 32 - 1) {
    throw new Error(`${SEED_VARIABLE}=${given}: a seed is a whole number from 0 to ${2 ** 32 - 1}`);
  }
  return Number(given);
}

/**
 * The random numbers of one test: from LOGINSYNC_TEST_SEED when set, else from a fresh seed. Call it
 * at the start of the test: it prints the seed, so that a failure can be run again with the same data.
 */
export function testRandom(): Random {
  const seed = testSeed();
  console.log(`seed ${seed} (replay with ${SEED_VARIABLE}=${seed})`);
  return seededRandom(seed);
}
