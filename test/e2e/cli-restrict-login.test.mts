// e2e: restrictions, rotation, capabilities and --profile on the login path (`mytoken MT -i
// <issuer>`, authorization-code flow with polling): the same flags as on the sub-token path end up
// in the oidc_flow request and in the mytoken the login gives (spec cli.md 9, 9.11, 5.3;
// server-api.md 4.1.2, 5.3, 5.13). Bad input fails before the login starts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { startLocalServer } from '../server/index.mjs';
import { type RunResult, run, startLogin } from './helpers.mjs';
import { homeWithConfig, jwtPayload, postBodies, removeHomes, since } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const MY = '/api/v0/token/my';
const HOST = hostname();

let S: LocalServer;

before(async () => {
  S = await startLocalServer({ interval: 1 });
});

after(async () => {
  removeHomes();
  await S?.close();
});

const nowS = () => Math.floor(Date.now() / 1000);
const homeFor = () => homeWithConfig(S.url, 'use_wlcg_token_discovery: false\n');

interface Login {
  r: RunResult;
  /** the oidc_flow request the client sent */
  body: Record<string, unknown>;
  /** the payload of the mytoken it printed */
  payload: Record<string, unknown>;
  t0: number;
  t1: number;
}

/** `mytoken MT -i <issuer> ...args`; approves the login as soon as the URL appears. */
async function login(args: string[], env?: Record<string, string | undefined>): Promise<Login> {
  const home = homeFor();
  const n = S.requests.length;
  const t0 = nowS();
  const { url, done } = await startLogin(['MT', '-i', S.issuer, ...args], { home, env });
  await S.approve(url);
  const r = await done;
  const t1 = nowS();
  assert.equal(r.status, 0, r.stderr);
  const flows = postBodies(since(S.requests, n), MY).filter((b) => b.grant_type === 'oidc_flow');
  assert.equal(flows.length, 1, 'expected one oidc_flow request');
  const payload = jwtPayload(r.stdout.trim());
  assert.ok(payload, `not a JWT: ${r.stdout}`);
  return { r, body: flows[0]!, payload, t0, t1 };
}

/** The whole oidc_flow request (B.4) with `extra` members, in wire order. */
function flowBody(extra: Record<string, unknown>): Record<string, unknown> {
  const all: Record<string, unknown> = { oidc_issuer: S.issuer, grant_type: 'oidc_flow', response_type: 'token', application_name: `mytoken client on ${HOST}`, ...extra };
  const order = ['oidc_issuer', 'grant_type', 'restrictions', 'capabilities', 'name', 'response_type', 'rotation', 'application_name', 'include', 'tags'];
  const out: Record<string, unknown> = {};
  for (const k of order) if (k in all) out[k] = all[k];
  return { ...out, oidc_flow: 'authorization_code', client_type: 'native', redirect_uri: '' };
}

function assertBody(l: Login, extra: Record<string, unknown>) {
  const expected = flowBody(extra);
  assert.deepEqual(l.body, expected);
  assert.deepEqual(Object.keys(l.body), Object.keys(expected), 'member order');
}

function assertAbout(value: unknown, l: Login, delta: number, label: string) {
  assert.equal(typeof value, 'number', `${label}: ${JSON.stringify(value)}`);
  const v = value as number;
  assert.ok(v >= l.t0 + delta && v <= l.t1 + delta, `${label}: ${v} is not now+${delta} (${l.t0}..${l.t1})`);
}

test('login: single-clause flags and rotation detail flags go into the oidc_flow request and the mytoken', async () => {
  const l = await login(['--exp', '+1d', '--host', 'this', '--usages-at', '3', '--rotation-on-AT', '--rotation-lifetime', '3600']);
  const sent = (l.body.restrictions as Record<string, unknown>[] | undefined) ?? [];
  assert.equal(sent.length, 1, JSON.stringify(l.body));
  assertAbout(sent[0]!.exp, l, 86400, 'exp sent');
  assertBody(l, {
    restrictions: [{ exp: sent[0]!.exp, hosts: ['this'], usages_AT: 3 }],
    capabilities: ['AT', 'tokeninfo'],
    rotation: { on_AT: true, lifetime: 3600 },
  });
  assert.deepEqual(l.payload.restrictions, [{ exp: sent[0]!.exp, hosts: ['127.0.0.1'], usages_AT: 3 }]);
  assert.deepEqual(l.payload.rotation, { on_AT: true, lifetime: 3600 });
  assert.deepEqual(l.payload.capabilities, ['AT', 'tokeninfo']);
});

