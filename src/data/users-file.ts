import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { parseEventTime, UTC } from '../pipeline/time.js';

export interface SeedUser {
  login_id: string;
  user_name: string | null;
  /** ms since epoch, or null */
  last_login: number | null;
}

/** Splits CSV text into rows of fields (RFC 4180: quoted fields, "" for a quote, newlines in quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += ch;
  }
  if (quoted) throw new UserError('CSV: a quoted field is not closed');
  row.push(field);
  if (row.length > 1 || row[0] !== '') rows.push(row);
  return rows;
}

function toUser(raw: Record<string, unknown>, where: string): SeedUser {
  const id = raw.login_id;
  if (typeof id !== 'string' && typeof id !== 'number') throw new UserError(`${where}: login_id missing or not a string`);
  const loginId = String(id);
  if (loginId === '') throw new UserError(`${where}: login_id is empty`);
  const name = raw.user_name;
  if (name !== undefined && name !== null && typeof name !== 'string') throw new UserError(`${where}: user_name must be a string`);
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

/** Reads users from a JSON array or a CSV file with a header (login_id[,user_name][,last_login]); times in UTC. */
export function readUsersFile(path: string): SeedUser[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new UserError(`${path}: not valid JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new UserError(`${path}: expected a JSON array of users`);
    return parsed.map((u, i) => {
      if (u === null || typeof u !== 'object' || Array.isArray(u)) throw new UserError(`${path}: item ${i + 1} is not an object`);
      return toUser(u as Record<string, unknown>, `${path}: item ${i + 1}`);
    });
  }
  const rows = parseCsv(text);
  if (rows.length === 0) return [];
  const header = rows[0]!.map((h) => h.trim().toLowerCase());
  if (!header.includes('login_id')) throw new UserError(`${path}: the CSV header must name login_id (and may name user_name, last_login)`);
  for (const h of header) {
    if (!['login_id', 'user_name', 'last_login'].includes(h)) throw new UserError(`${path}: unknown CSV column "${h}"`);
  }
  return rows.slice(1).map((r, i) => {
    const o: Record<string, unknown> = {};
    header.forEach((h, j) => { o[h] = r[j] ?? ''; });
    if (o.user_name === '') o.user_name = null;
    return toUser(o, `${path}: line ${i + 2}`);
  });
}

/** n synthetic users for benchmarks: ids from `start` upwards, last_login spread over 2019. */
export function* syntheticUsers(n: number, start = 1_000_000): Generator<SeedUser> {
  const base = Date.UTC(2019, 0, 1);
  for (let i = 0; i < n; i++) {
    yield { login_id: String(start + i), user_name: `user_${start + i}`, last_login: base + ((i * 7919) % 31_536_000) * 1000 };
  }
}
