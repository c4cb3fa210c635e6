import { describe, expect, it } from 'vitest';
import { decode, FutureGuard, MAX_ID_BYTES, type DecodeOptions } from '../../src/pipeline/decode.js';
import { UTC } from '../../src/pipeline/time.js';

const opts: DecodeOptions = { idField: 'login_id', timeField: 'created_time', zone: UTC };
const d = (v: string | Buffer | null, o = opts) => decode(typeof v === 'string' ? Buffer.from(v) : v, o);
const reason = (v: string | Buffer | null, o = opts) => {
  const r = d(v, o);
  return r.ok ? 'ok' : r.reason;
};

describe('decode', () => {
  it("decodes the seed's event", () => {
    expect(d('{"login_id":"100001","created_time":"2020-09-09 10:18:00"}')).toEqual({
      ok: true,
      id: '100001',
      timeMs: Date.parse('2020-09-09T10:18:00Z'),
    });
  });

  it('turns a numeric id into a string and ignores extra fields', () => {
    expect(d('{"login_id":100001,"created_time":"2020-09-09 10:18:00","ip":"1.2.3.4"}')).toMatchObject({
      ok: true,
      id: '100001',
    });
  });

  it('uses configured field names (seed 004: "Login Id")', () => {
    const o = { ...opts, idField: 'Login Id' };
    expect(d('{"Login Id":"7","created_time":"2020-09-09 10:18:00"}', o)).toMatchObject({ ok: true, id: '7' });
    expect(reason('{"login_id":"7","created_time":"2020-09-09 10:18:00"}', o)).toBe('Login Id missing');
  });

  it('names what is wrong with a malformed message', () => {
    expect(reason(null)).toBe('empty message');
    expect(reason('')).toBe('empty message');
    expect(reason('not json')).toBe('not JSON');
    expect(reason('{"login_id":"1","created_time":"2020-09-09 10:18:00"')).toBe('not JSON');
    expect(reason('[1,2]')).toBe('not a JSON object');
    expect(reason('"text"')).toBe('not a JSON object');
    expect(reason('null')).toBe('not a JSON object');
    expect(reason(Buffer.from([0xff, 0xfe, 0x7b]))).toBe('not valid UTF-8');
    expect(reason('{"created_time":"2020-09-09 10:18:00"}')).toBe('login_id missing');
    expect(reason('{"login_id":null,"created_time":"2020-09-09 10:18:00"}')).toBe(
      'login_id is null, expected a string',
    );
    expect(reason('{"login_id":["1"],"created_time":"2020-09-09 10:18:00"}')).toBe(
      'login_id is an array, expected a string',
    );
    expect(reason('{"login_id":{"a":1},"created_time":"2020-09-09 10:18:00"}')).toBe(
      'login_id is an object, expected a string',
    );
    expect(reason('{"login_id":true,"created_time":"2020-09-09 10:18:00"}')).toBe(
      'login_id is a boolean, expected a string',
    );
    expect(reason('{"login_id":"","created_time":"2020-09-09 10:18:00"}')).toBe('login_id is empty');
    expect(reason('{"login_id":12345678901234567890,"created_time":"2020-09-09 10:18:00"}')).toMatch(
      /would lose digits/,
    );
    expect(reason('{"login_id":1.5,"created_time":"2020-09-09 10:18:00"}')).toMatch(/not a whole number/);
    expect(reason(`{"login_id":"${'x'.repeat(MAX_ID_BYTES + 1)}","created_time":"2020-09-09 10:18:00"}`)).toMatch(
      /longer than 512 bytes/,
    );
    expect(reason('{"login_id":"1"}')).toBe('created_time missing');
    expect(reason('{"login_id":"1","created_time":1599646680000}')).toBe('created_time is a number, expected a string');
    expect(reason('{"login_id":"1","created_time":"yesterday"}')).toMatch(/created_time is not/);
  });

  it('is not fooled by __proto__ or duplicate keys', () => {
    expect(reason('{"__proto__":{"login_id":"1"},"created_time":"2020-09-09 10:18:00"}')).toBe('login_id missing');
    expect(d('{"login_id":"1","login_id":"2","created_time":"2020-09-09 10:18:00"}')).toMatchObject({
      ok: true,
      id: '2',
    });
  });

  it('reads plain messages without JSON.parse exactly as JSON.parse would', () => {
    const samples = [
      '{"login_id":"100001","created_time":"2020-09-09 10:18:00"}',
      '{"created_time":"2020-09-09 10:18:00","login_id":"100001"}',
      '{"login_id":"çağrı-ü","created_time":"2020-02-29T23:59:59.999Z"}',
      '{"login_id":"a\\"b","created_time":"2020-09-09 10:18:00"}',
      '{"login_id":"a\\u0041","created_time":"2020-09-09 10:18:00"}',
      '{"login_id":"","created_time":"2020-09-09 10:18:00"}',
      '{"login_id":"1","created_time":"1960-01-31 10:18:00"}',
      '{"login_id":"1","created_time":"2020-09-31 10:18:00"}',
      '{"login_id":"1","created_time":""}',
      '{"login_id":"1","created_time":"x"',
      '{"login_id":"1","login_id":"2","created_time":"2020-09-09 10:18:00"}',
      '{"login_id":"1","created_time":"2020-09-09 10:18:00","x":1}',
      '{"login_id":"1","created_time":"2020-09-09 10:18:00"}}',
    ];
    for (const text of samples) {
      // the same message with a space after "{" always takes the JSON.parse path
      const viaParse = d(text.replace(/^\{/, '{ '));
      expect(d(text), text).toEqual(viaParse);
    }
    expect(d(samples[3]!)).toMatchObject({ ok: true, id: 'a"b' });
    expect(d(samples[4]!)).toMatchObject({ ok: true, id: 'aA' });
  });

  it('refuses a time more than --max-future ahead of the clock, accepts one exactly at the limit, and follows the clock', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const o: DecodeOptions = { ...opts, future: new FutureGuard(3_600_000, () => now) };
    const at = (time: string) => reason(`{"login_id":"1","created_time":"${time}"}`, o);
    expect(at('2026-01-01 01:00:00')).toBe('ok');
    expect(at('2026-01-01 01:00:00.001')).toBe("created_time in the future: more than 1h00m ahead of the run's clock");
    expect(at('9999-12-31 23:59:59')).toMatch(/^created_time in the future/);
    expect(at('2020-09-09 10:18:00')).toBe('ok');
    now += 1000;
    expect(at('2026-01-01 01:00:01')).toBe('ok');
    expect(at('2026-01-01 01:00:01.001')).toMatch(/in the future/);
    // the configured field name, and no guard: anything goes
    expect(reason('{"Login Id":"1","ts":"2026-01-01 02:00:00"}', { ...o, idField: 'Login Id', timeField: 'ts' })).toBe(
      "ts in the future: more than 1h00m ahead of the run's clock",
    );
    expect(reason('{"login_id":"1","created_time":"9999-12-31 23:59:59"}')).toBe('ok');
  });
});
