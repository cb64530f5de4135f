/**
 * A JSON object body that names one field twice (`{"account":"a",...,"account":"b"}`) is
 * ambiguous: JSON.parse keeps the last, another reader (a gateway, an audit log, a risk proxy
 * in front) may keep the first, so the order placed is not the one they saw. RFC 8259 leaves
 * the meaning open; the services refuse it (json-body.ts). Only the top-level object's names
 * are compared: every request body the services take is a flat object or an array.
 */

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The first top-level name of the object in `text` (valid JSON) given a second time, if any.
 * `names` (the parsed object's own key count), when given, makes the usual answer cheap: a
 * first pass only counts the members, and names them only when there are more than `names`.
 */
export function repeatedTopLevelKey(text: string, names?: number): string | undefined {
  if (names !== undefined && scan(text, undefined) === names) return undefined;
  const seen = new Set<string>();
  scan(text, seen);
  return repeated;
}

let repeated: string | undefined;

/** Counts the top-level members (-1: not an object); with `seen`, stops at a repeated name. */
function scan(text: string, seen: Set<string> | undefined): number {
  repeated = undefined;
  const n = text.length;
  let i = 0;
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== 0x7b) return -1;
  let members = 0;
  let depth = 0;
  let expectKey = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      let escaped = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x22) break;
        if (d === 0x5c) {
          escaped = true;
          i++;
        }
      }
      if (depth === 1 && expectKey) {
        members++;
        expectKey = false;
        if (seen !== undefined) {
          // An escaped name is compared decoded: "\u0061" and "a" are one name.
          const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
          if (seen.has(key)) {
            repeated = key;
            return members;
          }
          seen.add(key);
        }
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c && depth === 1) {
      expectKey = true;
    }
  }
  return members;
}
