import { describe, expect, it } from 'vitest';
import { parseCsv, parseUsers } from '../../src/data/users-file.js';

const enes = { login_id: '100001', user_name: 'Enes', last_login: Date.UTC(2020, 8, 9, 10, 18) };

describe('users files', () => {
  it('CSV rows carry the line they start on: blank lines and quoted newlines count', () => {
    const rows = parseCsv('login_id,user_name\r\n\r\n1,"two\nlines"\n\n2,b\n');
    expect(rows.map((r) => [r.line, r.fields])).toEqual([
      [1, ['login_id', 'user_name']],
      [3, ['1', 'two\nlines']],
      [6, ['2', 'b']],
    ]);
  });

  it('CSV errors name the real line, and a row with more fields than the header is refused', () => {
    expect(() => parseUsers('login_id,last_login\n\n\n1,2020-13-01 00:00:00\n', 'u.csv')).toThrow(
      /^u\.csv: line 4: last_login/,
    );
    expect(() => parseUsers('login_id,user_name\n1,"a\nb"\n2,Smith, John\n', 'u.csv')).toThrow(
      'u.csv: line 4 has 3 fields, the header names 2',
    );
  });

  it('a byte order mark does not hide JSON or the CSV header', () => {
    expect(
      parseUsers('\uFEFF[{"login_id":"100001","user_name":"Enes","last_login":"2020-09-09 10:18:00"}]', 'u.json'),
    ).toEqual([enes]);
    expect(parseUsers('\uFEFFlogin_id,user_name,last_login\n100001,Enes,2020-09-09 10:18:00\n', 'u.csv')).toEqual([
      enes,
    ]);
  });

  it('JSON Lines, by extension or by content, errors naming the line', () => {
    const text = '{"login_id":"100001","user_name":"Enes","last_login":"2020-09-09 10:18:00"}\n\n{"login_id":7}\n';
    expect(parseUsers(text, 'users.jsonl')).toEqual([enes, { login_id: '7', user_name: null, last_login: null }]);
    expect(parseUsers(text, 'users.txt')).toHaveLength(2);
    expect(() => parseUsers('{"login_id":"1"}\n\nnot json\n', 'u.ndjson')).toThrow(
      /^u\.ndjson: line 3: not valid JSON/,
    );
    expect(() => parseUsers('{"login_id":"1"}\n[1]\n', 'u.jsonl')).toThrow('u.jsonl: line 2 is not a JSON object');
  });

  it('a file of none of these names the formats accepted', () => {
    expect(() => parseUsers('id;name\n1;a\n', 'u.txt')).toThrow(
      /not a users file: expected a JSON array of users, JSON Lines .*, or CSV with a header naming login_id/,
    );
  });
});
