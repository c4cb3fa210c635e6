import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * .ci/count-results.mjs, the closing line of .ci/run, on results shaped as vitest 4's JSON reporter
 * writes them (only the fields it reads).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, '.ci', 'count-results.mjs');
const dir = mkdtempSync(join(tmpdir(), 'ls-ci-results-'));

type Status = 'passed' | 'failed' | 'skipped';
const file = (name: string, status: 'passed' | 'failed', tests: Status[], message = '') => ({
  name: join(ROOT, 'test', name),
  status,
  message,
  assertionResults: tests.map((s, i) => ({
    ancestorTitles: ['d'],
    title: `t${i}`,
    status: s,
    failureMessages: s === 'failed' ? ['AssertionError'] : [],
  })),
});

/** Writes results under a name and returns its path. */
function results(name: string, r: object | string): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, typeof r === 'string' ? r : JSON.stringify(r));
  return path;
}

function count(...args: string[]): { code: number | null; lines: string[] } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, lines: (r.stdout + r.stderr).trim().split('\n') };
}

const allPass = {
  numTotalTestSuites: 2,
  numFailedTestSuites: 0,
  numTotalTests: 2,
  numPassedTests: 2,
  numFailedTests: 0,
  numPendingTests: 0,
  numTodoTests: 0,
  success: true,
  testResults: [file('a.test.ts', 'passed', ['passed', 'passed'])],
};
// the describe and the file fail with their test: 2 failed suites, 1 failure
const failingTest = {
  numTotalTestSuites: 2,
  numFailedTestSuites: 2,
  numTotalTests: 2,
  numPassedTests: 1,
  numFailedTests: 1,
  numPendingTests: 0,
  numTodoTests: 0,
  success: false,
  testResults: [file('a.test.ts', 'failed', ['failed', 'passed'])],
};
// beforeAll threw: the file failed, its tests read as skipped, no test failed
const failingBeforeAll = {
  numTotalTestSuites: 3,
  numFailedTestSuites: 1,
  numTotalTests: 3,
  numPassedTests: 1,
  numFailedTests: 0,
  numPendingTests: 2,
  numTodoTests: 0,
  success: false,
  testResults: [
    file('a.test.ts', 'failed', ['skipped', 'skipped'], 'setup broke'),
    file('b.test.ts', 'passed', ['passed']),
  ],
};

describe('.ci/count-results.mjs', () => {
  it('all passed: "N passed, 0 failed", exit 0', () => {
    expect(count(results('pass', allPass))).toEqual({ code: 0, lines: ['2 passed, 0 failed'] });
  });

  it('a failing test counts once, not once more per suite around it, and is named with its failure', () => {
    expect(count(results('fail', failingTest))).toEqual({
      code: 1,
      lines: ['failed: test/a.test.ts > d > t0: AssertionError', '1 passed, 1 failed'],
    });
  });

  it('a failing beforeAll (the file failed, its tests skipped) counts, and names the file', () => {
    expect(count(results('before-all', failingBeforeAll))).toEqual({
      code: 1,
      lines: ['test/a.test.ts failed outside its tests: setup broke', '1 passed, 1 failed, 2 skipped'],
    });
  });

  it('a failing afterAll (the file failed, its tests passed) and a file that did not load count', () => {
    const r = results('after-all-and-load', {
      ...allPass,
      numFailedTestSuites: 2,
      success: false,
      testResults: [
        file('a.test.ts', 'failed', ['passed', 'passed'], 'teardown broke'),
        file('b.test.ts', 'failed', [], 'SyntaxError: x'),
      ],
    });
    expect(count(r)).toEqual({
      code: 1,
      lines: [
        'test/a.test.ts failed outside its tests: teardown broke',
        'test/b.test.ts failed outside its tests: SyntaxError: x',
        '2 passed, 2 failed',
      ],
    });
  });

  it('success false, or failed suites, with nothing else failed: one failure', () => {
    for (const [name, r] of [
      ['success-false', { ...allPass, success: false }],
      ['failed-suites', { ...allPass, numFailedTestSuites: 1 }],
    ] as const) {
      const { code, lines } = count(results(name, r));
      expect(code, name).toBe(1);
      expect(lines.at(-1), name).toBe('2 passed, 1 failed');
      expect(lines[0], name).toMatch(/vitest reports a failure/);
    }
  });

  it('vitest exiting non-zero with clean results (an unhandled error): one failure; exit 0 changes nothing', () => {
    const r = results('unhandled', allPass);
    const { code, lines } = count(`${r}=1`);
    expect(code).toBe(1);
    expect(lines).toEqual([
      `${r}: vitest exited 1 though its results show no failure (an error outside the tests?)`,
      '2 passed, 1 failed',
    ]);
    expect(count(`${r}=0`)).toEqual({ code: 0, lines: ['2 passed, 0 failed'] });
  });

  it('missing, empty or broken results, and results where nothing passed, each count as one failure', () => {
    const missing = join(dir, 'never-written.json');
    expect(count(missing)).toEqual({
      code: 1,
      lines: [`no test results in ${missing}: missing`, '0 passed, 1 failed'],
    });
    expect(count(results('empty', '')).lines.at(-1)).toBe('0 passed, 1 failed');
    expect(count(results('broken', '{"numPassedTests": 3, ')).lines.at(-1)).toBe('0 passed, 1 failed');
    const none = results('none', { ...allPass, numTotalTests: 0, numPassedTests: 0, testResults: [] });
    expect(count(none)).toEqual({ code: 1, lines: [`${none}: no test passed`, '0 passed, 1 failed'] });
  });

  it('adds up several runs and the checks, one failure per failing check', () => {
    const { code, lines } = count(
      '--check',
      'typecheck=0',
      '--check',
      'lint=1',
      '--check',
      'depcheck=2',
      '--vitest',
      `${results('main', failingBeforeAll)}=1`,
      `${results('faults', allPass)}=0`,
    );
    expect(code).toBe(1);
    expect(lines).toEqual([
      'lint failed (exit 1)',
      'depcheck failed (exit 2)',
      'test/a.test.ts failed outside its tests: setup broke',
      '3 passed, 3 failed, 2 skipped',
    ]);
    expect(count('--check', 'lint=0', results('main-ok', allPass))).toEqual({ code: 0, lines: ['2 passed, 0 failed'] });
  });

  it('refuses to say anything without results, or with a check without its exit code', () => {
    expect(count().code).toBe(2);
    expect(count('--check', 'lint', results('x', allPass)).code).toBe(2);
  });
});
