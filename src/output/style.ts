// Colours and text styles (spec cli.md 12.3). Disabled output is plain text.

type Env = Record<string, string | undefined>;

/** Whether colours are on: CLICOLOR_FORCE wins, then NO_COLOR, CLICOLOR=0, a non-terminal stdout; --no-color always disables. */
export function colorsEnabled(env: Env, noColorFlag: boolean, stdoutIsTTY: boolean): boolean {
  if (noColorFlag) return false;
  if (env.CLICOLOR_FORCE === '1') return true;
  if (env.NO_COLOR) return false;
  if (env.CLICOLOR === '0') return false;
  return stdoutIsTTY;
}

const RESET = '\x1b[0m';

/** R, G, B of a `#RRGGBB` / `RRGGBB` colour; undefined when it is not six characters. */
export function rgbOf(color: string): [number, number, number] | undefined {
  const hex = color.replace(/^#/, '');
  if (hex.length !== 6) return undefined;
  const pair = (i: number) => {
    const n = parseInt(hex.slice(i, i + 2), 16);
    return Number.isNaN(n) ? 0 : n;
  };
  return [pair(0), pair(2), pair(4)];
}

export class Style {
  constructor(readonly enabled: boolean) {}

  italic(text: string): string {
    return this.enabled ? `\x1b[3m${text}${RESET}` : text;
  }

  gray(text: string): string {
    return this.enabled ? `\x1b[38;2;128;128;128m${text}${RESET}` : text;
  }

  /** A tag name in the tag's own colour. */
  tag(name: string, color: string | undefined): string {
    const rgb = color ? rgbOf(color) : undefined;
    return this.enabled && rgb ? `\x1b[38;2;${rgb.join(';')}m${name}${RESET}` : name;
  }

  /** Tags in their colours, joined by ", ". */
  tags(tags: { tag: string; color?: string }[] | null | undefined): string {
    return (tags ?? []).map((t) => this.tag(t.tag, t.color)).join(', ');
  }

  /** A two-character block in the colour; `[?]` for a colour that is not #RRGGBB; empty without colours. */
  swatch(color: string | undefined): string {
    if (!this.enabled) return '';
    const rgb = color ? rgbOf(color) : undefined;
    return rgb ? `\x1b[48;2;${rgb.join(';')}m  ${RESET}` : '[?]';
  }
}
