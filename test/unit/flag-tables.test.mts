// The flag tables: their shape, the value types the compiler derives from them (checked when this
// file is compiled), and reading values back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { addFlags, defineFlags, envSource, flagTableOf, type FlagValues, readFlags } from '../../src/cli/flags.js';
import { restrictionFlags } from '../../src/cli/options/restrictions.js';

const table = defineFlags({
  on: { names: ['--on'], description: 'a boolean flag' },
  name: { names: ['-n', '--name'], value: 'NAME', env: ['T_NAME'], description: 'a flag with a value' },
  list: { names: ['--list', '--lists'], value: 'X', repeatable: true, description: 'repeatable' },
  tags: { names: ['--tags'], value: 'TAG', repeatable: 'trimmed', description: 'repeatable, trimmed' },
});

// compile-time: each key's value type comes from its flag; keys that are not in the table do not compile
const typed = (v: FlagValues<typeof table>) => {
  const on: boolean = v.on;
  const name: string | undefined = v.name;
  const list: string[] = v.list;
  // @ts-expect-error a value flag gives no boolean
  const wrong: boolean = v.name;
  // @ts-expect-error no such key
  void v.noSuchKey;
  return [on, name, list, wrong];
};
void typed;
const restrictionsTyped = (v: FlagValues<typeof restrictionFlags>) => {
  const scopes: string[] = v.scope;
  const exp: string | undefined = v.exp;
  // @ts-expect-error no such key
  void v.scopes;
  return [scopes, exp];
};
void restrictionsTyped;
// @ts-expect-error a misspelt property of a flag
defineFlags({ x: { names: ['--x'], description: 'x', defualtText: 'y' } });

function parsed(args: string[], env: Record<string, string> = {}) {
  const cmd = new Command('t').exitOverride().allowExcessArguments(true);
  addFlags(cmd, table);
  cmd.action(() => undefined);
  cmd.parse(args, { from: 'user' });
  return readFlags(cmd, table, env);
}

test('values: booleans, values, repeatable values split at commas (trimmed when asked), environment variables', () => {
  const v = parsed(['--on', '--list', 'a, b', '--lists', ',c', '--tags', ' x , ,y', '--tags', 'z'], { T_NAME: 'from-env' });
  assert.equal(v.on, true);
  assert.equal(v.name, 'from-env');
  assert.equal(envSource(v, 'name'), 'T_NAME');
  assert.deepEqual(v.list, ['a', ' b', '', 'c']);
  assert.deepEqual(v.tags, ['x', 'y', 'z']);
  const none = parsed(['-n', 'given'], { T_NAME: 'from-env' });
  assert.deepEqual([none.on, none.name, envSource(none, 'name'), none.list, none.tags], [false, 'given', undefined, [], []]);
});

test('every table of the tree: long names with --, at most one short name, the first name a long one or the short one', () => {
  const root = buildProgram(() => {
    throw new Error('no command runs in this test');
  });
  const walk = (cmd: Command) => {
    for (const [key, flag] of Object.entries(flagTableOf(cmd))) {
      const shorts = flag.names.filter((n) => /^-[^-]$/.test(n));
      const longs = flag.names.filter((n) => /^--[^-]/.test(n));
      assert.ok(shorts.length <= 1, `${cmd.name()} ${key}: more than one short name`);
      assert.ok(longs.length >= 1, `${cmd.name()} ${key}: no long name`);
      assert.equal(shorts.length + longs.length, flag.names.length, `${cmd.name()} ${key}: a name that is neither -x nor --long`);
      assert.ok(!flag.repeatable || flag.value, `${cmd.name()} ${key}: a repeatable flag without a value`);
    }
    cmd.commands.forEach(walk);
  };
  walk(root);
});
