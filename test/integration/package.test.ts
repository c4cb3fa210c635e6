import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { uniqueName } from '../support/names.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));

describe('the npm package', () => {
  it('npm pack makes a tarball that installs globally into an empty prefix, and its demo runs from any directory', async () => {
    const work = mkdtempSync(join(process.env.LOGINSYNC_TEST_ROOT ?? tmpdir(), 'ls-pack-'));
    // dist/ is built already (pretest); a build now would pull it from under the other tests
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: repo });
    const tgz = readdirSync(work).find((f) => /^loginsync-.*\.tgz$/.test(f));
    expect(tgz).toBeDefined();
    const prefix = join(work, 'prefix');
    await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', join(work, tgz!)], {
      cwd: work,
      timeout: 240_000,
    });
    const { stdout: listed } = await run('tar', ['-tzf', join(work, tgz!)]);
    expect(listed).toContain('package/LICENSE');
    expect(listed).toContain('package/fixtures/users.json');
    expect(listed).not.toMatch(/\.map$/m);
    expect(listed).not.toMatch(/^package\/(src|test)\/.*\.ts$/m);

    // from a directory that has nothing of the project: fixtures come from the package
    const elsewhere = mkdtempSync(join(work, 'elsewhere-'));
    const bin = join(prefix, 'bin', 'loginsync');
    const version = await runCli(['--version'], { cwd: elsewhere, bin });
    expect(version.stdout.trim()).toBe(
      (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version,
    );
    const completion = await runCli(['completion', 'bash'], { cwd: elsewhere, bin });
    expect(completion.code, completion.stderr).toBe(0);
    expect(completion.stdout).toContain('complete -F');
    const help = await runCli(['demo', '--help'], { cwd: elsewhere, bin });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: loginsync demo/);
    const r = await runCli(['demo', '-k', uniqueName('ks'), '-t', uniqueName('logins')], {
      cwd: elsewhere,
      timeoutMs: 180_000,
      bin,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/100001\s.*Enes\s.*2020-09-09 10:18:00/);
  }, 300_000);
});
