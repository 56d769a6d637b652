// README.md's flag tables are made from the commands' flag tables (src/cli/reference.ts); this
// fails when they differ, e.g. after a flag was added or its description changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/program.js';
import { flagReference, rewriteReadme } from '../../src/cli/reference.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const root = buildProgram(() => {
  throw new Error('no command runs in this test');
});
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

test("README.md's flag tables are the ones the flag tables give", () => {
  const made = rewriteReadme(readme, root);
  if (made === readme) return;
  const a = readme.split('\n');
  const b = made.split('\n');
  const at = a.findIndex((l, i) => l !== b[i]);
  assert.fail(`README.md's flag tables are out of date (first difference at line ${at + 1}: ${JSON.stringify(a[at])} should be ${JSON.stringify(b[at])}): run npm run readme`);
});

test('README.md marks the flags of the global flags, AT, MT, the shared tables and the reference', () => {
  for (const name of ['global', 'AT', 'MT', '@token-source', '@restrictions', '@rotation', 'reference']) {
    assert.ok(readme.includes(`<!-- flags: ${name} -->\n`), `README.md has no section <!-- flags: ${name} -->`);
  }
});

test('every command with flags of its own is in the reference, with the flags help shows', () => {
  const tables = flagReference(root);
  for (const path of ['calendars create', 'revoke', 'settings grants ssh add', 'profiles list', 'MT tags add']) {
    assert.ok(tables.has(path), `no table for ${path}`);
    assert.ok(readme.includes(`### \`mytoken ${path}\``), `README.md has no reference for mytoken ${path}`);
  }
  // the shared tables are one row each in a command's table; hidden flags are not shown
  assert.match(tables.get('MT')!, /^\| restriction flags \|/m);
  assert.doesNotMatch(tables.get('MT')!, /--scopes/);
  assert.doesNotMatch(tables.get('profiles list')!, /--MT/);
  assert.match(tables.get('@restrictions')!, /^\| `-s`, `--scope`, `--scopes` \| `SCOPE` \(repeatable\) \|/m);
});

test('a marker of something that has no flag table is an error', () => {
  assert.throws(() => rewriteReadme('<!-- flags: no such -->\n<!-- /flags -->\n', root), /no command with flags/);
});
