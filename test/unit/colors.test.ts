import { describe, expect, it } from 'vitest';
import { colorLevel } from '../../src/ui/output.js';

describe('colors', () => {
  const tty = (depth = 8) => ({ isTTY: true, getColorDepth: () => depth });
  const pipe = { isTTY: false };
  it('a terminal gets what it has, a pipe none; --no-color, NO_COLOR, NODE_DISABLE_COLORS and TERM=dumb turn them off', () => {
    expect(colorLevel(tty(8), {}, [])).toBe(2);
    expect(colorLevel(tty(24), {}, [])).toBe(3);
    expect(colorLevel(tty(1), {}, [])).toBe(0);
    expect(colorLevel(pipe, {}, [])).toBe(0);
    expect(colorLevel(tty(), { NO_COLOR: '1' }, [])).toBe(0);
    expect(colorLevel(tty(), { NO_COLOR: '' }, [])).toBe(2);
    expect(colorLevel(tty(), { NODE_DISABLE_COLORS: '1' }, [])).toBe(0);
    expect(colorLevel(tty(), { TERM: 'dumb' }, [])).toBe(0);
    expect(colorLevel(tty(), {}, ['node', 'loginsync', 'show', 'users', '--no-color'])).toBe(0);
    // after "--" it is an argument, not the flag
    expect(colorLevel(tty(), {}, ['node', 'loginsync', '--', '--no-color'])).toBe(2);
  });

  it('FORCE_COLOR: "", 1 and true give 16 colors, 2 and 3 more, 0 and false none, on a pipe too; --no-color still wins', () => {
    for (const [v, level] of [
      ['', 1],
      ['1', 1],
      ['true', 1],
      ['2', 2],
      ['3', 3],
      ['0', 0],
      ['false', 0],
    ] as const) {
      expect(colorLevel(pipe, { FORCE_COLOR: v }, []), `FORCE_COLOR=${v}`).toBe(level);
      expect(colorLevel(tty(), { FORCE_COLOR: v, TERM: 'dumb' }, []), `FORCE_COLOR=${v} TERM=dumb`).toBe(level);
    }
    // as Node does: a FORCE_COLOR set on purpose beats NO_COLOR
    expect(colorLevel(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' }, [])).toBe(1);
    expect(colorLevel(pipe, { FORCE_COLOR: '1' }, ['--no-color'])).toBe(0);
  });
});
