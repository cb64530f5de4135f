/**
 * The one cheap pass over a JSON body's text (valid JSON: it has been parsed) that the checks
 * JSON.parse cannot make share: it counts the member names (./repeated-key.ts compares the
 * count with the parsed objects' keys) and notes whether any number literal has more than 15
 * digits (./exact-numbers.ts then looks for one JSON.parse read as another number). Each is
 * looked at closely only when this pass says so, which on an order is never. The close look
 * both make is one walk (`walkMembers`) over every member name with the object it is in.
 */

/** Whether the last countNames saw a number literal with more than 15 digits. */
export let longNumberSeen = false;

/** Whether the last string stringEnd passed over had an escape. */
export let escaped = false;

/** Every member name of every object in `text` (valid JSON); sets longNumberSeen. */
export function countNames(text: string): number {
  // per open container: an object (true) or an array (false)
  const inObject: boolean[] = [];
  let expectKey = false;
  let names = 0;
  // digits of the number literal under way (its exponent's too: a few more looked at closely)
  let digits = 0;
  let long = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
      if (expectKey) {
        names++;
        expectKey = false;
      }
    } else if (c === 0x2c) {
      expectKey = inObject[inObject.length - 1] === true;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      // outside a string, a digit is a number literal's (true, false and null have none)
      if (++digits > 15) long = true;
    } else if (c === 0x7b) {
      inObject.push(true);
      expectKey = true;
    } else if (c === 0x5b) {
      inObject.push(false);
      expectKey = false;
      digits = 0;
    } else if (c === 0x7d || c === 0x5d) {
      inObject.pop();
      expectKey = false;
      digits = 0;
    }
  }
  longNumberSeen = long;
  return names;
}

/** The index of the string's closing quote, from its opening one at `i`; notes an escape. */
export function stringEnd(text: string, i: number): number {
  escaped = false;
  const n = text.length;
  for (i++; i < n; i++) {
    const d = text.charCodeAt(i);
    if (d === 0x22) break;
    if (d === 0x5c) {
      escaped = true;
      i++;
    }
  }
  return i;
}

/**
 * What `walkMembers` gives for each member name, in text order: the name (decoded), the index
 * of its closing quote (its value follows a ':'), the index of the '{' of the object it is in
 * (one object's members share it), and the names of the members the enclosing containers are
 * the values of, outermost first ('' for the outermost and for an array's elements). `under`
 * changes as the walk goes on: copy what is kept. Returning true ends the walk.
 */
export type MemberVisitor = (
  name: string,
  end: number,
  object: number,
  under: readonly string[],
) => boolean | undefined;

/** Gives `visit` every member name of every object in `text` (valid JSON), nested ones too. */
export function walkMembers(text: string, visit: MemberVisitor): void {
  // per open container: the index of its '{' (-1: an array), and the name it is the value of
  const open: number[] = [];
  const under: string[] = [];
  let expectKey = false;
  let last = '';
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      i = stringEnd(text, i);
      if (expectKey) {
        expectKey = false;
        // an escaped name is given decoded: "\u0061" and "a" are one name
        last = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
        if (visit(last, i, open[open.length - 1]!, under) === true) return;
      }
    } else if (c === 0x7b || c === 0x5b) {
      const parent = open[open.length - 1];
      under.push(parent === undefined || parent < 0 ? '' : last);
      open.push(c === 0x7b ? i : -1);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
      under.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = (open[open.length - 1] ?? -1) >= 0;
    }
  }
}
