// README.md and DEVELOPERS.md render as written: every code fence is a line of its own that
// opens (```lang) and is closed, so no section after an example turns into code. (README's nginx
// example once ended with "``` Public responses carry…", which swallowed the rest of the page.)
// And every file the README's "where to find things" table names exists.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';

const read = (name: string) => readFileSync(join(projectRoot, name), 'utf8');

describe('project documents', () => {
  for (const name of ['README.md', 'DEVELOPERS.md']) {
    it(`${name}: every code fence stands alone on its line and is closed`, () => {
      const lines = read(name).split('\n');
      const fences = lines.map((line, i) => ({ line, n: i + 1 })).filter(({ line }) => line.includes('```'));
      expect(fences.filter(({ line }) => !/^```[a-z]*$/.test(line)).map(({ n, line }) => `${n}: ${line}`)).toEqual([]);
      expect(fences.length % 2, 'a fence is never closed').toBe(0);
      // A closing fence has no language: the odd ones (2nd, 4th…) are bare.
      expect(fences.filter((_, i) => i % 2 === 1 && fences[i].line !== '```').map(({ n }) => n)).toEqual([]);
    });
  }

  it("README's table of where to find things names files that exist", () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('### Where to find things'), readme.indexOf('How to add a command'));
    const paths = [...table.matchAll(/`((?:api|db|site|test|deploy)\/[^`\s:]+\.(?:ts|astro|conf|service))`/g)].map(
      (m) => m[1],
    );
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => !existsSync(join(projectRoot, p)))).toEqual([]);
  });
});
