// Unit: what a server granted against what was asked (issue 12 item 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grantedDifferences } from '../../src/request/granted.js';

const T = 1_900_000_000;

test('12.5 a request granted as asked gives no difference (order, absent and zero values aside)', () => {
  assert.deepEqual(
    grantedDifferences(
      { capabilities: ['AT', 'tokeninfo'], restrictions: [{ exp: T, scope: 'openid profile', usages_AT: 5, nbf: 0 }], rotation: { on_AT: true, lifetime: 0 } },
      { capabilities: ['tokeninfo', 'AT'], restrictions: [{ scope: 'profile openid', exp: T, usages_AT: 5 }], rotation: { on_AT: true } },
    ),
    [],
  );
});

test('12.5 usage limits dropped by the server are named, with what the token has instead', () => {
  const d = grantedDifferences(
    { restrictions: [{ exp: T - 60, scope: 'openid', usages_AT: 1, usages_other: 1 }] },
    { capabilities: ['AT'], restrictions: [{ exp: T, scope: 'openid profile' }] },
  );
  assert.equal(d.length, 1);
  assert.match(d[0]!, /^restrictions: \{"exp":1899999940,"scope":"openid","usages_AT":1,"usages_other":1\} not kept; it has \{"exp":1900000000,"scope":"openid profile"\}$/);
});

test('12.5 capabilities left out and rotation not given are named', () => {
  const d = grantedDifferences({ capabilities: ['AT', 'create_mytoken'], rotation: { on_AT: true, auto_revoke: true } }, { capabilities: ['AT'] });
  assert.deepEqual(d, ['capabilities: create_mytoken left out (it has AT)', 'rotation: {"on_AT":true,"auto_revoke":true} asked, none given']);
});

test('12.5 nothing is compared where the request names server-side templates or the reply does not describe the token', () => {
  assert.deepEqual(grantedDifferences({ include: 'agent', capabilities: ['AT'] }, { capabilities: ['tokeninfo'] }), []);
  assert.deepEqual(grantedDifferences({ restrictions: [{ include: '1d' }] }, { capabilities: ['AT'], restrictions: [{ exp: T }] }), []);
  assert.deepEqual(grantedDifferences({ capabilities: ['AT'], restrictions: [{ exp: T }] }, { mytoken_type: 'transfer_code' }), []);
});

test('12.5 hosts ["this"] matches the address the server filled in', () => {
  assert.deepEqual(grantedDifferences({ restrictions: [{ hosts: ['this'], exp: T }] }, { capabilities: ['AT'], restrictions: [{ hosts: ['127.0.0.1'], exp: T }] }), []);
});
