// The documentation names only commands and flags that exist: every `loginsync <command> ... --flag` in a
// code span or code block of README.md and docs/**/*.md is checked against the commander program itself
// (buildProgram), every `--flag` anywhere in them must exist on some command, and every relative link and
// anchor must lead somewhere. A doc that names a flag after it was renamed (without an alias) fails here.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Flags the docs name that belong to other tools, not to loginsync. Keep it short: a loginsync flag must
 * never be added here.
 */
const OTHER_TOOLS_FLAGS = new Set([
  // kafka-acls.sh (docs/security.md: granting run's permissions)
  '--command-config',
  '--add',
  '--allow-principal',
  '--operation',
  // kafka-consumer-groups.sh (where a group stands; offsets moved by Kafka's own tool)
  '--describe',
  '--reset-offsets',
  // kafka-topics.sh (docs/seed-000.md: what the seed does; docs/semantics.md: partitions added)
  '--create',
  '--alter',
]);

function docFiles(): string[] {
  const out = [join(ROOT, 'README.md')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.md')) out.push(p);
    }
  };
  walk(join(ROOT, 'docs'));
  return out;
}

// ---- the program: every command path and the options each accepts ----

interface CommandSet {
  root: Command;
  /** every command that does something, by its path: `demo`, `stack up`, `offsets reset`, ... */
  paths: string[];
  /** every long and short flag of any command (and --help, --version) */
  anyFlag: Set<string>;
}

function flagsOf(cmd: Command): Option[] {
  // the help option is not among cmd.options; visibleOptions adds it (hidden options are in cmd.options)
  return [...cmd.options, ...cmd.createHelp().visibleOptions(cmd)];
}

