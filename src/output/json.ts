// JSON as the commands print it (spec cli.md 12.2): two-space indentation, one element per line.

/**
 * Re-indents JSON text without re-encoding it: key order, number spelling and string escapes stay
 * as written. The text must be valid JSON (check with JSON.parse first).
 */
export function reindentVerbatim(text: string): string {
  let outText = '';
  let depth = 0;
  let i = 0;
  const newline = () => `\n${'  '.repeat(depth)}`;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      outText += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '{' || ch === '[') {
      // an empty object or array stays on one line
      let j = i + 1;
      while (/\s/.test(text[j] ?? '')) j++;
      if (text[j] === (ch === '{' ? '}' : ']')) {
        outText += ch === '{' ? '{}' : '[]';
        i = j + 1;
        continue;
      }
      depth++;
      outText += ch + newline();
    } else if (ch === '}' || ch === ']') {
      depth--;
      outText += newline() + ch;
    } else if (ch === ',') {
      outText += `,${newline()}`;
    } else if (ch === ':') {
      outText += ': ';
    } else {
      outText += ch;
    }
    i++;
  }
  return `${outText}\n`;
}

/** JSON.stringify with two spaces, `<`, `>`, `&` escaped as upstream prints them, and a final newline. */
export function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`)}\n`;
}

/**
 * Field list of a typed model: `key` (always printed, null when absent), `key?` (left out when
 * empty, zero or false), `key??` (left out only when absent), `key!` (a boolean, false when
 * absent), or a nested model for a member.
 */
export type Model = (string | [string, Model] | [string, Model, 'list'])[];

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
}

/**
 * The value with its keys in the model's order. Keys the model does not name are dropped, or,
 * with `keepUnknown`, appended in the order the server sent them.
 */
export function typed(value: unknown, model: Model, keepUnknown = false): Record<string, unknown> {
  const src = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const outObj: Record<string, unknown> = {};
  const known = new Set<string>();
  for (const field of model) {
    const [spec, sub, kind] = typeof field === 'string' ? [field, undefined, undefined] : field;
    const key = spec.replace(/[?!]+$/, '');
    known.add(key);
    let v = src[key];
    if (spec.endsWith('??') ? v === undefined || v === null : spec.endsWith('?') && isEmpty(v)) continue;
    if (sub && v && typeof v === 'object') {
      v = kind === 'list' && Array.isArray(v) ? v.map((e) => typed(e, sub, keepUnknown)) : typed(v, sub, keepUnknown);
    }
    outObj[key] = v === undefined || v === null ? (spec.endsWith('!') ? false : null) : v;
  }
  if (keepUnknown) for (const [k, v] of Object.entries(src)) if (!known.has(k)) outObj[k] = v;
  return outObj;
}
