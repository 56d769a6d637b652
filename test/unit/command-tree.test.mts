// The command tree against spec cli.md Appendix C (copied to test/fixtures/appendix-c.md): every
// command with its aliases, and every flag of its flag table with its aliases, short names and
// whether it takes a value.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { flagTableOf } from '../../src/cli/flags.js';
import { buildProgram } from '../../src/cli/program.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

interface SpecFlag {
  names: string[];
  takesValue: boolean;
}
interface SpecCommand {
  path: string[];
  aliases: string[];
  flags: SpecFlag[];
}

/** Flags the tree may lack (none now). */
const LATER_FLAGS = new Set<string>();

/** Flags this client adds on purpose (README, "Differences from the upstream client"), per command. */
/** Flags this client adds to every command that takes a mytoken (issue 14: the keyring as a token source). */
const OWN_TOKEN_FLAGS = ['--MT-keyring'];

/** Commands this client adds (issue 14), with all below them. */
const OWN_COMMANDS = ['keyring'];

const OWN_FLAGS: Record<string, string[]> = {
  // issue 12: ask for a mytoken whose restriction ended, or with a capability name unknown to the
  // client (--force); fail when the server grants less than asked (--strict)
  // issue 14: keep the new mytoken in the keyring
  MT: ['--force', '--strict', '--keyring'],
  revoke: ['--keep-entry'],
  'settings grants ssh add': ['--force'],
};

function parseAppendixC(text: string): SpecCommand[] {
  const commands: SpecCommand[] = [];
  let current: SpecCommand | undefined;
  for (const line of text.split('\n')) {
    const h = /^### `mytoken ?([^`(]*?)\s*(?:\(([^)]*)\))?`/.exec(line);
    if (h) {
      const words = h[1]!.trim() ? h[1]!.trim().split(/\s+/) : [];
      const root = h[2] === 'root';
      current = words[0] === 'help' ? undefined : { path: words, aliases: h[2] && !root ? h[2].split(/,\s*/) : [], flags: [] };
      if (current) commands.push(current);
      continue;
    }
    const row = /^\| `([^`]+)` \| ([^|]*) \| ([^|]*) \|/.exec(line);
    if (row && current) {
      const names = [row[1]!, ...[...row[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)];
      if (names.includes('--help')) continue;
      current.flags.push({ names, takesValue: row[3]!.trim() !== 'bool' });
    }
  }
  return commands;
}

function find(root: Command, path: string[]): Command | undefined {
  let c: Command | undefined = root;
  for (const name of path) c = c?.commands.find((x) => x.name() === name);
  return c;
}

interface OwnFlag {
  takesValue: boolean;
  /** the name help shows it by; undefined when help does not show it */
  shown?: string;
}

/**
 * Every flag name in a command's flag table (the name help shows and its hidden aliases), not its
 * ancestors' flags; and commander's own --version of the root, which is in no flag table.
 */
function ownFlags(cmd: Command): Map<string, OwnFlag> {
  const m = new Map<string, OwnFlag>();
  for (const flag of Object.values(flagTableOf(cmd))) {
    const own = { takesValue: !!flag.value, shown: flag.hidden ? undefined : flag.names.find((n) => n.startsWith('--')) };
    for (const n of flag.names) m.set(n, own);
  }
  for (const o of cmd.options.filter((x) => x.long === '--version')) {
    const own = { takesValue: o.required || o.optional, shown: o.long };
    for (const n of [o.long, o.short]) if (n) m.set(n, own);
  }
  return m;
}

const TOP_ALIASES: Record<string, string[]> = { AT: ['at', 'access-token'], MT: ['mt', 'mytoken'] };

const spec = parseAppendixC(readFileSync(join(ROOT, 'test', 'fixtures', 'appendix-c.md'), 'utf8'));
const root = buildProgram(() => {
  throw new Error('no command runs in this test');
});

describe('command tree against spec Appendix C', () => {
  it('the fixture has the commands of the spec', () => {
    assert.ok(spec.length > 50, `parsed ${spec.length} commands`);
  });
  for (const c of spec) {
    const label = ['mytoken', ...c.path].join(' ');
    it(`${label}: exists with aliases [${c.aliases.join(', ')}] and its flags`, () => {
      const cmd = find(root, c.path);
      assert.ok(cmd, `${label} is missing`);
      // headings name the aliases of most commands; section 1 names those of AT and MT
      const expected = TOP_ALIASES[c.path.join(' ')] ?? c.aliases;
      assert.deepEqual([...cmd.aliases()].sort(), [...expected].sort(), `${label} aliases`);
      const own = ownFlags(cmd);
      for (const f of c.flags) {
        for (const n of f.names.filter((x) => !LATER_FLAGS.has(x))) {
          const o = own.get(n);
          assert.ok(o, `${label}: flag ${n} is missing`);
          assert.equal(o.takesValue, f.takesValue, `${label}: ${n} ${f.takesValue ? 'takes' : 'takes no'} value`);
        }
      }
      // no own visible flag that the spec does not have (hidden aliases are counted above)
      const specNames = new Set(c.flags.flatMap((f) => f.names));
      for (const shown of new Set([...own.values()].map((o) => o.shown))) {
        if (shown === undefined) continue;
        const ours = OWN_FLAGS[c.path.join(' ')] ?? [];
        assert.ok(specNames.has(shown) || LATER_FLAGS.has(shown) || ours.includes(shown) || OWN_TOKEN_FLAGS.includes(shown), `${label}: flag ${shown} is not in the spec`);
      }
    });
  }
  it('every command of the tree is in the spec', () => {
    const known = new Set(spec.map((c) => c.path.join(' ')));
    const walk = (cmd: Command, path: string[]) => {
      for (const sub of cmd.commands) {
        if (sub.name() === 'help') continue;
        const p = [...path, sub.name()];
        if (OWN_COMMANDS.includes(p[0]!)) continue;
        assert.ok(known.has(p.join(' ')), `mytoken ${p.join(' ')} is not in the spec`);
        walk(sub, p);
      }
    };
    walk(root, []);
  });
});
