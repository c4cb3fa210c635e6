import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

/** What bash offers for the words typed (the last one is being completed), with the script loaded. */
function bashOffers(script: string, typed: string[]): string[] {
  const out = execFileSync(
    'bash',
    [
      '-c',
      'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _loginsync; printf "%s\\n" "${COMPREPLY[@]}"; complete -p loginsync >&2',
      script,
      ...typed,
    ],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter((l) => l !== '');
}

describe('loginsync completion', () => {
  it('bash completes commands, subcommands, flags and their fixed values, from the command definitions', async () => {
    const r = await runCli(['completion', 'bash']);
    expect(r.code, r.stderr).toBe(0);
    const script = join(mkdtempSync(join(tmpdir(), 'ls-compl-')), 'loginsync.bash');
    writeFileSync(script, r.stdout);
    expect(bashOffers(script, ['loginsync', 'st'])).toEqual(['stack']);
    expect(bashOffers(script, ['loginsync', 'stack', 's']).sort()).toEqual(['start', 'status', 'stop']);
    expect(bashOffers(script, ['loginsync', 'run', '--starting-offsets', ''])).toEqual(['earliest', 'latest']);
    expect(bashOffers(script, ['loginsync', 'stack', 'stop', 'cassandra-'])).toEqual([
      'cassandra-1',
      'cassandra-2',
      'cassandra-3',
    ]);
    expect(bashOffers(script, ['loginsync', 'show', 'users', '--write-consistency', 'local_'])).toEqual([
      'local_quorum',
      'local_one',
    ]);
    expect(bashOffers(script, ['loginsync', 'run', '--max-off'])).toEqual(['--max-offsets-per-trigger']);
    expect(bashOffers(script, ['loginsync', 'offsets', ''])).toEqual(['show', 'reset']);
    expect(bashOffers(script, ['loginsync', 'offsets', 'reset', '--to-']).sort()).toEqual([
      '--to-datetime',
      '--to-earliest',
      '--to-latest',
      '--to-offsets',
    ]);
    // global flags on every command, and the completion command itself
    expect(bashOffers(script, ['loginsync', 'stack', 'up', '--verb'])).toEqual(['--verbose']);
    expect(bashOffers(script, ['loginsync', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it('zsh and fish scripts are printed; another shell is a usage error', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef loginsync/);
    expect(zsh.stdout).toContain('complete -F _loginsync loginsync');
    const fish = await runCli(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c loginsync -n '__fish_use_subcommand' -a 'demo stack init");
    expect(fish.stdout).toContain("-l starting-offsets -x -a 'earliest latest'");
    const other = await runCli(['completion', 'tcsh']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('tcsh');
  });
});