function commandSet(): CommandSet {
  const root = buildProgram();
  const anyFlag = new Set<string>();
  const paths: string[] = [];
  const walk = (cmd: Command, path: string[]) => {
    for (const o of flagsOf(cmd)) for (const f of [o.long, o.short]) if (f) anyFlag.add(f);
    if (path.length > 0 && cmd.commands.length === 0) paths.push(path.join(' '));
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(root, []);
  return { root, paths, anyFlag };
}

function subcommand(cmd: Command, name: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

/** The option `flag` names on any of these commands (with the options of their parents: root's are global). */
function optionOf(flag: string, cmds: Command[]): Option | undefined {
  for (const c of cmds) {
    for (let at: Command | null = c; at; at = at.parent) {
      const o = flagsOf(at).find((x) => x.long === flag || x.short === flag);
      if (o) return o;
    }
  }
  return undefined;
}

// ---- the docs: code spans and code blocks, as shell words ----

interface Snippet {
  file: string;
  line: number;
  text: string;
  /** an inline code span (may name a command without "loginsync": `stack up --nodes 3`) */
  span: boolean;
}

const FENCE = /^\s*(`{3,}|~{3,})/;

/** The markdown with its fenced blocks blanked (line numbers kept), and the blocks' lines. */
function splitFences(md: string): { prose: string; blockLines: Array<{ line: number; text: string }> } {
  const lines = md.split('\n');
  const blockLines: Array<{ line: number; text: string }> = [];
  let fence: string | undefined;
  const prose = lines.map((l, i) => {
    const m = FENCE.exec(l);
    if (fence === undefined && m) {
      fence = m[1]![0]!.repeat(3);
      return '';
    }
    if (fence !== undefined) {
      if (l.trim().startsWith(fence)) fence = undefined;
      else blockLines.push({ line: i + 1, text: l.replace(/^\s+/, '') });
      return '';
    }
    return l;
  });
  return { prose: prose.join('\n'), blockLines };
}

const CODE_SPAN = /(?<!`)(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g;

function lineAt(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function snippets(file: string, md: string): Snippet[] {
  const { prose, blockLines } = splitFences(md);
  const out: Snippet[] = [];
  for (const m of prose.matchAll(CODE_SPAN)) {
    // a span never crosses a blank line (an unmatched backtick otherwise)
    if (/\n\s*\n/.test(m[2]!)) continue;
    out.push({ file, line: lineAt(prose, m.index), text: m[2]!.replace(/\n/g, ' ').trim(), span: true });
  }
  // a block's lines, joined where a line ends with a backslash (a continued shell command)
  for (let i = 0; i < blockLines.length; i++) {
    const { line } = blockLines[i]!;
    let text = blockLines[i]!.text;
    while (text.endsWith('\\') && i + 1 < blockLines.length && blockLines[i + 1]!.line === blockLines[i]!.line + 1)
      text = `${text.slice(0, -1)} ${blockLines[++i]!.text}`;
    out.push({ file, line, text, span: false });
  }
  return out;
}

type Token = { word: string } | { op: string };

/** Reads up to the `)` that closes a `$(` or `<(` opened before `from`: [its content, the index after it]. */
function balanced(s: string, from: number): [string, number] {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return [s.slice(from, i), i + 1];
  }
  return [s.slice(from), s.length];
}

/**
 * Shell words of one line, roughly as sh splits them: quotes, `$(...)`, `<(...)` and backquotes (their
 * content goes to `nested`, to be read as commands of its own), `#` comments, and `|`, `||`, `&&`, `;`,
 * `&` as operators. A markdown-escaped `\|` (in tables) is a literal `|`: `stop\|start`, `--secure \| --mtls`.
 */
function lex(s: string, nested: string[]): Token[] {
  const out: Token[] = [];
  let word: string | undefined;
  const end = () => {
    if (word !== undefined) out.push({ word });
    word = undefined;
  };
  const add = (c: string) => (word = (word ?? '') + c);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (/\s/.test(c)) end();
    else if (c === '#' && word === undefined) break;
    else if (c === '\\') add(s[++i] ?? '');
    else if (c === "'") {
      const close = s.indexOf("'", i + 1);
      add(s.slice(i + 1, close < 0 ? s.length : close));
      i = close < 0 ? s.length : close;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\') add(s[++j] ?? '');
        else if (s[j] === '$' && s[j + 1] === '(') {
          const [inner, after] = balanced(s, j + 2);
          nested.push(inner);
          add('X');
          j = after - 1;
        } else add(s[j]!);
      }
      add('');
      i = j;
    } else if ((c === '$' || c === '<') && s[i + 1] === '(') {
      const [inner, after] = balanced(s, i + 2);
      nested.push(inner);
      add('X');
      i = after - 1;
    } else if (c === '`') {
      const close = s.indexOf('`', i + 1);
      nested.push(s.slice(i + 1, close < 0 ? s.length : close));
      add('X');
      i = close < 0 ? s.length : close;
    } else if (c === '|' || c === '&' || c === ';') {
      end();
      const two = s.slice(i, i + 2);
      const op = two === '||' || two === '&&' ? two : c;
      out.push({ op });
      i += op.length - 1;
    } else add(c);
  }
  end();
  return out;
}

/** A word as the docs write it in a usage line: `[--nodes 3]`, `["loginsync",` (a Dockerfile's CMD). */
function clean(word: string): string {
  return word.replace(/^[[(]+/, '').replace(/[\]),]+$/, '');
}

const LOGINSYNC = /(^|[/=])loginsync$/;

interface Problem {
  where: string;
  problem: string;
}

/** What the scan found: the problems, how many invocations, and the command paths they named. */
interface Scan {
  root: Command;
  problems: Problem[];
  invocations: number;
  named: Set<string>;
}

/**
 * Checks one invocation: each word after `loginsync` that names a subcommand must be one, and each flag
 * must be an option of the command named (or of a parent, so the root's global options count). Values
 * of options that take one are skipped, as commander would take them.
 */
function checkInvocation(words: string[], where: string, scan: Scan): void {
  const { root, problems } = scan;
  let cmds: Command[] = [root];
  const path: string[] = [];
  // the command paths named (`stack stop\|start` names two)
  let paths = [''];
  let value: 'required' | 'optional' | undefined;
  let positional = false;
  for (const raw of words.map(clean)) {
    if (raw === '' || raw === '|') continue;
    const looksLikeFlag = raw.startsWith('-') && raw.length > 1 && !/^-\d/.test(raw);
    if (value === 'required' || (value === 'optional' && !looksLikeFlag)) {
      value = undefined;
      continue;
    }
    value = undefined;
    const name = `loginsync${path.map((p) => ` ${p}`).join('')}`;
    if (looksLikeFlag) {
      for (const flag of raw.split('|')) {
        const o = optionOf(flag.split('=')[0]!, cmds);
        if (!o) problems.push({ where, problem: `${name} has no option ${flag.split('=')[0]}` });
        else if (!flag.includes('=') && (o.required || o.optional)) value = o.required ? 'required' : 'optional';
      }
      continue;
    }
    if (positional || cmds[0]!.commands.length === 0) {
      positional = true;
      continue;
    }
    if (raw === 'help') break;
    const names = raw.split('|').filter(Boolean);
    const found = names.map((n) => subcommand(cmds[0]!, n));
    const missing = names.filter((_, i) => !found[i]);
    if (missing.length > 0) {
      problems.push({ where, problem: `${name} has no command ${missing.join(', ')}` });
      return;
    }
    cmds = found as Command[];
    path.push(names.join('|'));
    paths = paths.flatMap((p) => names.map((n) => `${p} ${n}`.trim()));
  }
  for (const p of paths) if (p) scan.named.add(p);
}

/** The loginsync invocations of one snippet, checked. */
function checkSnippet(s: Snippet, scan: Scan): void {
  const { root } = scan;
  const where = `${relative(ROOT, s.file)}:${s.line}`;
  const scripts = [s.text];
  for (let k = 0; k < scripts.length; k++) {
    const nested: string[] = [];
    const tokens = lex(scripts[k]!, nested);
    scripts.push(...nested);
    // one simple command after another: split at the operators
    const commands: Array<{ words: string[]; afterSemicolon: boolean }> = [{ words: [], afterSemicolon: false }];
    for (const t of tokens) {
      if ('op' in t) commands.push({ words: [], afterSemicolon: t.op === ';' });
      else commands[commands.length - 1]!.words.push(t.word);
    }
    for (const { words, afterSemicolon } of commands) {
      // "; loginsync ..." is more often a sentence of an error message quoted in a block than a command
      const at = afterSemicolon ? -1 : commandStart(words);
      // a span of one command may leave "loginsync" out: `stack up --nodes 3`, `run --once`
      const bare = k === 0 && s.span && commands.length === 1 && words.length > 1 && subcommand(root, words[0]!);
      if (at === -1 && !bare) continue;
      scan.invocations++;
      checkInvocation(at === -1 ? words : words.slice(at + 1), where, scan);
    }
  }
}

/** Words that may come before the command itself: a prompt, a launcher, variables, a Dockerfile's CMD. */
const PREFIX = /^(\$|npx|sudo|exec|env|time|CMD|ENTRYPOINT|[A-Z_][A-Z0-9_]*=.*)$/;

/**
 * Where `loginsync` is the command of these words (-1 if it is not): at their start, after prefixes
 * only. Elsewhere it is a value (`--group loginsync`, `systemctl stop loginsync`) or prose.
 */
function commandStart(words: string[]): number {
  let i = 0;
  while (i < words.length && PREFIX.test(clean(words[i]!))) i++;
  return i < words.length && LOGINSYNC.test(clean(words[i]!)) ? i : -1;
}

const ANY_FLAG = /(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*/g;

/** Every `--flag` written anywhere in the file, prose included. */
function looseFlags(file: string, md: string): Array<{ where: string; flag: string }> {
  return [...md.matchAll(ANY_FLAG)].map((m) => ({
    where: `${relative(ROOT, file)}:${lineAt(md, m.index)}`,
    flag: m[0],
  }));
}

// ---- links and anchors ----

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of splitFences(md).prose.split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const anchorsOf = new Map<string, Set<string>>();

function brokenLinks(file: string, md: string): Problem[] {
  // links inside code are not links: spans blanked (their text kept out of the way), blocks dropped
  const prose = splitFences(md).prose.replace(CODE_SPAN, (m) => m.replace(/[^\n]/g, ' '));
  const problems: Problem[] = [];
  for (const m of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z]+:/i.test(target)) continue;
    const where = `${relative(ROOT, file)}:${lineAt(prose, m.index)}`;
    const [path, anchor] = target.split('#') as [string, string | undefined];
    const to = path === '' ? file : resolve(dirname(file), path);
    let text: string;
    try {
      text = statSync(to).isDirectory() ? '' : readFileSync(to, 'utf8');
    } catch {
      problems.push({ where, problem: `${target}: no such file` });
      continue;
    }
    if (!anchorsOf.has(to)) anchorsOf.set(to, anchors(text));
    if (anchor && to.endsWith('.md') && !anchorsOf.get(to)!.has(anchor))
      problems.push({ where, problem: `${target}: ${relative(ROOT, to)} has no heading with anchor #${anchor}` });
  }
  return problems;
}

