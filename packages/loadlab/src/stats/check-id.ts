/**
 * A check's identity in counter keys (`check:<id>:pass|fail`): its group() path and its name,
 * as k6 keeps a check per group (`::catalog::status is 200` is not the top's `status is 200`).
 * At the top the id is the name alone (the keys of reports written before groups counted);
 * in a group it is the path, a unit separator (U+001F) and the name: a group name cannot hold
 * '::' but a check name can, so the path's own separator could not mark where the name starts.
 */
const SEP = '\u001f';

export function checkId(group: string, name: string): string {
  return group === '' ? name : `${group}${SEP}${name}`;
}

/** checkId's inverse. */
export function parseCheckId(id: string): { group: string; name: string } {
  const cut = id.startsWith('::') ? id.indexOf(SEP) : -1;
  return cut < 0 ? { group: '', name: id } : { group: id.slice(0, cut), name: id.slice(cut + 1) };
}
