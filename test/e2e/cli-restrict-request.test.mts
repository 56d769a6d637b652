// e2e: how `mytoken MT` builds the restrictions, rotation, profile, capabilities and tags of a
// sub-token request (spec cli.md 4.2-4.4, 9, contract 17.5/56-60 and 17.6/72-86, with the project
// decisions that override upstream quirks Q20-Q25). Every case runs against the local server
// with a real parent mytoken and checks the JSON body the client POSTed to the mytoken endpoint.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { type RunResult, run } from './helpers.mjs';
import { homeWithConfig, jwtPayload, postBodies, removeHomes, since } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const MY = '/api/v0/token/my';
const HOST = hostname();
/** B.3: the order in which the client writes the members of a sub-token request */
const ORDER = [
  'oidc_issuer',
  'grant_type',
  'restrictions',
  'capabilities',
  'name',
  'response_type',
  'max_token_len',
  'rotation',
  'application_name',
  'include',
  'subscribe_notifications',
  'tags',
  'mytoken',
  'error_on_restrictions',
];

let S: LocalServer;
/** unrestricted, may create sub-tokens and get access tokens */
let parent: string;

before(async () => {
  S = await startLocalServer({ interval: 1 });
  parent = (await S.mint({ capabilities: ['AT', 'create_mytoken', 'tokeninfo'] })).mytoken as string;
});

after(async () => {
  removeHomes();
  await S?.close();
});

const nowS = () => Math.floor(Date.now() / 1000);

/** A HOME pointing at S, with the parent mytoken in $HOME/parent.mt. */
function homeFor(): { home: string; file: string } {
  const home = homeWithConfig(S.url);
  const file = join(home, 'parent.mt');
  writeFileSync(file, `${parent}\n`);
  return { home, file };
}

interface MtRun {
  r: RunResult;
  bodies: Record<string, unknown>[];
  /** Unix seconds just before and just after the run */
  t0: number;
  t1: number;
}

/** `mytoken MT --MT-file <parent> ...args`; returns the bodies POSTed to the mytoken endpoint. */
async function mt(args: string[], opts: { env?: Record<string, string | undefined>; home?: { home: string; file: string } } = {}): Promise<MtRun> {
  const h = opts.home ?? homeFor();
  const n = S.requests.length;
  const t0 = nowS();
  const r = await run(['MT', '--MT-file', h.file, ...args], { home: h.home, env: opts.env });
  const t1 = nowS();
  return { r, bodies: postBodies(since(S.requests, n), MY), t0, t1 };
}

/** The whole sub-token body the client should send, with `extra` members, in wire order. */
function subBody(extra: Record<string, unknown>): Record<string, unknown> {
  const all: Record<string, unknown> = {
    grant_type: 'mytoken',
    response_type: 'token',
    application_name: `mytoken client on ${HOST}`,
    mytoken: parent,
    error_on_restrictions: true,
    ...extra,
  };
  const out: Record<string, unknown> = {};
  for (const k of ORDER) if (k in all) out[k] = all[k];
  for (const k of Object.keys(all)) if (!(k in out)) out[k] = all[k];
  return out;
}

/** Exactly one request was sent, and it is the sub-token request with `extra`. */
function assertSent(m: MtRun, extra: Record<string, unknown>, label = '') {
  assert.equal(m.bodies.length, 1, `${label}: expected one POST to ${MY}; stderr: ${m.r.stderr}`);
  const expected = subBody(extra);
  assert.deepEqual(m.bodies[0], expected, label);
  assert.deepEqual(Object.keys(m.bodies[0]!), Object.keys(expected), `${label}: member order`);
}

/** The run succeeded and printed one mytoken (JWT); returns its payload. */
function issued(m: MtRun, label = ''): Record<string, unknown> {
  assert.equal(m.r.status, 0, `${label}: ${m.r.stderr}`);
  assert.match(m.r.stdout, /^[^\s]+\n$/, label);
  const p = jwtPayload(m.r.stdout.trim());
  assert.ok(p, `${label}: not a JWT: ${m.r.stdout}`);
  return p;
}

