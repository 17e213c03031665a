// The project's documents (README.md, CONTRIBUTING.md, docs/*.md) render as written: every code
// fence is a line of its own that opens (```lang) and is closed, so no section after an example
// turns into code. (The README's nginx example once ended with "``` Public responses carry…",
// which swallowed the rest of the page.) Every file CONTRIBUTING's "where to find things" table
// names exists, every link between the documents reaches a file and a heading that exist, and the
// README stays short enough for a newcomer (what it is, the two commands, configuration, picture).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../api/paths.ts';

const read = (name: string) => readFileSync(join(projectRoot, name), 'utf8');
const documents = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(projectRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The text outside code fences, where links and headings count. */
function prose(text: string): string {
  return text.replace(/^```[a-z]*\n[\s\S]*?^```$/gm, '');
}

describe('project documents', () => {
  for (const name of documents) {
    it(`${name}: every code fence stands alone on its line and is closed`, () => {
      const lines = read(name).split('\n');
      const fences = lines.map((line, i) => ({ line, n: i + 1 })).filter(({ line }) => line.includes('```'));
      expect(fences.filter(({ line }) => !/^```[a-z]*$/.test(line)).map(({ n, line }) => `${n}: ${line}`)).toEqual([]);
      expect(fences.length % 2, 'a fence is never closed').toBe(0);
      // A closing fence has no language: the odd ones (2nd, 4th…) are bare.
      expect(fences.filter((_, i) => i % 2 === 1 && fences[i].line !== '```').map(({ n }) => n)).toEqual([]);
    });
  }

  it('every link between the documents reaches a file and a heading that exist', () => {
    const broken: string[] = [];
    for (const name of documents) {
      for (const [, target] of prose(read(name)).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue; // http(s), mailto
        const [file, anchor] = target.split('#');
        const path = file ? normalize(join(dirname(name), file)) : name;
        if (!existsSync(join(projectRoot, path))) {
          broken.push(`${name}: ${target} (no such file)`);
          continue;
        }
        if (anchor && path.endsWith('.md')) {
          const headings = [...prose(read(path)).matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1]));
          if (!headings.includes(anchor)) broken.push(`${name}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README stays short: at most 200 lines, with both commands as written', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });

  it("CONTRIBUTING's table of where to find things names files that exist", () => {
    const guide = read('CONTRIBUTING.md');
    const table = guide.slice(guide.indexOf('## Where to find things'), guide.indexOf('## Adding a command'));
    const paths = [...table.matchAll(/`((?:api|db|site|test|deploy)\/[^`\s:]+\.(?:ts|astro|conf|service))`/g)].map(
      (m) => m[1],
    );
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => !existsSync(join(projectRoot, p)))).toEqual([]);
  });

  it('code comments give the reason, not a tracker number (a number means nothing to the next reader)', () => {
    const sources = execFileSync('git', ['ls-files', 'api', 'db', 'site', 'test', '*.mjs', '*.ts'], {
      cwd: projectRoot,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => /\.(ts|astro|mjs)$/.test(f) && existsSync(join(projectRoot, f)));
    expect(sources.length).toBeGreaterThan(100);
    const hits = sources.flatMap((f) =>
      read(f)
        .split('\n')
        .map((line, i) => ({ line, at: `${f}:${i + 1}` }))
        .filter(({ line }) => /\b[Ii]ssues? #?\d+\b/.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(hits).toEqual([]);
  });
});
