/**
 * Duplicate keys in JSON text. RFC 8259 §4 says an object's names SHOULD be unique and that
 * parsers differ when they are not: `JSON.parse` keeps the last, other parsers the first or
 * both. A body one component reads one way and another the other way (a proxy that screens
 * the first `amount`, the workflow that uses the last) is a body to refuse, so the API refuses
 * any object, at any depth, that names a key twice.
 *
 * One pass over the text, each character looked at once, with a set of keys per open object:
 * linear in the text's length (which the body limit bounds), never quadratic, and iterative
 * (a deeply nested text costs an array of frames, not the stack).
 */

/** Where a key was named twice: the path to it (keys and array indexes, outermost first). */
export interface DuplicateKey {
  readonly path: readonly string[];
}

interface Frame {
  /** The object's keys so far; undefined in an array. */
  readonly keys: Set<string> | undefined;
  /** The key being read (object) or the index (array): the path segment of this level. */
  key: string;
  index: number;
  /** In an object: whether the next string is a key. */
  expectKey: boolean;
}

const openObject = 0x7b;
const closeObject = 0x7d;
const openArray = 0x5b;
const closeArray = 0x5d;
const comma = 0x2c;
const quote = 0x22;

/** The index of the `"` that closes the string opening at `start` (`text[start]` is `"`). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c)
      i += 2; // a backslash escapes the next character
    else if (c === quote) return i;
    else i += 1;
  }
  return i;
}

/**
 * The first key named twice in one object of `text` (JSON that `JSON.parse` accepted), or
 * undefined. Keys are compared as decoded (`"a"` and `"\u0061"` are one key).
 * @example findDuplicateKey('{"a":{"b":1,"b":2}}')?.path // ['a', 'b']
 */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const frames: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = frames[frames.length - 1];
    if (c === openObject) frames.push({ keys: new Set(), key: '', index: 0, expectKey: true });
    else if (c === openArray) frames.push({ keys: undefined, key: '', index: 0, expectKey: false });
    else if (c === closeObject || c === closeArray) frames.pop();
    else if (c === comma && top !== undefined) {
      if (top.keys === undefined) top.index += 1;
      else top.expectKey = true;
    } else if (c === quote) {
      const end = stringEnd(text, i);
      if (top?.keys !== undefined && top.expectKey) {
        const raw = text.slice(i, end + 1);
        const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        top.key = key;
        top.expectKey = false;
        if (top.keys.has(key))
          return {
            path: frames.map((frame) =>
              frame.keys === undefined ? String(frame.index) : frame.key,
            ),
          };
        top.keys.add(key);
      }
      i = end;
    }
  }
  return undefined;
}
