// The closing line of .ci/run, "N passed, N failed" (", N skipped" when some were), from vitest's JSON
// results and the exit codes of the checks and test runs; exits 1 when anything failed.
//
//   node .ci/count-results.mjs [--check NAME=EXIT_CODE]... [--vitest] RESULTS.json[=EXIT_CODE]...
//
// Every failure that vitest or a check knows of counts, not only failed tests: a test file can fail
// outside its tests (it did not load, a beforeAll or afterAll hook threw), and vitest then reports its
// tests as skipped or passed. Each failure is named on a line of its own, failed tests included.
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import process from 'node:process';

const say = (line) => process.stdout.write(`${line}\n`);

/** "x=3" -> ["x", 3]; "x" -> ["x", undefined] */
function withCode(arg) {
  const m = /^(.+)=(\d+)$/s.exec(arg);
  return m ? [m[1], Number(m[2])] : [arg, undefined];
}

/** a test file's path, relative when it is under the working directory */
function shortName(path) {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

function readResults(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: err.code === 'ENOENT' ? 'missing' : err.message };
  }
  if (text.trim() === '') return { problem: 'empty' };
  try {
    const r = JSON.parse(text);
    if (r === null || typeof r !== 'object' || !Array.isArray(r.testResults))
      return { problem: 'not vitest JSON results' };
    return { r };
  } catch (err) {
    return { problem: `not JSON (${err.message})` };
  }
}

/** The counts of one vitest run, from its JSON results and its exit code (when given). */
function countRun(file, code) {
  const { r, problem } = readResults(file);
  if (!r) {
    say(`no test results in ${file}: ${problem}${code === undefined ? '' : ` (vitest exited ${code})`}`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
  const passed = r.numPassedTests ?? 0;
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  let failed = r.numFailedTests ?? 0;
  // each failed test by name, with the first line of its failure, so that the end of the log says which
  for (const t of r.testResults) {
    for (const a of t.assertionResults ?? []) {
      if (a.status !== 'failed') continue;
      const where = typeof t.name === 'string' ? shortName(t.name) : '(a test file)';
      const why = String((a.failureMessages ?? [])[0] ?? '').split('\n')[0];
      const title = a.fullName ?? [...(a.ancestorTitles ?? []), a.title ?? '(a test)'].join(' > ');
      say(`failed: ${where} > ${title}${why ? `: ${why}` : ''}`);
    }
  }
  // a file that failed with no failed test among its own: not loaded, or a hook failed
  for (const t of r.testResults) {
    if (t.status !== 'failed' || (t.assertionResults ?? []).some((a) => a.status === 'failed')) continue;
    const name = typeof t.name === 'string' ? shortName(t.name) : '(a test file)';
    say(
      `${name} failed outside its tests${t.message ? `: ${String(t.message).split('\n')[0]}` : ' (a beforeAll or afterAll hook, or a failed load)'}`,
    );
    failed++;
  }
  // what is left is counted once per run, so that nothing reads as "0 failed"
  if (failed === 0 && passed === 0) {
    say(`${file}: no test passed`);
    failed++;
  }
  if (failed === 0 && (r.success === false || (r.numFailedTestSuites ?? 0) > 0)) {
    say(
      `${file}: vitest reports a failure (success ${r.success}, ${r.numFailedTestSuites ?? 0} failed suites) and no failed test`,
    );
    failed++;
  }
  if (failed === 0 && code !== undefined && code !== 0) {
    say(`${file}: vitest exited ${code} though its results show no failure (an error outside the tests?)`);
    failed++;
  }
  return { passed, failed, skipped };
}

function main(args) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let runs = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--check') {
      const [name, code] = withCode(args[++i] ?? '');
      if (code === undefined) throw new Error(`--check wants NAME=EXIT_CODE, got "${args[i] ?? ''}"`);
      if (code !== 0) {
        say(`${name} failed (exit ${code})`);
        failed++;
      }
      continue;
    }
    const [file, code] = withCode(arg === '--vitest' ? (args[++i] ?? '') : arg);
    if (file === '' || file.startsWith('--')) throw new Error(`unknown argument "${file}"`);
    const run = countRun(file, code);
    runs++;
    passed += run.passed;
    failed += run.failed;
    skipped += run.skipped;
  }
  if (runs === 0) throw new Error('no results file given');
  say(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed > 0 ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(
    `count-results: ${err.message}\nusage: node .ci/count-results.mjs [--check NAME=EXIT_CODE]... [--vitest] RESULTS.json[=EXIT_CODE]...\n`,
  );
  process.exitCode = 2;
}