/** The server refused an include name it does not know: 400 invalid_request, exit 1. */
function assertUnknownInclude(m: MtRun, name: string, label = '') {
  assert.equal(m.r.status, 1, `${label}: ${m.r.stderr}`);
  assert.match(m.r.stderr, new RegExp(`unknown include name: '${name}'`), label);
  assert.equal(m.r.stdout, '', label);
}

/** `value` is `base` + `delta` seconds, within ±2 s, for a base between t0 and t1. */
function assertAbout(value: unknown, m: MtRun, delta: number, label: string) {
  assert.equal(typeof value, 'number', `${label}: ${JSON.stringify(value)} is not a number`);
  const v = value as number;
  assert.ok(Number.isInteger(v), `${label}: ${v} is not an integer`);
  assert.ok(v >= m.t0 + delta && v <= m.t1 + delta, `${label}: ${v} is not now+${delta} (now was ${m.t0}..${m.t1})`);
}

/** The restrictions sent in the one request of `m`. */
function sentRestrictions(m: MtRun): Record<string, unknown>[] {
  assert.equal(m.bodies.length, 1, m.r.stderr);
  return m.bodies[0]!.restrictions as Record<string, unknown>[];
}

// ---- 17.6 restrictions and time values --------------------------------------------------------

test('17.6/72 --exp 1599004800 --force sends "restrictions":[{"exp":1599004800}] (issue 12.6: without --force a time in the past is refused)', async () => {
  const m = await mt(['--exp', '1599004800', '--force']);
  assertSent(m, { restrictions: [{ exp: 1599004800 }] });
  // an already expired sub-token is still issued (server-api 5.3)
  const p = issued(m);
  assert.deepEqual(p.restrictions, [{ exp: 1599004800 }]);
});

test('17.6/73 --exp +1d sends exp = now+86400 (±2 s); --exp +60 sends now+60', async () => {
  const d = await mt(['--exp', '+1d']);
  assert.equal(d.r.status, 0, d.r.stderr);
  const rd = sentRestrictions(d);
  assert.equal(rd.length, 1);
  assert.deepEqual(Object.keys(rd[0]!), ['exp']);
  assertAbout(rd[0]!.exp, d, 86400, '+1d');
  assert.deepEqual(issued(d).restrictions, rd, 'the child has the restriction sent');

  const s = await mt(['--exp', '+60']);
  assert.equal(s.r.status, 0, s.r.stderr);
  const rs = sentRestrictions(s);
  assert.deepEqual(Object.keys(rs[0]!), ['exp']);
  assertAbout(rs[0]!.exp, s, 60, '+60');
});

test('17.6/74 with TZ=UTC, --nbf "2030-01-02 03:04" sends "nbf":1893553440', async () => {
  const m = await mt(['--nbf', '2030-01-02 03:04'], { env: { TZ: 'UTC' } });
  assertSent(m, { restrictions: [{ nbf: 1893553440 }] });
  assert.equal(m.r.status, 0, m.r.stderr);
});

test('17.6/78 --usages-at 0 sends [{"usages_AT":0}]; --usages-other 2 sends "usages_other":2', async () => {
  const z = await mt(['--usages-at', '0']);
  assertSent(z, { restrictions: [{ usages_AT: 0 }] });
  assert.deepEqual(issued(z).restrictions, [{ usages_AT: 0 }]);
  const o = await mt(['--usages-other', '2']);
  assertSent(o, { restrictions: [{ usages_other: 2 }] });
  assert.equal(o.r.status, 0, o.r.stderr);
});

test('17.6/79 (Q23 fixed) --geo-ip-disallow de alone sends [{"geoip_disallow":["de"]}]; with --host h {"hosts":["h"],"geoip_disallow":["de"]}', async () => {
  const alone = await mt(['--geo-ip-disallow', 'de']);
  assertSent(alone, { restrictions: [{ geoip_disallow: ['de'] }] }, 'alone');
  assert.equal(alone.r.status, 0, alone.r.stderr);
  const withHost = await mt(['--geo-ip-disallow', 'de', '--host', 'h']);
  assertSent(withHost, { restrictions: [{ hosts: ['h'], geoip_disallow: ['de'] }] }, 'with --host');
  assert.equal(withHost.r.status, 0, withHost.r.stderr);
});