// ---- the tests ----

function check(files: Array<{ file: string; md: string }>, set: CommandSet) {
  const scan: Scan = { root: set.root, problems: [], invocations: 0, named: new Set() };
  for (const { file, md } of files) for (const s of snippets(file, md)) checkSnippet(s, scan);
  const unknown = files.flatMap(({ file, md }) =>
    looseFlags(file, md).filter(({ flag }) => !set.anyFlag.has(flag) && !OTHER_TOOLS_FLAGS.has(flag)),
  );
  return { ...scan, unknown };
}

const show = (ps: Problem[]) => ps.map((p) => `${p.where}: ${p.problem}`);

describe('the docs name only commands and flags that exist', () => {
  const set = commandSet();
  const files = docFiles().map((file) => ({ file, md: readFileSync(file, 'utf8') }));

  it('reads the README and the docs pages', () => {
    const names = files.map((f) => relative(ROOT, f.file));
    expect(names).toContain('README.md');
    expect(names).toContain(join('docs', 'semantics.md'));
  });

  it('every `loginsync <command> ... --flag` names a command and, for that command, an option it has', () => {
    const { problems, invocations } = check(files, set);
    expect(show(problems)).toEqual([]);
    // the scanner found what the docs hold (a broken scanner would pass with nothing)
    expect(invocations).toBeGreaterThan(100);
  });

  it('every --flag written anywhere in them is an option of some command (or of another tool, listed)', () => {
    const { unknown } = check(files, set);
    expect(unknown.map((u) => `${u.where}: ${u.flag}`)).toEqual([]);
  });

  it('every command is named in them, as `loginsync <command>` (its row in the README, or its page)', () => {
    const { named } = check(files, set);
    expect(set.paths.length).toBeGreaterThan(15);
    expect(set.paths.filter((p) => !named.has(p))).toEqual([]);
  });

  it('every relative link and anchor leads somewhere', () => {
    expect(show(files.flatMap(({ file, md }) => brokenLinks(file, md)))).toEqual([]);
  });
});

