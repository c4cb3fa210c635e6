import { describe, expect, it } from 'vitest';
import {
  parseCqlName,
  parseHostList,
  parseHostPort,
  parsePositiveInt,
  parseTopicName,
} from '../../src/config/validate.js';
import { UserError } from '../../src/errors.js';

describe('host lists', () => {
  it('adds the default port and keeps given ones', () => {
    expect(parseHostList('a, b:19092 ,127.0.0.1', 9092, '--brokers')).toEqual(['a:9092', 'b:19092', '127.0.0.1:9092']);
    expect(parseHostList(['x:1', 'y'], 9042, 'cassandra')).toEqual(['x:1', 'y:9042']);
    expect(parseHostPort('[::1]:9042', 9042, 'c')).toBe('[::1]:9042');
  });

  it('rejects bad ports and empty lists, naming the setting', () => {
    expect(() => parseHostList('a:70000', 9092, '--brokers')).toThrow(/--brokers: port in "a:70000"/);
    expect(() => parseHostList(' , ', 9092, 'LOGINSYNC_BROKERS')).toThrow(/LOGINSYNC_BROKERS/);
    expect(() => parseHostPort('a b:1', 9092, '--brokers')).toThrow(UserError);
  });
});

describe('names', () => {
  it('accepts CQL identifiers and folds them to lower case', () => {
    expect(parseCqlName('spark_db', '--keyspace')).toBe('spark_db');
    expect(parseCqlName('Users2', '--table')).toBe('users2');
  });

  it('refuses anything that could carry CQL', () => {
    for (const bad of ['users; DROP TABLE x', "a'b", '1abc', '', 'a-b', 'a'.repeat(49), 'ks.users', '"quoted"']) {
      expect(() => parseCqlName(bad, '--table'), bad).toThrow(/--table: .* is not a valid name/);
    }
  });

  it('follows Kafka topic rules', () => {
    expect(parseTopicName('logins.dlq-1_x', '-t')).toBe('logins.dlq-1_x');
    for (const bad of ['', '.', '..', 'a b', 'a/b', 'x'.repeat(250)]) {
      expect(() => parseTopicName(bad, '--topic'), bad).toThrow(/not a valid Kafka topic name/);
    }
  });
});

describe('numbers', () => {
  it('parses whole numbers within bounds', () => {
    expect(parsePositiveInt('3', '--partitions')).toBe(3);
    expect(parsePositiveInt('0', '--limit', { min: 0 })).toBe(0);
    expect(() => parsePositiveInt('0', '--partitions')).toThrow(/from 1/);
    expect(() => parsePositiveInt('1.5', '--partitions')).toThrow(UserError);
    expect(() => parsePositiveInt('2x', '--partitions')).toThrow(UserError);
  });
});
