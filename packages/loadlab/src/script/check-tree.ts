/**
 * check()'s rows as k6 shows them: by group. The top's checks first, then each group (in the
 * order first seen) with its own checks and its nested groups, as k6's summary prints them
 * (`█ catalog` above its checks) and as handleSummary's `root_group` and `--summary-export`
 * carry them (root_group.groups).
 */
import { createHash } from 'node:crypto';

export interface CheckRow {
  name: string;
  /** The check's group() path (`::catalog`, `::outer::inner`); absent at the top. */
  group?: string;
  passes: number;
  fails: number;
}

/** k6's group and check shape (handleSummary's root_group). */
export interface SummaryGroup {
  name: string;
  path: string;
  id: string;
  groups: SummaryGroup[];
  checks: { name: string; path: string; id: string; passes: number; fails: number }[];
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const group = (name: string, path: string): SummaryGroup => ({
  name,
  path,
  id: md5(path),
  groups: [],
  checks: [],
});

/** The rows as k6's root_group: ids are md5 of the path, as k6's. */
export function checkTree(rows: readonly CheckRow[]): SummaryGroup {
  const root = group('', '');
  for (const r of rows) {
    let g = root;
    const path = r.group ?? '';
    for (const name of path.split('::').slice(1)) {
      const p = `${g.path}::${name}`;
      let next = g.groups.find((x) => x.path === p);
      if (next === undefined) {
        next = group(name, p);
        g.groups.push(next);
      }
      g = next;
    }
    const cp = `${path}::${r.name}`;
    g.checks.push({ name: r.name, path: cp, id: md5(cp), passes: r.passes, fails: r.fails });
  }
  return root;
}

/** A group as treeLines walks it: k6's SummaryGroup, or a handleSummary's root_group as given. */
export interface TreeGroup<C> {
  name?: string;
  groups?: readonly TreeGroup<C>[];
  checks?: readonly C[];
}

/**
 * The tree as summary lines: `line(check, depth)` for each check, `█ NAME` for each group
 * (depth 0: the top), a blank line after each block, as k6 prints them.
 */
export function treeLines<C>(
  g: TreeGroup<C>,
  check: (c: C, depth: number) => string[],
  groupLine: (name: string, depth: number) => string,
  depth = 0,
): string[] {
  const out: string[] = [];
  const checks = g.checks ?? [];
  for (const c of checks) out.push(...check(c, depth));
  if (checks.length > 0) out.push('');
  for (const sub of g.groups ?? []) {
    out.push(groupLine(sub.name ?? '', depth), '');
    out.push(...treeLines(sub, check, groupLine, depth + 1));
  }
  return out;
}
