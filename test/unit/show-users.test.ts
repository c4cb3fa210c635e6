import { describe, expect, it } from 'vitest';
import { SmallestRows, type UserRow } from '../../src/cassandra/users.js';
import { userJson } from '../../src/commands/show.js';
import { formatTimestamp } from '../../src/ui/format.js';

describe('show users helpers', () => {
  it('formats timestamps like the seed, in UTC', () => {
    expect(formatTimestamp(new Date('2020-09-09T10:18:00Z'))).toBe('2020-09-09 10:18:00');
    expect(userJson({ login_id: '1', user_name: null, last_login: null })).toEqual({
      login_id: '1',
      user_name: null,
      last_login: null,
    });
    expect(userJson({ login_id: '1', user_name: 'A', last_login: new Date(0) }).last_login).toBe(
      '1970-01-01T00:00:00.000Z',
    );
  });

  it('keeps only the smallest login_ids while rows stream past', () => {
    const keep = new SmallestRows(3);
    const ids = Array.from({ length: 5000 }, (_, i) => String(100000 + ((i * 7919) % 5000)));
    for (const id of ids) keep.add({ login_id: id, user_name: null, last_login: null } satisfies UserRow);
    expect(keep.seen).toBe(5000);
    expect(keep.result().map((r) => r.login_id)).toEqual(['100000', '100001', '100002']);
  });
});
