// Tag colours: a colour name, #RRGGBB or #RGB (the # is optional), sent as RRGGBB.
import { UsageError } from '../../errors.js';

const NAMED: Record<string, string> = {
  red: 'FF0000', blue: '0000FF', green: '008000', yellow: 'FFFF00', orange: 'FFA500', purple: '800080',
  pink: 'FFC0CB', cyan: '00FFFF', magenta: 'FF00FF', lime: '00FF00', teal: '008080', navy: '000080',
  maroon: '800000', olive: '808000', silver: 'C0C0C0', gray: '808080', grey: '808080', black: '000000',
  white: 'FFFFFF', darkgray: 'A9A9A9', darkgrey: 'A9A9A9', lightgray: 'D3D3D3', lightgrey: 'D3D3D3',
  gold: 'FFD700', brown: 'A52A2A', coral: 'FF7F50', crimson: 'DC143C', indigo: '4B0082', ivory: 'FFFFF0',
  khaki: 'F0E68C', lavender: 'E6E6FA', salmon: 'FA8072', tan: 'D2B48C', tomato: 'FF6347', violet: 'EE82EE',
  wheat: 'F5DEB3',
};

export const COLOR_NAMES = Object.keys(NAMED);

/** The colour as six upper-case hex digits; a usage error for anything else. */
export function normalizeColor(input: string): string {
  const c = input.trim().toLowerCase();
  if (NAMED[c]) return NAMED[c];
  const hex = c.replace(/^#/, '');
  if (/^[0-9a-f]{6}$/.test(hex)) return hex.toUpperCase();
  if (/^[0-9a-f]{3}$/.test(hex)) return [...hex].map((d) => d + d).join('').toUpperCase();
  throw new UsageError(`'${input}' is not a colour`, 'use a name such as red, teal or gold, or hex digits: #3357ff, 3357ff or #35f');
}
