import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { parseEventTime, UTC } from '../pipeline/time.js';

export interface SeedUser {
  login_id: string;
  user_name: string | null;
  /** ms since epoch, or null */
  last_login: number | null;
}

/** A CSV row, with the line of the file it starts on (1-based). */
export interface CsvRow {
  fields: string[];
  line: number;
}

/**
 * Splits CSV text into rows of fields (RFC 4180: quoted fields, "" for a quote, newlines in quotes),
 * each with the line it starts on; blank lines are skipped, and count.
 */
export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endRow = () => {
    row.push(field);
    field = '';
    if (row.length > 1 || row[0] !== '') rows.push({ fields: row, line: rowLine });
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') {
        i++;
        line++;
      }
      endRow();
      rowLine = line;
    } else field += ch;
  }
  if (quoted) throw new UserError(`CSV: the quoted field of line ${rowLine} is not closed`);
  endRow();
  return rows;
}

function toUser(raw: Record<string, unknown>, where: string): SeedUser {
  const id = raw.login_id;
  if (typeof id !== 'string' && typeof id !== 'number')
    throw new UserError(`${where}: login_id missing or not a string`);
  const loginId = String(id);
  if (loginId === '') throw new UserError(`${where}: login_id is empty`);
  const name = raw.user_name;
  if (name !== undefined && name !== null && typeof name !== 'string')
    throw new UserError(`${where}: user_name must be a string`);
  const last = raw.last_login;
  let lastLogin: number | null = null;
  if (last !== undefined && last !== null && last !== '') {
    if (typeof last !== 'string') throw new UserError(`${where}: last_login must be a "yyyy-MM-dd HH:mm:ss" string`);
    const t = parseEventTime(last.trim(), UTC);
    if (!t.ok) throw new UserError(`${where}: last_login "${last}": ${t.reason.replace('created_time', 'last_login')}`);
    lastLogin = t.ms;
  }
  return { login_id: loginId, user_name: typeof name === 'string' ? name : null, last_login: lastLogin };
}

const FORMATS =
  'a JSON array of users, JSON Lines (one user object per line, .jsonl or .ndjson), ' +
  'or CSV with a header naming login_id (and user_name, last_login)';

/** Reads users from a JSON array, JSON Lines or a CSV file with a header; times in UTC. */
export function readUsersFile(path: string): SeedUser[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return parseUsers(text, path);
}

/** Users from a file's text; `name` (its path) picks JSON Lines by extension and prefixes every error. */
export function parseUsers(raw: string, name: string): SeedUser[] {
  const text = raw.startsWith('\uFEFF') ? raw.slice(1) : raw; // a byte order mark, as spreadsheet programs write
  const first = text.trimStart();
  if (/\.(jsonl|ndjson)$/i.test(name) || first.startsWith('{')) return jsonLines(text, name);
  if (first.startsWith('[')) return jsonArray(text, name);
  return csvUsers(text, name);
}

function jsonArray(text: string, name: string): SeedUser[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${name}: not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new UserError(`${name}: expected ${FORMATS}`);
  return parsed.map((u, i) => {
    if (u === null || typeof u !== 'object' || Array.isArray(u))
      throw new UserError(`${name}: item ${i + 1} is not an object`);
    return toUser(u as Record<string, unknown>, `${name}: item ${i + 1}`);
  });
}

function jsonLines(text: string, name: string): SeedUser[] {
  const out: SeedUser[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let u: unknown;
    try {
      u = JSON.parse(line);
    } catch (err) {
      throw new UserError(`${name}: line ${i + 1}: not valid JSON: ${(err as Error).message}`);
    }
    if (u === null || typeof u !== 'object' || Array.isArray(u))
      throw new UserError(`${name}: line ${i + 1} is not a JSON object`);
    out.push(toUser(u as Record<string, unknown>, `${name}: line ${i + 1}`));
  });
  return out;
}

function csvUsers(text: string, name: string): SeedUser[] {
  const rows = parseCsv(text);
  if (rows.length === 0) return [];
  const header = rows[0]!.fields.map((h) => h.trim().toLowerCase());
  if (!header.includes('login_id')) throw new UserError(`${name}: not a users file: expected ${FORMATS}`);
  for (const h of header) {
    if (!['login_id', 'user_name', 'last_login'].includes(h))
      throw new UserError(`${name}: unknown CSV column "${h}" (known: login_id, user_name, last_login)`);
  }
  return rows.slice(1).map(({ fields, line }) => {
    if (fields.length > header.length) {
      throw new UserError(
        `${name}: line ${line} has ${fields.length} fields, the header names ${header.length} ` +
          '(a comma in a value needs quotes)',
      );
    }
    const o: Record<string, unknown> = {};
    header.forEach((h, j) => {
      o[h] = fields[j] ?? '';
    });
    if (o.user_name === '') o.user_name = null;
    return toUser(o, `${name}: line ${line}`);
  });
}

/** n synthetic users for benchmarks: ids from `start` upwards, last_login spread over 2019. */
export function* syntheticUsers(n: number, start = 1_000_000): Generator<SeedUser> {
  const base = Date.UTC(2019, 0, 1);
  for (let i = 0; i < n; i++) {
    yield {
      login_id: String(start + i),
      user_name: `user_${start + i}`,
      last_login: base + ((i * 7919) % 31_536_000) * 1000,
    };
  }
}