test('17.6/80 -s a -s b --aud x --host 10.0.0.0/8 --geo-ip-allow de sends one clause', async () => {
  const m = await mt(['-s', 'a', '-s', 'b', '--aud', 'x', '--host', '10.0.0.0/8', '--geo-ip-allow', 'de']);
  const clause = { scope: 'a b', audience: ['x'], hosts: ['10.0.0.0/8'], geoip_allow: ['de'] };
  assertSent(m, { restrictions: [clause] });
  assert.deepEqual(Object.keys(sentRestrictions(m)[0]!), Object.keys(clause), 'clause member order (B.2)');
  assert.equal(m.r.status, 0, m.r.stderr);
});

test('17.6/81 (Q22 fixed) --restriction \'{"exp":1,"scope":"s"}\' --force sends it; with -s as well: exit 2, nothing sent', async () => {
  const alone = await mt(['--restriction', '{"exp":1,"scope":"s"}', '--force']);
  assertSent(alone, { restrictions: [{ exp: 1, scope: 's' }] });
  assert.equal(alone.r.status, 0, alone.r.stderr);

  const both = await mt(['--restriction', '{"exp":1,"scope":"s"}', '-s', 'ignored', '--force']);
  assert.equal(both.r.status, 2, both.r.stderr);
  assert.equal(both.bodies.length, 0, 'a request was sent');
  assert.equal(both.r.stdout, '');
  assert.match(both.r.stderr, /--restrictions?\b/);
});

test('17.6/82 (Q20 overridden) --restriction \'{"exp":"+1d"}\' sends exp = now+86400 as an integer', async () => {
  const m = await mt(['--restriction', '{"exp":"+1d"}']);
  assert.equal(m.r.status, 0, m.r.stderr);
  const r = sentRestrictions(m);
  assert.equal(r.length, 1);
  assert.deepEqual(Object.keys(r[0]!), ['exp']);
  assertAbout(r[0]!.exp, m, 86400, '"+1d"');
});

test('17.6/82 JSON time strings: "1599004800" and, with TZ=UTC, "2030-01-02 03:04" are sent as integers', async () => {
  const m = await mt(['--restriction', '{"nbf":"1599004800","exp":"2030-01-02 03:04"}'], { env: { TZ: 'UTC' } });
  assertSent(m, { restrictions: [{ nbf: 1599004800, exp: 1893553440 }] });
  assert.equal(m.r.status, 0, m.r.stderr);
});

test('17.6/83 --restriction "a b" sends [{"include":["a","b"]}]; --restriction a sends [{"include":"a"}]', async () => {
  const ab = await mt(['--restriction', 'a b']);
  assertSent(ab, { restrictions: [{ include: ['a', 'b'] }] }, '"a b"');
  assertUnknownInclude(ab, 'a', '"a b"');
  const a = await mt(['--restriction', 'a']);
  assertSent(a, { restrictions: [{ include: 'a' }] }, 'a');
  assertUnknownInclude(a, 'a', 'a');
});

test('17.6/85 ./r.json holding [{"exp":5},{"usages_AT":1}] sends exactly those clauses (--force: exp is in the past); MYTOKEN_RESTRICTIONS=./r.json too', async () => {
  const h = homeFor();
  writeFileSync(join(h.home, 'r.json'), '[{"exp":5},{"usages_AT":1}]');
  const flag = await mt(['--restriction', './r.json', '--force'], { home: h });
  assertSent(flag, { restrictions: [{ exp: 5 }, { usages_AT: 1 }] }, 'flag');
  assert.equal(flag.r.status, 0, flag.r.stderr);
  const env = await mt(['--force'], { home: h, env: { MYTOKEN_RESTRICTIONS: './r.json' } });
  assertSent(env, { restrictions: [{ exp: 5 }, { usages_AT: 1 }] }, 'MYTOKEN_RESTRICTIONS');
  assert.equal(env.r.status, 0, env.r.stderr);
});

