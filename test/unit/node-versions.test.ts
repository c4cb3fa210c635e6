import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { satisfies } from 'semver';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
};

/** Every package the runtime dependencies pull in, with its engines.node (npm ls --omit=dev, read from disk). */
function runtimeEngines(): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (name: string, from: string) => {
    let file: string;
    try {
      file = createRequire(from).resolve(`${name}/package.json`);
    } catch {
      return; // a package that does not export its package.json: its engines cannot be read this way
    }
    if (out.has(file)) return;
    const p = JSON.parse(readFileSync(file, 'utf8')) as {
      engines?: { node?: string };
      dependencies?: Record<string, string>;
    };
    out.set(file, p.engines?.node ?? '*');
    for (const d of Object.keys(p.dependencies ?? {})) visit(d, file);
  };
  for (const d of Object.keys(pkg.dependencies)) visit(d, require.resolve('../../package.json'));
  return out;
}

describe('engines', () => {
  it('admits exactly the Node versions every runtime dependency supports', () => {
    const engines = runtimeEngines();
    expect(engines.size).toBeGreaterThan(20);
    for (const v of [
      '18.20.0',
      '20.16.0',
      '20.17.0',
      '20.20.2',
      '21.7.0',
      '22.12.0',
      '22.13.0',
      '23.4.0',
      '23.5.0',
      '24.11.0',
    ]) {
      const all = [...engines.values()].every((range) => satisfies(v, range));
      expect(satisfies(v, pkg.engines.node), `Node ${v}`).toBe(all);
    }
  });
});
