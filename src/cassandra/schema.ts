import { UserError } from '../errors.js';
import type { CassandraClient } from './client.js';

/** A schema change waits for the nodes to agree: longer than a request may (the client's 20 s). */
const DDL_TIMEOUT_MS = 60_000;

/** Runs a schema (or role) change, with the time such a change may take. */
export async function changeSchema(
  client: CassandraClient,
  cql: string,
  options: { prepare?: boolean } = {},
): Promise<void> {
  await client.execute(cql, [], { ...options, readTimeout: DDL_TIMEOUT_MS });
}

/**
 * The table loginsync works on, as in the seed: users(login_id text PRIMARY KEY, user_name text, last_login timestamp).
 */
export const USERS_COLUMNS = [
  { name: 'login_id', type: 'text', kind: 'partition_key' },
  { name: 'user_name', type: 'text', kind: 'regular' },
  { name: 'last_login', type: 'timestamp', kind: 'regular' },
] as const;

export type Replication =
  | { class: 'SimpleStrategy'; replicationFactor: number }
  | { class: 'NetworkTopologyStrategy'; dcs: Record<string, number> };

/**
 * Parses --replication: "SimpleStrategy:3", "NetworkTopologyStrategy:dc1=3,dc2=2" (the class names may be
 * shortened to "simple" and "nts").
 */
export function parseReplication(text: string): Replication {
  const m = /^\s*([A-Za-z]+)\s*:\s*(.+?)\s*$/.exec(text);
  const bad = () =>
    new UserError(`--replication: "${text}" should look like SimpleStrategy:1 or NetworkTopologyStrategy:dc1=3,dc2=2`);
  if (!m) throw bad();
  const cls = m[1]!.toLowerCase();
  const rest = m[2]!;
  if (cls === 'simplestrategy' || cls === 'simple') {
    if (!/^\d+$/.test(rest) || Number(rest) < 1) throw bad();
    return { class: 'SimpleStrategy', replicationFactor: Number(rest) };
  }
  if (cls === 'networktopologystrategy' || cls === 'nts') {
    const dcs: Record<string, number> = {};
    for (const part of rest.split(',')) {
      const pm = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(\d+)\s*$/.exec(part);
      if (!pm || Number(pm[2]) < 1) throw bad();
      dcs[pm[1]!] = Number(pm[2]);
    }
    return { class: 'NetworkTopologyStrategy', dcs };
  }
  throw bad();
}

/** The CQL map literal of a replication setting. Data center names were checked to be [A-Za-z0-9_.-]. */
export function replicationCql(r: Replication): string {
  if (r.class === 'SimpleStrategy') return `{'class': 'SimpleStrategy', 'replication_factor': ${r.replicationFactor}}`;
  const dcs = Object.entries(r.dcs)
    .map(([dc, n]) => `'${dc}': ${n}`)
    .join(', ');
  return `{'class': 'NetworkTopologyStrategy', ${dcs}}`;
}

export type Outcome = 'created' | 'exists';

/** keyspace and table are validated identifiers (config/validate.ts), never user text as is. */
export async function ensureKeyspace(
  client: CassandraClient,
  keyspace: string,
  replication: Replication,
): Promise<Outcome> {
  const rs = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [
    keyspace,
  ]);
  if (rs.rows.length > 0) return 'exists';
  await changeSchema(
    client,
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replicationCql(replication)}`,
  );
  return 'created';
}

export interface ColumnInfo {
  name: string;
  type: string;
  kind: string;
}

export async function tableColumns(client: CassandraClient, keyspace: string, table: string): Promise<ColumnInfo[]> {
  const rs = await client.execute(
    'SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
    [keyspace, table],
  );
  return rs.rows.map((r) => ({ name: String(r.column_name), type: String(r.type), kind: String(r.kind) }));
}

/**
 * What differs between a table's columns and the users table loginsync needs; empty when it fits.
 * Extra regular columns are fine (loginsync only ever writes last_login).
 */
export function shapeDifferences(columns: ColumnInfo[]): string[] {
  const diffs: string[] = [];
  const byName = new Map(columns.map((c) => [c.name, c]));
  for (const want of USERS_COLUMNS) {
    const have = byName.get(want.name);
    if (!have) {
      diffs.push(
        `column ${want.name} is missing (expected ${want.type}${want.kind === 'partition_key' ? ' PRIMARY KEY' : ''})`,
      );
      continue;
    }
    if (have.type !== want.type) diffs.push(`column ${want.name} is ${have.type}, expected ${want.type}`);
    if (want.kind === 'partition_key' && have.kind !== 'partition_key') {
      diffs.push(`column ${want.name} is not the primary key`);
    }
  }
  for (const have of columns) {
    if (have.name === 'login_id') continue;
    if (have.kind === 'partition_key' || have.kind === 'clustering') {
      diffs.push(`column ${have.name} is part of the primary key, expected login_id alone`);
    }
  }
  return diffs;
}

export async function ensureUsersTable(client: CassandraClient, keyspace: string, table: string): Promise<Outcome> {
  const columns = await tableColumns(client, keyspace, table);
  if (columns.length > 0) {
    const diffs = shapeDifferences(columns);
    if (diffs.length > 0) {
      throw new UserError(`table ${keyspace}.${table} exists with another shape: ${diffs.join('; ')}`, {
        hint:
          `loginsync needs ${table}(login_id text PRIMARY KEY, user_name text, last_login timestamp); ` +
          'use another --table or fix the table',
      });
    }
    return 'exists';
  }
  await changeSchema(
    client,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.${table} (login_id text PRIMARY KEY, user_name text, last_login timestamp)`,
  );
  return 'created';
}