test('restriction files: ~/r.json (HOME expanded), a file holding one object, a file with a string time value', async () => {
  const h = homeFor();
  writeFileSync(join(h.home, 'r.json'), '[{"usages_AT":4}]');
  const tilde = await mt(['--restriction', '~/r.json'], { home: h });
  assertSent(tilde, { restrictions: [{ usages_AT: 4 }] }, '~/r.json');
  assert.equal(tilde.r.status, 0, tilde.r.stderr);

  writeFileSync(join(h.home, 'one.json'), '{\n  "scope": "storage.read",\n  "usages_other": 0\n}\n');
  const one = await mt(['--restriction', join(h.home, 'one.json')], { home: h });
  assertSent(one, { restrictions: [{ scope: 'storage.read', usages_other: 0 }] }, 'one object (absolute path)');
  assert.equal(one.r.status, 0, one.r.stderr);

  writeFileSync(join(h.home, 'times.json'), '[{"exp":"+1d"},{"usages_AT":1}]');
  const times = await mt(['--restriction', './times.json'], { home: h });
  assert.equal(times.r.status, 0, times.r.stderr);
  const r = sentRestrictions(times);
  assert.equal(r.length, 2);
  assert.deepEqual(Object.keys(r[0]!), ['exp']);
  assertAbout(r[0]!.exp, times, 86400, 'file "+1d"');
  assert.deepEqual(r[1], { usages_AT: 1 });
  assert.deepEqual(issued(times).restrictions, r, 'the child has both clauses');
});

test('server templates: --restriction "1d ip-this" sends [{"include":["1d","ip-this"]}]; the child expires in a day, usable from 127.0.0.1', async () => {
  const m = await mt(['--restriction', '1d ip-this']);
  assertSent(m, { restrictions: [{ include: ['1d', 'ip-this'] }] });
  const p = issued(m, 'the server should know the templates 1d and ip-this');
  const r = p.restrictions as Record<string, unknown>[];
  assert.equal(r.length, 1, JSON.stringify(r));
  assertAbout(r[0]!.exp, m, 86400, 'template 1d');
  assert.deepEqual(r[0]!.hosts, ['127.0.0.1']);
});

// ---- 17.5 profile, tags, rotation -------------------------------------------------------------

test('17.5/56 --profile "p1 p2" sends "include":["p1","p2"] and no capabilities; --profile p1 sends "include":"p1"', async () => {
  const two = await mt(['--profile', 'p1 p2']);
  assertSent(two, { include: ['p1', 'p2'] }, '"p1 p2"');
  assertUnknownInclude(two, 'p1', '"p1 p2"');
  const one = await mt(['--profile', 'p1']);
  assertSent(one, { include: 'p1' }, 'p1');
  assertUnknownInclude(one, 'p1', 'p1');
});

test('17.5/56 --profile agent (a server profile) gives the child the parent\'s capabilities the profile asks for', async () => {
  const m = await mt(['--profile', 'agent']);
  assertSent(m, { include: 'agent' });
  const p = issued(m, 'the server should know the profile agent');
  // agent = @all; a sub-token keeps those the parent satisfies
  assert.deepEqual([...(p.capabilities as string[])].sort(), ['AT', 'create_mytoken', 'tokeninfo']);
});

test('17.5/57 --tags a --tags b,c sends "tags":[{"tag":"a"},{"tag":"b"},{"tag":"c"}]', async () => {
  const m = await mt(['--tags', 'a', '--tags', 'b,c']);
  assertSent(m, { tags: [{ tag: 'a' }, { tag: 'b' }, { tag: 'c' }] });
  assert.equal(m.r.status, 0, m.r.stderr);
});

test('17.5/58 (Q24 fixed) --rotation-on-AT without --rotation sends "rotation":{"on_AT":true}', async () => {
  const m = await mt(['--rotation-on-AT']);
  assertSent(m, { rotation: { on_AT: true } });
  assert.deepEqual(issued(m).rotation, { on_AT: true });
});

test('17.5/59 --rotation tmpl --rotation-on-AT --rotation-lifetime 60 sends {"on_AT":true,"lifetime":60,"include":"tmpl"}', async () => {
  const m = await mt(['--rotation', 'tmpl', '--rotation-on-AT', '--rotation-lifetime', '60']);
  assertSent(m, { rotation: { on_AT: true, lifetime: 60, include: 'tmpl' } });
  assert.deepEqual(Object.keys(m.bodies[0]!.rotation as object), ['on_AT', 'lifetime', 'include']);
  assertUnknownInclude(m, 'tmpl');
});

test('17.5/60 (Q25 fixed) --rotation \'{"on_AT":true}\' sends "rotation":{"on_AT":true}', async () => {
  const m = await mt(['--rotation', '{"on_AT":true}']);
  assertSent(m, { rotation: { on_AT: true } });
  assert.deepEqual(issued(m).rotation, { on_AT: true });
});

