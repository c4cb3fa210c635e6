// The kinds of value a setting takes: each parses the raw text (from a flag, a variable, a config file or
// the table's default) into the value the code uses, or throws a UsageError naming where the text came
// from. Each also says how a config file may write it (for the file check and the JSON Schema).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { checkZone } from '../pipeline/time.js';
import { parseDuration } from '../pipeline/trigger.js';
import { parseCqlName, parseHostList, parsePositiveInt, parseTopicName } from './validate.js';

/** What a config file may hold for a setting: JSON types, in the schema's words. */
export type JsonKind = 'string' | 'boolean' | 'number' | 'array';

export interface Kind<T> {
  (raw: string | string[], what: string): T;
  /** the JSON types a config file may use (a string always works: it is parsed as a flag's text is) */
  json: readonly JsonKind[];
  /** the values it takes, for help, completion and the schema */
  choices?: readonly string[];
  /** a path: relative to the config file that holds it, not to the current directory */
  path?: boolean;
  /** the value as config show prints it, where String() would not say it well */
  show?(value: T): string;
}

const kind = <T>(parse: (raw: string | string[], what: string) => T, json: readonly JsonKind[], extra = {}) =>
  Object.assign(parse, { json, ...extra }) as Kind<T>;

export const text = kind(
  (raw, what) => {
    const v = String(raw).trim();
    if (v === '') throw new UsageError(`${what}: must not be empty`);
    return v;
  },
  ['string'],
);

/** A switch: true or false (1/0, yes/no, on/off in a variable). */
export const bool = kind(
  (raw, what) => {
    const v = String(raw).trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
    throw new UsageError(`${what}: "${String(raw)}" is not true or false`);
  },
  ['boolean', 'string'],
);

/** A file that must exist, made absolute. */
export const file = kind(
  (raw, what) => {
    const p = resolve(text(raw, what));
    if (!existsSync(p)) throw new UsageError(`${what}: file ${p} does not exist`);
    return p;
  },
  ['string'],
  { path: true },
);

/** A path that may not exist yet (made by the command), as given; in a config file, relative to it. */
export const path = kind((raw, what) => text(raw, what), ['string'], { path: true });

/** Text taken as it is (a login id, an offsets JSON): the command checks it. */
export const asGiven = kind((raw) => String(raw), ['string']);

/** A password: taken as it is, never trimmed. */
export const password = asGiven;

export function oneOf<T extends string>(choices: readonly T[]): Kind<T> {
  return kind(
    (raw, what) => {
      const v = String(raw).trim().toLowerCase();
      const hit = choices.find((c) => c === v || c.replace(/_/g, '-') === v);
      if (!hit) throw new UsageError(`${what}: "${String(raw)}" is not one of ${choices.join(', ')}`);
      return hit;
    },
    ['string'],
    { choices },
  );
}

/** host:port,... (a list in a config file too), each with the default port where it has none. */
export const hosts = (defaultPort: number) =>
  kind((raw, what) => parseHostList(raw, defaultPort, what), ['string', 'array']);

export const cqlName = kind((raw, what) => parseCqlName(String(raw), what), ['string']);
export const topicName = kind((raw, what) => parseTopicName(String(raw), what), ['string']);

/** A whole number within bounds (1 and up unless told). */
export const int = (bounds: { min?: number; max?: number } = {}) =>
  kind((raw, what) => parsePositiveInt(String(raw).trim(), what, bounds), ['number', 'string']);

export const port = int({ min: 1, max: 65535 });

/** A consumer group id, as Kafka takes it: 1 to 255 characters. */
export const groupId = kind(
  (raw, what) => {
    const v = String(raw);
    if (v.trim() === '' || v.length > 255) throw new UsageError(`${what}: 1 to 255 characters`);
    return v;
  },
  ['string'],
);

/** An IANA time zone name, checked. */
export const zone = kind(
  (raw, what) => {
    const name = text(raw, what);
    const z = checkZone(name);
    if (typeof z === 'string') throw new UsageError(`${what}: ${z}`);
    return name;
  },
  ['string'],
);

export interface DurationRules {
  /** a bare number is seconds (where it always was: `stack --timeout 5`); else it needs a unit */
  bareSeconds?: boolean;
  /** 0 is allowed (an immediate trigger) */
  zero?: boolean;
  /** the least it may be, in ms */
  minMs?: number;
  /** a word that means "none" (the value is then null), e.g. "off" */
  off?: string;
}

/** A duration with a unit (500ms, 30s, 5m, 1h, "30 seconds"), in ms. */
export function duration(rules: DurationRules & { off: string }): Kind<number | null>;
export function duration(rules?: DurationRules): Kind<number>;
export function duration(rules: DurationRules = {}): Kind<number | null> {
  return kind(
    (raw, what) => {
      const t = String(raw).trim();
      if (rules.off !== undefined && t.toLowerCase() === rules.off) return null;
      const ms = rules.bareSeconds && /^\d+(\.\d+)?$/.test(t) ? Number(t) * 1000 : parseDuration(t);
      const example = rules.zero ? '500ms, 30s, 1m, "30 seconds", 0' : '30s, 5m, 1h';
      if (ms === undefined || (ms === 0 && !rules.zero) || ms < 0)
        throw new UsageError(`${what}: "${t}" is not ${rules.zero ? 'an interval' : 'a duration'} (e.g. ${example})`);
      if (rules.minMs !== undefined && ms < rules.minMs)
        throw new UsageError(`${what}: "${t}" is less than the least allowed, ${rules.minMs / 1000} s`);
      return ms;
    },
    rules.bareSeconds ? ['string', 'number'] : ['string'],
    { show: (ms: number | null) => (ms === null ? String(rules.off) : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`) },
  );
}

/** A heap size for a JVM: 512m, 1g. */
export const heapSize = kind(
  (raw, what) => {
    const v = String(raw).trim();
    if (!/^\d+[mMgG]$/.test(v)) throw new UsageError(`${what}: heap size "${v}" should look like 512m or 1g`);
    return v.toLowerCase();
  },
  ['string'],
);
