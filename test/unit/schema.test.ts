import { describe, expect, it } from 'vitest';
import { parseReplication, replicationCql, shapeDifferences, type ColumnInfo } from '../../src/cassandra/schema.js';

describe('replication', () => {
  it('parses both strategies into CQL', () => {
    expect(replicationCql(parseReplication('SimpleStrategy:3'))).toBe(
      "{'class': 'SimpleStrategy', 'replication_factor': 3}",
    );
    expect(replicationCql(parseReplication('NetworkTopologyStrategy:dc1=3,dc-2=2'))).toBe(
      "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc-2': 2}",
    );
    expect(parseReplication('nts:dc1=1')).toEqual({ class: 'NetworkTopologyStrategy', dcs: { dc1: 1 } });
  });

  it('refuses what it cannot express safely', () => {
    for (const bad of ['3', 'SimpleStrategy:0', "nts:dc1'=3", 'nts:dc1', 'Other:1', 'nts:dc1=3;DROP']) {
      expect(() => parseReplication(bad), bad).toThrow(/--replication/);
    }
  });
});

const good: ColumnInfo[] = [
  { name: 'login_id', type: 'text', kind: 'partition_key' },
  { name: 'user_name', type: 'text', kind: 'regular' },
  { name: 'last_login', type: 'timestamp', kind: 'regular' },
];

describe('users table shape', () => {
  it('accepts the seed table, with extra regular columns too', () => {
    expect(shapeDifferences(good)).toEqual([]);
    expect(shapeDifferences([...good, { name: 'email', type: 'text', kind: 'regular' }])).toEqual([]);
  });

  it('says what differs', () => {
    const wrong = good
      .map((c) => (c.name === 'last_login' ? { ...c, type: 'text' } : c))
      .filter((c) => c.name !== 'user_name');
    expect(shapeDifferences(wrong)).toEqual([
      'column user_name is missing (expected text)',
      'column last_login is text, expected timestamp',
    ]);
    const composite = [...good, { name: 'day', type: 'date', kind: 'clustering' }];
    expect(shapeDifferences(composite)).toEqual(['column day is part of the primary key, expected login_id alone']);
  });
});
