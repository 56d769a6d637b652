// Box-drawn tables (spec cli.md 12.1) and the local time format of table cells (12.4).

const ANSI = /\x1b\[[0-9;]*m/g;

/** Columns a character takes on a terminal: 0 for combining marks and controls, 2 for wide (East Asian, emoji). */
function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Terminal columns of a text without its colour escapes. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text.replace(ANSI, '')) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/**
 * A header as the tables show it: words split at case changes and between letters, digits and
 * other characters, `_` as a space, upper-cased ("MomID" → "MOM - ID" keeps upstream's look).
 */
export function headerText(header: string): string {
  const runs = header.match(/[a-z]+|[A-Z]+|[0-9]+|[^a-zA-Z0-9]+/g) ?? [];
  const words: string[] = [];
  for (const run of runs) {
    if (/^[A-Z]+$/.test(run) || /^[a-z]+$/.test(run)) {
      // an upper-case letter directly before a lower-case run starts that word
      const prev = words[words.length - 1];
      if (/^[a-z]/.test(run) && prev && /^[A-Z]{2,}$/.test(prev)) {
        words[words.length - 1] = prev.slice(0, -1);
        words.push(prev.slice(-1) + run);
        continue;
      }
      if (/^[a-z]/.test(run) && prev && /^[A-Z]$/.test(prev)) {
        words[words.length - 1] = prev + run;
        continue;
      }
    }
    if (/^\s+$/.test(run) || /^_+$/.test(run)) continue;
    words.push(run);
  }
  return words.join(' ').replaceAll('_', ' ').trim().toUpperCase();
}

function pad(text: string, width: number, align: 'left' | 'center'): string {
  const free = width - displayWidth(text);
  if (free <= 0) return text;
  if (align === 'left') return text + ' '.repeat(free);
  const left = Math.floor(free / 2);
  return ' '.repeat(left) + text + ' '.repeat(free - left);
}

/**
 * A table with one header row, centred upper-case headers and left-aligned cells, one space of
 * padding; every cell trimmed; a cell with line breaks takes several lines. No rows: ''.
 */
export function renderTable(headers: string[], rows: string[][]): string {
  if (!rows.length) return '';
  const head = headers.map(headerText);
  const cells = rows.map((r) => headers.map((_, i) => (r[i] ?? '').trim().split('\n')));
  const widths = head.map((h, i) => Math.max(displayWidth(h), ...cells.map((r) => Math.max(...r[i]!.map(displayWidth)))));
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}\n`;
  const line = (parts: string[], align: 'left' | 'center') => `│${parts.map((p, i) => ` ${pad(p, widths[i]!, align)} `).join('│')}│\n`;
  let text = rule('┌', '┬', '┐') + line(head, 'center') + rule('├', '┼', '┤');
  for (const row of cells) {
    const height = Math.max(...row.map((c) => c.length));
    for (let k = 0; k < height; k++) text += line(row.map((c) => c[k] ?? ''), 'left');
  }
  return text + rule('└', '┴', '┘');
}

const two = (n: number) => String(n).padStart(2, '0');

/** Unix seconds as local `YYYY-MM-DD HH:MM:SS`. */
export function localTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
