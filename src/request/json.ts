// JSON the user gives (--restrictions, --rotation, --profile, their environment variables and
// files): read with a size limit, refused when nested too deeply (before anything recurses over
// it), and parsed with errors that say where the text stopped making sense.
import { UsageError } from '../errors.js';
import { expandHome } from '../config/config.js';
import { FileProblem, jsonDepthIndex, LIMITS, readLimited } from '../safefs.js';

type Env = Record<string, string | undefined>;

/** "at line L, column C" of an index into `text`. */
function position(text: string, i: number): string {
  let line = 1;
  for (let j = text.indexOf('\n'); j !== -1 && j < i; j = text.indexOf('\n', j + 1)) line++;
  const col = i - text.lastIndexOf('\n', i - 1);
  return `line ${line}, column ${col}`;
}


const WS = /[ \t\n\r]*/y;
const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Where JSON text stops being valid (an index into `text`), or -1 when it is valid. Only used to
 * point at the error: Node 20's JSON.parse names the position for some errors but not for others.
 * Iterative (a stack of open brackets), so no input makes it overflow the call stack.
 */
export function jsonErrorIndex(text: string): number {
  let i = 0;
  const stack: string[] = []; // '[' or '{' of each open container
  const skip = (re: RegExp): boolean => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  const ws = () => skip(WS);
  /** Skips the string at i (text[i] is '"'); false, with i where it stops being valid, when it is not one. */
  const string = (): boolean => {
    for (i++; i < text.length && text[i] !== '"'; i++) {
      if (text.charCodeAt(i) < 0x20) return false;
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}/.test(text.slice(i + 1, i + 5))) return false;
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) return false;
      }
    }
    if (i >= text.length) return false;
    i++;
    return true;
  };
  // expecting a value at i
  for (;;) {
    ws();
    const c = text[i];
    if (c === '[' || c === '{') {
      i++;
      ws();
      if (text[i] === (c === '[' ? ']' : '}')) {
        i++;
      } else {
        stack.push(c);
        if (c === '{') {
          if (text[i] !== '"') return i;
          if (!string()) return i;
          ws();
          if (text[i] !== ':') return i;
          i++;
        }
        continue;
      }
    } else if (c === '"') {
      if (!string()) return i;
    } else if (!skip(LITERAL)) {
      return i;
    }
    // after a value: close containers, or go on to the next member
    for (;;) {
      ws();
      const open = stack[stack.length - 1];
      if (open === undefined) return i < text.length ? i : -1;
      const close = open === '[' ? ']' : '}';
      if (text[i] === close) {
        stack.pop();
        i++;
        continue;
      }
      if (text[i] !== ',') return i;
      i++;
      if (open === '{') {
        ws();
        if (text[i] !== '"') return i;
        if (!string()) return i;
        ws();
        if (text[i] !== ':') return i;
        i++;
      }
      break;
    }
  }
}

/**
 * JSON.parse for JSON from the user (`where` names the flag, variable or file): refused when it
 * nests arrays and objects more than LIMITS.jsonDepth deep, so nothing that walks the value
 * afterwards (checks, error messages, the request body) can overflow the stack; an error says
 * where the text stopped making sense.
 */
export function parseJson(text: string, where: string): unknown {
  const deep = jsonDepthIndex(text);
  if (deep >= 0) {
    throw new UsageError(
      `${where}: JSON nested more than ${LIMITS.jsonDepth} levels deep (at ${position(text, deep)})`,
      'restrictions, rotation and profiles need only a few levels; check what was given',
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const reason = (e as Error).message
      .replace(/ (in|after) JSON at position \d+.*$/s, '')
      .replace(/, (\.\.\.)?".*" is not valid JSON$/s, '')
      .replace(/^JSON\.parse: /, '');
    const i = jsonErrorIndex(text);
    throw new UsageError(`${where}: not valid JSON${i >= 0 ? ` at ${position(text, i)}` : ''}: ${reason}`);
  }
}

/** Reads and parses the JSON file a --restrictions or --rotation value names (at most LIMITS.jsonFile bytes). */
export function readJsonFile(path: string, flag: string, env: Env): unknown {
  let text: string;
  try {
    text = readLimited(expandHome(path, env), { maxBytes: LIMITS.jsonFile });
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${flag}: ${e.message}`, e.hint); // ~ without HOME
    if (!(e instanceof FileProblem)) throw e;
    if (e.code === 'ENOENT') throw new UsageError(`${flag}: the file ${path} does not exist`);
    throw new UsageError(`${flag}: ${path} ${e.why}`, 'give a JSON file');
  }
  return parseJson(text, `${flag} file ${path}`);
}

/** A JSON value for an error message: at most `max` characters of it. */
export function shortJson(value: unknown, max = 60): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