describe('the scanner', () => {
  const set = commandSet();
  const run = (md: string) => check([{ file: join(ROOT, 'docs', 'sample.md'), md }], set);

  it('finds a flag a command does not have, in a block, a span, a table and a continued line', () => {
    const md = [
      '```sh',
      'loginsync run --trigger 30s --no-such-flag   # comment --not-checked',
      'npx loginsync stack up --secure \\',
      '  --brokers k:9092',
      'eval "$(loginsync stack up --bogus 2>/dev/null)"',
      '```',
      '',
      'Prose with `stack down --kill` and `loginsync offsets reset --group G --shift-by -3 -y`.',
      '',
      '| `loginsync stack stop\\|start NODE --kill` | `loginsync stack up [--nodes 3] [--secure \\| --mtlz]` |',
    ].join('\n');
    expect(show(run(md).problems)).toEqual([
      'docs/sample.md:8: loginsync stack down has no option --kill',
      'docs/sample.md:10: loginsync stack up has no option --mtlz',
      'docs/sample.md:2: loginsync run has no option --no-such-flag',
      'docs/sample.md:3: loginsync stack up has no option --brokers',
      'docs/sample.md:5: loginsync stack up has no option --bogus',
    ]);
    expect(run(md).unknown.map((u) => u.flag)).toEqual(['--no-such-flag', '--not-checked', '--bogus', '--mtlz']);
  });

  it('finds a command that does not exist, and takes values and global options as commander does', () => {
    const md = [
      '`loginsync stack restart`, `loginsync --verbose show tables`',
      '',
      '```sh',
      'loginsync run --group loginsync --checkpoint /var/lib/loginsync --no-read-ahead --no-color -g x',
      'CMD ["loginsync", "run", "--group", "loginsync"]',
      'loginsync run -g replay-$(date +%F) --starting-timestamp "$(date -d yesterday +%F) 08:00:00" --once',
      'source <(loginsync completion bash) && loginsync show users | head -n 3',
      'error: one; loginsync uses a sentence here, not a command',
      'kafka-acls.sh --add --allow-principal User:loginsync --group loginsync',
      '```',
    ].join('\n');
    expect(show(run(md).problems)).toEqual([
      'docs/sample.md:1: loginsync stack has no command restart',
      'docs/sample.md:1: loginsync show has no command tables',
    ]);
  });
});

describe('docs/configuration.md and docs/security.md', () => {
  it('name every setting a config file may hold, by its key or its flag', async () => {
    const { FILE_KEYS, spec } = await import('../../src/config/table.js');
    const page = ['configuration.md', 'security.md'].map((f) => readFileSync(join(ROOT, 'docs', f), 'utf8')).join('\n');
    // the connection's are named with their flags (security.md: TLS, SASL), the rest by key in the table
    const missing = FILE_KEYS.filter((k) => !page.includes(`\`${k}\``) && !page.includes(`\`${spec(k).flag}`));
    expect(missing, 'settings the two pages do not name').toEqual([]);
  });
});
