// The README's flag tables, made from the commands' flag tables (scripts/readme.mjs writes them
// into README.md; a unit test checks that README.md has them as made here). Not used by the client.
import type { Command } from 'commander';
import { type Flag, type FlagTable, flagTableOf } from './flags.js';
import { restrictionFlags } from './options/restrictions.js';
import { rotationFlags } from './options/rotation.js';
import { tokenSourceFlags } from './options/token-source.js';

/** A shared table that a command's table shows as one row, pointing to where the README lists it. */
interface SharedGroup {
  /** the marker's name: `<!-- flags: @token-source -->` */
  id: string;
  table: FlagTable;
  /** the row that stands for the group in a command's table */
  title: string;
  see: string;
}

const SHARED: SharedGroup[] = [
  { id: 'token-source', table: tokenSourceFlags, title: 'token flags', see: 'where the mytoken comes from: see "Passing the mytoken"' },
  { id: 'restrictions', table: restrictionFlags, title: 'restriction flags', see: 'restrictions of the new mytoken: see "Restrictions" under `mytoken MT`' },
  { id: 'rotation', table: rotationFlags, title: 'rotation flags', see: 'rotation of the new mytoken: see "Rotation" under `mytoken MT`' },
];

const code = (s: string) => `\`${s}\``;
/** A table row of these cells (`|` in them escaped). */
const line = (cells: string[]) => `|${cells.map((c) => (c ? ` ${c.replaceAll('|', '\\|')} ` : ' ')).join('|')}|`;

function row(flag: Flag): string {
  const short = flag.names.filter((n) => /^-[^-]$/.test(n));
  const longs = flag.names.filter((n) => n.startsWith('--'));
  const value = flag.value ? `${code(flag.value)}${flag.repeatable ? ' (repeatable)' : ''}` : '';
  const env = (flag.env ?? []).map(code).join(', ');
  return line([[...short, ...longs].map(code).join(', '), value, env, flag.defaultText ?? '', flag.doc ?? flag.description]);
}

const HEAD = '| flag | value | env | default | |\n|---|---|---|---|---|\n';

/** A table of the visible flags of `table`, one row each; `collapse`: shared groups shown as one row. */
export function flagsMarkdown(table: FlagTable, collapse: SharedGroup[] = []): string {
  const rows: string[] = [];
  const shown = new Set<SharedGroup>();
  for (const [key, flag] of Object.entries(table)) {
    if (flag.hidden) continue;
    const g = collapse.find((x) => x.table[key] === flag);
    if (!g) rows.push(row(flag));
    else if (!shown.has(g)) {
      shown.add(g);
      rows.push(line([g.title, '', '', '', g.see]));
    }
  }
  return rows.length ? HEAD + rows.map((r) => `${r}\n`).join('') : '';
}

/** `calendars create` for the command `mytoken calendars create`; '' for the root. */
function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * The flag table of every command of the tree that has visible flags of its own (token-source,
 * restriction and rotation flags shown as one row each), by command path ('' for the root's, the
 * global flags), in help order; and the shared tables by `@id`.
 */
export function flagReference(root: Command): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (cmd: Command) => {
    const table = flagTableOf(cmd);
    const own = Object.entries(table).some(([key, f]) => !f.hidden && !SHARED.some((g) => g.table[key] === f));
    if (own) out.set(pathOf(cmd), flagsMarkdown(table, SHARED));
    for (const sub of cmd.commands) walk(sub);
  };
  walk(root);
  for (const g of SHARED) out.set(`@${g.id}`, flagsMarkdown(g.table));
  return out;
}

const MARKED = /(<!-- flags: ([^>]*?) -->\n)[\s\S]*?(<!-- \/flags -->)/g;

/**
 * `text` (the README) with each marked section made anew: `<!-- flags: NAME -->` ... `<!-- /flags -->`,
 * NAME a command path (`AT`, `settings grants ssh add`), `global` (the root's flags), `@id` (a shared
 * table) or `reference`: a table for every command that has flags and no section of its own.
 */
export function rewriteReadme(text: string, root: Command): string {
  const tables = flagReference(root);
  const key = (name: string) => (name === 'global' ? '' : name);
  const marked = new Set([...text.matchAll(MARKED)].map((m) => key(m[2]!)));
  return text.replace(MARKED, (_all, open: string, name: string, close: string) => {
    if (name === 'reference') {
      const rest = [...tables].filter(([path]) => !path.startsWith('@') && !marked.has(path));
      const aliases = (path: string) => {
        let c: Command | undefined = root;
        for (const w of path.split(' ')) c = c?.commands.find((x) => x.name() === w);
        const a = c?.aliases() ?? [];
        return a.length ? ` (${a.map(code).join(', ')})` : '';
      };
      return `${open}${rest.map(([path, md]) => `\n### \`mytoken ${path}\`${aliases(path)}\n\n${md}`).join('')}\n${close}`;
    }
    const md = tables.get(key(name));
    if (md === undefined) throw new Error(`README.md marks flags of '${name}', which is no command with flags and no shared table`);
    return `${open}${md}${close}`;
  });
}
