import { describe, expect, it } from 'vitest';
import { mulberry32, seededRandom, testSeed } from '../support/random.js';

describe('seeded random numbers for the fault tests', () => {
  it('are mulberry32: a printed seed gives the same numbers on every machine and version', () => {
    const r = mulberry32(42);
    expect([r(), r(), r()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const top = mulberry32(2 ** 32 - 1);
    expect([top(), top()]).toEqual([0.8964226141106337, 0.189478256739676]);
  });

  it('replay: the same seed, the same draws; another seed, others', () => {
    const draw = (seed: number) => {
      const r = seededRandom(seed);
      return [r.next(), r.int(1000), r.pick(['a', 'b', 'c', 'd']), r.bytes(8).toString('hex')];
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    const r = seededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const x = r.int(10);
      expect(Number.isInteger(x) && x >= 0 && x < 10).toBe(true);
    }
  });

  it('take the seed from LOGINSYNC_TEST_SEED, a fresh one without it, and refuse a bad one', () => {
    expect(testSeed({ LOGINSYNC_TEST_SEED: '123' })).toBe(123);
    expect(testSeed({ LOGINSYNC_TEST_SEED: '4294967295' })).toBe(4294967295);
    const fresh = testSeed({});
    expect(Number.isInteger(fresh) && fresh >= 0 && fresh < 2 ** 32).toBe(true);
    for (const bad of ['abc', '-1', '1.5', '4294967296'])
      expect(() => testSeed({ LOGINSYNC_TEST_SEED: bad }), bad).toThrow(
        /LOGINSYNC_TEST_SEED=.*a seed is a whole number/,
      );
  });
});
