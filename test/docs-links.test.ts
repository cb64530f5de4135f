/**
 * Every relative markdown link and #anchor in README.md and docs/*.md resolves: the file
 * exists, and an anchor names a heading of the target file (GitHub's slug rules: lower
 * case, punctuation dropped, spaces to hyphens, repeats numbered -1, -2...).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function withoutCode(md: string): string {
  // Fenced blocks and inline code hold examples, not links.
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

export function slugs(md: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  const text = md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = m[1]
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of md.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1]);
  return out;
}

function docFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f));
  return ['README.md', ...docs];
}

test('slugs follow GitHub: punctuation dropped, repeats numbered', () => {
  const s = slugs('# A `b` (c)/d\n## Same\n## Same\n```\n# not a heading\n```\n');
  assert.deepEqual([...s], ['a-b-cd', 'same', 'same-1']);
});

test('every relative link and #anchor in README.md and docs/*.md resolves', () => {
  const broken: string[] = [];
  for (const file of docFiles()) {
    const md = readFileSync(join(root, file), 'utf8');
    const body = withoutCode(md);
    const links = [
      ...[...body.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
      ...[...body.matchAll(/^\s*\[[^\]]+\]:\s+(\S+)/gm)].map((m) => m[1]),
    ];
    for (const link of links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto:
      const [path, anchor] = link.split('#', 2);
      const target = path === '' ? join(root, file) : join(root, dirname(file), decodeURIComponent(path));
      if (!existsSync(target)) {
        broken.push(`${file}: ${link} (no such file)`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (statSync(target).isDirectory() || !target.endsWith('.md')) {
        broken.push(`${file}: ${link} (anchor into a non-markdown target)`);
        continue;
      }
      if (!slugs(readFileSync(target, 'utf8')).has(decodeURIComponent(anchor).toLowerCase())) {
        broken.push(`${file}: ${link} (no heading #${anchor} in ${relative(root, target)})`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
