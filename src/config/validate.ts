import { UsageError } from '../errors.js';

/** host:port, with a default port when none is given. IPv6 literals go in brackets: [::1]:9092. */
export function parseHostPort(value: string, defaultPort: number, what: string): string {
  const v = value.trim();
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d+))?$/.exec(v);
  if (!m) throw new UsageError(`${what}: "${value}" is not host:port`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${what}: port in "${value}" must be 1-65535`);
  }
  return `${m[1]}:${port}`;
}

export function parseHostList(value: string | string[], defaultPort: number, what: string): string[] {
  const items = (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`${what}: at least one host:port is needed`);
  return items.map((s) => parseHostPort(s, defaultPort, what));
}

/**
 * A CQL name as loginsync uses it: an unquoted identifier (letter, then letters, digits, underscores,
 * at most 48 characters). Unquoted CQL names are case-insensitive, so it is folded to lower case, as
 * cqlsh does. Only names passing this check are ever put into a CQL statement.
 */
export function parseCqlName(value: string, what: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,47}$/.test(value)) {
    throw new UsageError(
      `${what}: "${value}" is not a valid name (a letter, then letters, digits or _, at most 48 characters)`,
    );
  }
  return value.toLowerCase();
}

/** Kafka's topic rules: 1-249 of [a-zA-Z0-9._-], not "." or "..". */
export function parseTopicName(value: string, what: string): string {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(value) || value === '.' || value === '..') {
    throw new UsageError(
      `${what}: "${value}" is not a valid Kafka topic name (1-249 of letters, digits, '.', '_', '-'; not '.' or '..')`,
    );
  }
  return value;
}

export function parsePositiveInt(value: string | number, what: string, { min = 1, max = 2 ** 31 - 1 } = {}): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${what}: "${value}" must be a whole number from ${min} to ${max}`);
  }
  return n;
}

export function parsePort(value: string | number, what: string): number {
  return parsePositiveInt(value, what, { min: 1, max: 65535 });
}
