// The ssh grant's client side: the --ssh value and the ssh command line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sshArgs, splitSshValue } from '../../src/ssh/argv.js';

describe('--ssh values (issue 5: the three forms of the seed page)', () => {
  it('a host entry, ssh arguments, quotes and ~/', () => {
    assert.deepEqual(splitSshValue('mytoken-wlcg'), ['mytoken-wlcg']);
    assert.deepEqual(splitSshValue('-p 2222 user@host'), ['-p', '2222', 'user@host']);
    assert.deepEqual(splitSshValue('-p 2222 -i ~/.ssh/custom_key user@host', '/home/u'), ['-p', '2222', '-i', '/home/u/.ssh/custom_key', 'user@host']);
    assert.deepEqual(splitSshValue(`-o "User Known" 'a b' c\\ d ""`), ['-o', 'User Known', 'a b', 'c d', '']);
  });
  it('an unbalanced quote or an empty value is a usage error', () => {
    assert.throws(() => splitSshValue('-p 2222 "user@host'), /not closed/);
    assert.throws(() => splitSshValue('   '), /empty/);
  });
  it('the payload travels as base64 JSON, so no quote can break the remote command', () => {
    const args = sshArgs(['h'], 'AT', { comment: "it's <ok> & fine" });
    assert.deepEqual(args.slice(0, 3), ['h', 'AT', 'application/json;base64']);
    assert.deepEqual(JSON.parse(Buffer.from(args[3]!, 'base64').toString()), { comment: "it's <ok> & fine" });
    assert.deepEqual(sshArgs(['-p', '1', 'h'], 'introspect'), ['-p', '1', 'h', 'introspect']);
  });
});