test('login: --restriction JSON with two clauses and a string time, --rotation JSON, --capability', async () => {
  const l = await login([
    '--restriction', '[{"exp":"+1h","usages_AT":1},{"scope":"compute","geoip_disallow":["FR"]}]',
    '--rotation', '{"on_other":true}',
    '--capability', 'AT create_mytoken',
  ]);
  const sent = l.body.restrictions as Record<string, unknown>[];
  assert.equal(sent.length, 2, JSON.stringify(l.body));
  assertAbout(sent[0]!.exp, l, 3600, 'exp "+1h"');
  const clauses = [{ exp: sent[0]!.exp, usages_AT: 1 }, { scope: 'compute', geoip_disallow: ['FR'] }];
  assertBody(l, { restrictions: clauses, capabilities: ['AT', 'create_mytoken'], rotation: { on_other: true } });
  assert.deepEqual(l.payload.restrictions, clauses);
  assert.deepEqual(l.payload.rotation, { on_other: true });
  assert.deepEqual(l.payload.capabilities, ['AT', 'create_mytoken']);
});

test('login: --profile JSON (string time, capabilities, rotation, name) with --name job', async () => {
  const profile = '{"restrictions":[{"exp":"+1h"}],"capabilities":["AT"],"rotation":{"on_other":true},"name":"p"}';
  const l = await login(['--profile', profile, '--name', 'job']);
  const sent = l.body.restrictions as Record<string, unknown>[];
  assert.equal(sent.length, 1, JSON.stringify(l.body));
  assertAbout(sent[0]!.exp, l, 3600, 'exp "+1h"');
  assertBody(l, { restrictions: [{ exp: sent[0]!.exp }], capabilities: ['AT'], name: `${HOST}:job`, rotation: { on_other: true } });
  assert.deepEqual(l.payload.restrictions, [{ exp: sent[0]!.exp }]);
  assert.deepEqual(l.payload.capabilities, ['AT']);
  assert.deepEqual(l.payload.rotation, { on_other: true });
});

test('login: --profile web-default (server profile) sends include and no capabilities; the mytoken has its restrictions', async () => {
  const l = await login(['--profile', 'web-default']);
  assertBody(l, { include: 'web-default' });
  const r = l.payload.restrictions as Record<string, unknown>[];
  assert.equal(r?.length, 1, JSON.stringify(l.payload));
  assertAbout(r[0]!.exp, l, 12 * 3600, 'exp of web-default');
  assert.deepEqual(r[0]!.hosts, ['127.0.0.1']);
  assert.equal(r[0]!.usages_AT, 15);
  assert.deepEqual(l.payload.capabilities, ['AT', 'tokeninfo']);
});

test('login: MYTOKEN_RESTRICTIONS and MYTOKEN_ROTATION apply to the login too', async () => {
  const l = await login([], { MYTOKEN_RESTRICTIONS: '{"usages_other":0,"scope":"openid storage.read"}', MYTOKEN_ROTATION: '{"on_AT":true}' });
  assertBody(l, {
    restrictions: [{ scope: 'openid storage.read', usages_other: 0 }],
    capabilities: ['AT', 'tokeninfo'],
    rotation: { on_AT: true },
  });
  assert.deepEqual(l.payload.restrictions, [{ scope: 'openid storage.read', usages_other: 0 }]);
  assert.deepEqual(l.payload.rotation, { on_AT: true });
});

test('login: bad input (a bad time, restrictions with a single flag, --profile null) fails with exit 2 before the login starts', async () => {
  const cases: [string[], RegExp, Record<string, string>?][] = [
    [['--exp', '+2M'], /\+2M/],
    [['--restriction', '{"hots":["x"]}'], /hots/],
    [['--restriction', '{"exp":1}', '--usages-at', '1'], /restriction/i],
    [['--usages-at', '2'], /MYTOKEN_RESTRICTIONS/, { MYTOKEN_RESTRICTIONS: '1d' }],
    [['--profile', 'null'], /profile/i],
    [['--rotation', '{"lifetime":"1h"}'], /lifetime/],
  ];
  for (const [args, message, env] of cases) {
    const n = S.requests.length;
    const r = await run(['MT', '-i', S.issuer, ...args], { home: homeFor(), env });
    const label = args.join(' ');
    assert.equal(r.status, 2, `${label}: ${r.stderr}`);
    assert.equal(r.stdout, '', label);
    assert.match(r.stderr, message, label);
    assert.doesNotMatch(r.stderr, /https?:\/\/\S+\/c\//, `${label}: a login URL was shown`);
    assert.deepEqual(since(S.requests, n).map((q) => `${q.method} ${q.path}`), [], `${label}: the server was contacted`);
  }
});