test('rotation: --rotation ./rot.json reads the JSON file; the detail flags are added to it', async () => {
  const h = homeFor();
  writeFileSync(join(h.home, 'rot.json'), '{"on_other": true, "lifetime": 300}\n');
  const m = await mt(['--rotation', './rot.json', '--rotation-auto-revoke'], { home: h });
  assertSent(m, { rotation: { on_other: true, lifetime: 300, auto_revoke: true } });
  assert.deepEqual(issued(m).rotation, { on_other: true, lifetime: 300, auto_revoke: true });
});

test('server templates: --rotation at-other-auto-revoke gives the child on_AT, on_other and auto_revoke', async () => {
  const m = await mt(['--rotation', 'at-other-auto-revoke']);
  assertSent(m, { rotation: { include: 'at-other-auto-revoke' } });
  const p = issued(m, 'the server should know the rotation template at-other-auto-revoke');
  assert.deepEqual(p.rotation, { on_AT: true, on_other: true, auto_revoke: true });
});

test('--profile JSON with string time, capabilities, rotation and name; --name job wins and is prefixed', async () => {
  const profile = '{"restrictions":[{"exp":"+1h"}],"capabilities":["AT"],"rotation":{"on_other":true},"name":"p"}';
  const m = await mt(['--profile', profile, '--name', 'job']);
  assert.equal(m.bodies.length, 1, m.r.stderr);
  const b = m.bodies[0]!;
  const r = b.restrictions as Record<string, unknown>[];
  assert.equal(r.length, 1);
  assertAbout(r[0]!.exp, m, 3600, 'profile "+1h"');
  assertSent(m, { restrictions: r, capabilities: ['AT'], name: `${HOST}:job`, rotation: { on_other: true } });
  const p = issued(m);
  assert.deepEqual(p.capabilities, ['AT']);
  assert.deepEqual(p.rotation, { on_other: true });
  assert.deepEqual(p.restrictions, r);
});

test('--profile JSON: the single-clause flags replace its restrictions, --capability its capabilities, --rotation-on-AT adds to its rotation', async () => {
  const profile = '{"restrictions":[{"usages_AT":9}],"capabilities":["AT"],"rotation":{"on_other":true}}';
  const m = await mt(['--profile', profile, '--usages-at', '1', '--capability', 'AT tokeninfo', '--rotation-on-AT']);
  assertSent(m, { restrictions: [{ usages_AT: 1 }], capabilities: ['AT', 'tokeninfo'], rotation: { on_AT: true, on_other: true } });
  assert.equal(m.r.status, 0, m.r.stderr);
});

test('integer forms: --usages-at 0x1F sends 31, --usages-other 1_000 sends 1000', async () => {
  const m = await mt(['--usages-at', '0x1F', '--usages-other', '1_000']);
  assertSent(m, { restrictions: [{ usages_AT: 31, usages_other: 1000 }] });
  assert.equal(m.r.status, 0, m.r.stderr);
});

// ---- aliases ---------------------------------------------------------------------------------

test('aliases: --scopes, --audiences, --naf, --ip, --ips, --ip-allow, --hosts build one clause', async () => {
  const m = await mt([
    '--scopes', 'storage.read',
    '--audiences', 'https://rs.example.test',
    '--naf', '1893553440',
    '--ip', '10.1.2.3',
    '--ips', '10.0.0.0/8',
    '--ip-allow', 'h1.example.org',
    '--hosts', '*.example.org',
  ]);
  assertSent(m, {
    restrictions: [
      {
        exp: 1893553440,
        scope: 'storage.read',
        audience: ['https://rs.example.test'],
        hosts: ['10.1.2.3', '10.0.0.0/8', 'h1.example.org', '*.example.org'],
      },
    ],
  });
  assert.equal(m.r.status, 0, m.r.stderr);
});

test('aliases: --usages-at and --usages-AT', async () => {
  for (const flag of ['--usages-at', '--usages-AT']) {
    const m = await mt([flag, '7']);
    assertSent(m, { restrictions: [{ usages_AT: 7 }] }, flag);
    assert.equal(m.r.status, 0, `${flag}: ${m.r.stderr}`);
  }
});

