/**
 * A linear pre-scan of a JSON body's text, run before JSON.parse, that refuses bodies whose shape
 * would make later steps slow or huge: a million keys take a second to parse, then cost Ajv (one
 * error per key), the error body (one entry per key) and the logger far more. Counting stops at the
 * first ceiling crossed, so a hostile body costs the scan microseconds, never the object it would
 * build. Nesting is checked here too: JSON.parse accepts a million levels, but anything that walks
 * the value recursively (validators, loggers, serialisers) overflows the stack near 10,000.
 *
 * The scan jumps from one structural character to the next with a regular expression and over
 * strings with indexOf, so a 13 MB data: URI or 13 MB of whitespace costs about as much as finding
 * its end. It does not validate: at the first misplaced character it stops and leaves the text to
 * JSON.parse, which refuses it at or before that point.
 */

/** Containers (objects, arrays) nested deeper than this are refused; the root is level 1. */
export const MAX_JSON_DEPTH = 32;
/** No input schema has more than a handful of properties; free-form objects (ideogram `style`) are small. */
export const MAX_KEYS_PER_OBJECT = 256;
/** Object members plus array elements, summed over the whole body. */
export const MAX_JSON_MEMBERS = 10_000;
/**
 * `\"` inside strings, summed over the body. Each one costs the scan a step (13 MiB of them would
 * take 150 ms); no text field holds more than MAX_STRING_LENGTH characters, and URLs hold none.
 */
export const MAX_ESCAPED_QUOTES = 100_000;

export interface JsonCeilings {
  maxDepth: number;
  maxKeysPerObject: number;
  maxMembers: number;
  maxEscapedQuotes: number;
}

export const JSON_CEILINGS: JsonCeilings = {
  maxDepth: MAX_JSON_DEPTH,
  maxKeysPerObject: MAX_KEYS_PER_OBJECT,
  maxMembers: MAX_JSON_MEMBERS,
  maxEscapedQuotes: MAX_ESCAPED_QUOTES,
};

export type JsonCeiling = keyof JsonCeilings;
/** `ok` means no ceiling was crossed; whether the text is JSON at all is for JSON.parse to say. */
export type ScanVerdict = { ok: true } | { ok: false; ceiling: JsonCeiling; limit: number };

const BACKSLASH = 0x5c;
const STRUCTURAL = /["{}[\]:,]/g;
const WHITESPACE = /[ \t\n\r]*/y;

interface Frame {
  isObject: boolean;
  /** Colons seen: the object's keys so far. */
  colons: number;
  commas: number;
}

export function scanJson(text: string, ceilings: JsonCeilings = JSON_CEILINGS): ScanVerdict {
  const refuse = (ceiling: JsonCeiling): ScanVerdict => ({ ok: false, ceiling, limit: ceilings[ceiling] });
  const stack: Frame[] = [];
  let members = 0;
  let escapedQuotes = 0;
  // Regular expressions with /g or /y keep their position in lastIndex: use private copies.
  const structural = new RegExp(STRUCTURAL);
  const whitespace = new RegExp(WHITESPACE);
  for (let match = structural.exec(text); match !== null; match = structural.exec(text)) {
    const at = match.index;
    const top = stack.at(-1);
    switch (text[at]) {
      case '"': {
        // The closing quote is the first one preceded by an even run of backslashes. A run cannot
        // reach back past the previous quote, so the walks add up to one pass at most.
        let from = at + 1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (quote === -1) return { ok: true };
          let before = quote - 1;
          while (text.charCodeAt(before) === BACKSLASH) before--;
          if ((quote - 1 - before) % 2 === 0) {
            structural.lastIndex = quote + 1;
            break;
          }
          if (++escapedQuotes > ceilings.maxEscapedQuotes) return refuse('maxEscapedQuotes');
          from = quote + 1;
        }
        break;
      }
      case '{':
      case '[': {
        if (stack.length >= ceilings.maxDepth) return refuse('maxDepth');
        stack.push({ isObject: text[at] === '{', colons: 0, commas: 0 });
        if (text[at] === '[') {
          // An array's elements are its commas plus one, unless it is empty.
          whitespace.lastIndex = at + 1;
          whitespace.test(text);
          const next = whitespace.lastIndex;
          if (next < text.length && text[next] !== ']' && ++members > ceilings.maxMembers) return refuse('maxMembers');
        }
        break;
      }
      case '}':
      case ']':
        if (top === undefined || top.isObject !== (text[at] === '}')) return { ok: true };
        stack.pop();
        break;
      case ':':
        // One colon per member, each after the comma that ends the member before it.
        if (!top?.isObject || top.colons !== top.commas) return { ok: true };
        if (++top.colons > ceilings.maxKeysPerObject) return refuse('maxKeysPerObject');
        if (++members > ceilings.maxMembers) return refuse('maxMembers');
        break;
      case ',':
        if (top === undefined) return { ok: true };
        if (top.isObject) {
          if (top.commas !== top.colons - 1) return { ok: true };
          top.commas++;
        } else if (++members > ceilings.maxMembers) return refuse('maxMembers');
        break;
    }
  }
  return { ok: true };
}
