// Unit tests for building a new-token request: profile, rotation, integer flags, order of operations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { parseGoInt } from '../../src/cli/flags.js';
import { forGrant } from '../../src/api/tokens.js';
import { newTokenRequest, withDefaultCapabilities } from '../../src/request/mytoken.js';
import { parseProfile } from '../../src/request/profile.js';
import { combineRotation, parseRotation } from '../../src/request/rotation.js';

const NOW = 1_800_000_000;
const ctx = { now: NOW, env: {} };
const usage = (e: unknown) => (e as { exitStatus?: number }).exitStatus === 2;
const noFlags = { onAT: false, onOther: false, autoRevoke: false };

test('integer flags read like Go ParseInt with base 0', () => {
  assert.equal(parseGoInt('0'), 0);
  assert.equal(parseGoInt('42'), 42);
  assert.equal(parseGoInt('0x1F'), 31);
  assert.equal(parseGoInt('0o17'), 15);
  assert.equal(parseGoInt('017'), 15);
  assert.equal(parseGoInt('0b101'), 5);
  assert.equal(parseGoInt('1_000'), 1000);
  assert.equal(parseGoInt('-3'), -3);
  for (const bad of ['', 'abc', '1.5', '1__0', '10_', '08', '0x', '1e3']) assert.equal(parseGoInt(bad), undefined, bad);
});

test('17.5/56 --profile names become include: one as a string, several as an array', () => {
  assert.deepEqual(parseProfile('p1', ctx), { include: 'p1' });
  assert.deepEqual(parseProfile('p1 p2', ctx), { include: ['p1', 'p2'] });
});

test('--profile JSON: members checked, restriction times resolved, unknown members and non-objects refused', () => {
  const p = parseProfile('{"Restrictions":[{"exp":"+1h"}],"capabilities":"AT tokeninfo","rotation":{"on_other":true},"name":"p","include":"x y"}', ctx);
  assert.deepEqual(p, { restrictions: [{ exp: NOW + 3600 }], capabilities: ['AT', 'tokeninfo'], rotation: { on_other: true }, name: 'p', include: 'x y' });
  for (const bad of ['null', '[]', '"x"', '{"nme":"x"}', '{"name":1}', '{"max_token_len":-1}']) assert.throws(() => parseProfile(bad, ctx), usage, bad);
});

test('17.5/59 rotation: templates, JSON, and the detail flags with or without --rotation', () => {
  assert.deepEqual(combineRotation(undefined, parseRotation('tmpl', '--rotation', {}), { ...noFlags, onAT: true, lifetime: 60 }), {
    on_AT: true,
    lifetime: 60,
    include: 'tmpl',
  });
  assert.deepEqual(combineRotation(undefined, undefined, { ...noFlags, onAT: true }), { on_AT: true });
  assert.deepEqual(combineRotation(undefined, parseRotation('{"on_AT":true}', '--rotation', {}), noFlags), { on_AT: true });
  assert.deepEqual(combineRotation({ on_other: true, lifetime: 5 }, parseRotation('{"lifetime":10}', '--rotation', {}), noFlags), { on_other: true, lifetime: 10 });
  assert.equal(combineRotation(undefined, undefined, noFlags), undefined);
  for (const bad of ['{"on_AT":"yes"}', '{"lifetime":-1}', '{"rotate":true}', 'null']) assert.throws(() => parseRotation(bad, '--rotation', {}), usage, bad);
});

test('9.1 order: flags override the profile; restriction flags replace its restrictions; defaults only without profile names', () => {
  const req = newTokenRequest(
    {
      profile: '{"name":"p","restrictions":[{"usages_AT":1}],"capabilities":["AT"],"response_type":"short_token"}',
      name: 'job',
      tokenType: 'token',
      clause: { exp: '+1d', scopes: ['a'], audiences: [], hosts: [], geoipAllow: [], geoipDisallow: [] },
      tags: ['t'],
      namePrefix: 'pre',
    },
    ctx,
  );
  assert.deepEqual(req, {
    restrictions: [{ exp: NOW + 86400, scope: 'a' }],
    capabilities: ['AT'],
    name: 'pre:job',
    response_type: 'token',
    application_name: `mytoken client on ${hostname()}`,
    tags: [{ tag: 't' }],
  });
  const withInclude = withDefaultCapabilities(newTokenRequest({ profile: 'agent', tokenType: 'token', namePrefix: '' }, ctx), ['AT']);
  assert.equal(withInclude.capabilities, undefined);
  assert.equal(withInclude.include, 'agent');
  const plain = withDefaultCapabilities(newTokenRequest({ tokenType: 'token', namePrefix: '', restrictions: { value: '{"usages_AT":5}', source: '-' } }, ctx), ['AT']);
  assert.deepEqual(plain.capabilities, ['AT']);
  assert.deepEqual(Object.keys(plain), ['restrictions', 'capabilities', 'response_type', 'application_name']);
});

test('--restrictions and a single-clause flag together are refused, naming where the restrictions came from', () => {
  const clause = { scopes: ['x'], audiences: [], hosts: [], geoipAllow: [], geoipDisallow: [] };
  assert.throws(
    () => newTokenRequest({ tokenType: 'token', namePrefix: '', restrictions: { value: '{"exp":1}', source: 'MYTOKEN_RESTRICTIONS' }, clause }, ctx),
    (e: Error) => usage(e) && /MYTOKEN_RESTRICTIONS/.test(e.message),
  );
});

test('forGrant puts oidc_issuer and grant_type first', () => {
  const r = forGrant({ capabilities: ['AT'], grant_type: 'x', response_type: 'token' }, 'oidc_flow', 'https://op');
  assert.deepEqual(Object.keys(r), ['oidc_issuer', 'grant_type', 'capabilities', 'response_type']);
  assert.equal(r.grant_type, 'oidc_flow');
});