test('aliases: --rotate, --rotate-on-at, --rotate-on-other; --rotate-on-AT and --rotation-on-at', async () => {
  const m = await mt(['--rotate', '{"lifetime":100}', '--rotate-on-at', '--rotate-on-other']);
  assertSent(m, { rotation: { on_AT: true, on_other: true, lifetime: 100 } });
  assert.equal(m.r.status, 0, m.r.stderr);
  for (const flag of ['--rotate-on-AT', '--rotation-on-at']) {
    const x = await mt([flag]);
    assertSent(x, { rotation: { on_AT: true } }, flag);
    assert.equal(x.r.status, 0, `${flag}: ${x.r.stderr}`);
  }
});

test('aliases: --capabilities and --restriction (and --restrictions)', async () => {
  const m = await mt(['--capabilities', 'AT', '--restriction', '{"usages_AT":2}']);
  assertSent(m, { restrictions: [{ usages_AT: 2 }], capabilities: ['AT'] });
  assert.deepEqual(issued(m).capabilities, ['AT']);
  const r = await mt(['--restrictions', '{"usages_other":3}']);
  assertSent(r, { restrictions: [{ usages_other: 3 }] });
  assert.equal(r.r.status, 0, r.r.stderr);
});

// ---- environment variables -------------------------------------------------------------------

test('env: MYTOKEN_RESTRICTIONS and MYTOKEN_RESTRICTION give the restrictions; the flag wins over them', async () => {
  const a = await mt([], { env: { MYTOKEN_RESTRICTIONS: '{"usages_AT":3}' } });
  assertSent(a, { restrictions: [{ usages_AT: 3 }] }, 'MYTOKEN_RESTRICTIONS');
  assert.equal(a.r.status, 0, a.r.stderr);
  const b = await mt([], { env: { MYTOKEN_RESTRICTION: '[{"scope":"compute"},{"usages_other":1}]' } });
  assertSent(b, { restrictions: [{ scope: 'compute' }, { usages_other: 1 }] }, 'MYTOKEN_RESTRICTION');
  assert.equal(b.r.status, 0, b.r.stderr);
  const c = await mt(['--restriction', '{"usages_AT":1}'], { env: { MYTOKEN_RESTRICTIONS: '{"usages_AT":3}' } });
  assertSent(c, { restrictions: [{ usages_AT: 1 }] }, 'flag and env');
  assert.equal(c.r.status, 0, c.r.stderr);
});

test('env: MYTOKEN_ROTATION gives the rotation (JSON or template names)', async () => {
  const a = await mt([], { env: { MYTOKEN_ROTATION: '{"on_AT":true,"lifetime":3600}' } });
  assertSent(a, { rotation: { on_AT: true, lifetime: 3600 } }, 'JSON');
  assert.deepEqual(issued(a).rotation, { on_AT: true, lifetime: 3600 });
  const b = await mt(['--rotation-on-other'], { env: { MYTOKEN_ROTATION: 'nosuchrot' } });
  assertSent(b, { rotation: { on_other: true, include: 'nosuchrot' } }, 'names');
  assertUnknownInclude(b, 'nosuchrot');
});

test('env: MYTOKEN_PROFILE gives the profile (JSON or profile names)', async () => {
  const a = await mt([], { env: { MYTOKEN_PROFILE: '{"capabilities":["AT"],"restrictions":{"usages_AT":5}}' } });
  assertSent(a, { restrictions: [{ usages_AT: 5 }], capabilities: ['AT'] }, 'JSON');
  assert.equal(a.r.status, 0, a.r.stderr);
  const b = await mt([], { env: { MYTOKEN_PROFILE: 'nosuchprofile' } });
  assertSent(b, { include: 'nosuchprofile' }, 'names');
  assertUnknownInclude(b, 'nosuchprofile');
});

// ---- server answers to what the client sent --------------------------------------------------

test('a restriction template the server does not know: 400 invalid_request "unknown include name", exit 1', async () => {
  const m = await mt(['--restriction', 'nosuch']);
  assertSent(m, { restrictions: [{ include: 'nosuch' }] });
  assertUnknownInclude(m, 'nosuch');
  assert.match(m.r.stderr, /invalid_request/);
});
