// e2e: restrictions that depend on where a request comes from (GeoIP countries, reverse-DNS host
// names) and a server that honours error_on_restrictions (spec server-api.md 3.3, 4.1.4, 5.2, 5.4;
// cli.md 9.4 with Q23 fixed). Two servers: G maps 127.0.0.1 to France and to
// worker.example.org; E refuses sub-token requests wider than their parent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { type RunResult, run } from './helpers.mjs';
import { homeWithConfig, jwtPayload, listDir, postBodies, removeHomes, since, assertAccepted, assertRefused } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const MY = '/api/v0/token/my';
const CAPS = ['AT', 'create_mytoken', 'tokeninfo'];

/** 127.0.0.1 is in France and has the PTR name worker.example.org */
let G: LocalServer;
/** error_on_restrictions honoured (documented behaviour) */
let E: LocalServer;
let parentG: string;
let parentE: string;
/** on E: restricted to one hour and the scope storage.read */
let restrictedE: string;

before(async () => {
  [G, E] = await Promise.all([
    startLocalServer({ interval: 1, geoip: { '127.0.0.1': 'FR' }, ptr: { '127.0.0.1': ['worker.example.org'] } }),
    startLocalServer({ interval: 1, errorOnRestrictions: true }),
  ]);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  [parentG, parentE, restrictedE] = await Promise.all([
    G.mint({ capabilities: CAPS }).then((r) => r.mytoken as string),
    E.mint({ capabilities: CAPS }).then((r) => r.mytoken as string),
    E.mint({ capabilities: CAPS, restrictions: [{ exp, scope: 'storage.read' }] }).then((r) => r.mytoken as string),
  ]);
});

after(async () => {
  removeHomes();
  await Promise.all([G?.close(), E?.close()]);
});

interface Home {
  home: string;
  parentFile: string;
  parentContent: string;
  childFile: string;
}

function homeOn(server: LocalServer, parent: string): Home {
  const home = homeWithConfig(server.url, 'use_wlcg_token_discovery: false\n');
  const parentFile = join(home, 'parent.mt');
  const parentContent = `${parent}\n`;
  writeFileSync(parentFile, parentContent);
  return { home, parentFile, parentContent, childFile: join(home, 'child.mt') };
}

/** `mytoken MT --MT-file parent ...flags -o child` on `server`. */
async function mtChild(server: LocalServer, parent: string, flags: string[]) {
  const h = homeOn(server, parent);
  const n = server.requests.length;
  const r = await run(['MT', '--MT-file', h.parentFile, ...flags, '-o', h.childFile], { home: h.home });
  return { h, r, bodies: postBodies(since(server.requests, n), MY) };
}

/** Makes the child (it must be issued) and runs one `mytoken AT` with it. */
async function childThenAt(server: LocalServer, parent: string, flags: string[]): Promise<{ r: RunResult; payload: Record<string, unknown> }> {
  const { h, r: made } = await mtChild(server, parent, flags);
  assert.equal(made.status, 0, `MT ${flags.join(' ')}: ${made.stderr}`);
  const payload = jwtPayload(readFileSync(h.childFile, 'utf8').trim());
  assert.ok(payload, 'the child is not a JWT');
  const r = await run(['AT', '--MT-file', h.childFile], { home: h.home });
  return { r, payload };
}



// ---- GeoIP -----------------------------------------------------------------------------------

test('enforce: --geo-ip-allow FR works from France, --geo-ip-allow DE is refused', async () => {
  const fr = await childThenAt(G, parentG, ['--geo-ip-allow', 'FR']);
  assert.deepEqual(fr.payload.restrictions, [{ geoip_allow: ['FR'] }]);
  assertAccepted(fr.r, '--geo-ip-allow FR');
  assertRefused((await childThenAt(G, parentG, ['--geo-ip-allow', 'DE'])).r, '--geo-ip-allow DE');
});

test('enforce: (Q23 fixed) --geo-ip-disallow FR alone is refused from France, --geo-ip-disallow DE works', async () => {
  const fr = await childThenAt(G, parentG, ['--geo-ip-disallow', 'FR']);
  assert.deepEqual(fr.payload.restrictions, [{ geoip_disallow: ['FR'] }], 'the clause was not sent or not kept');
  assertRefused(fr.r, '--geo-ip-disallow FR');
  const de = await childThenAt(G, parentG, ['--geo-ip-disallow', 'DE']);
  assert.deepEqual(de.payload.restrictions, [{ geoip_disallow: ['DE'] }]);
  assertAccepted(de.r, '--geo-ip-disallow DE');
});

// ---- host names (reverse DNS) ----------------------------------------------------------------

test("enforce: --host '*.example.org' works from worker.example.org, --host '*.other.org' is refused", async () => {
  assertAccepted((await childThenAt(G, parentG, ['--host', '*.example.org'])).r, '--host *.example.org');
  assertAccepted((await childThenAt(G, parentG, ['--host', 'worker.example.org'])).r, '--host worker.example.org');
  assertRefused((await childThenAt(G, parentG, ['--host', '*.other.org'])).r, '--host *.other.org');
});

// ---- error_on_restrictions honoured ----------------------------------------------------------

test('a sub-token wider than its parent, server honouring error_on_restrictions: exit 3 "not subset", nothing written', async () => {
  const { h, r, bodies } = await mtChild(E, restrictedE, ['--exp', '+2h', '-s', 'storage.read']);
  assert.equal(bodies.length, 1);
  assert.equal(bodies[0]!.error_on_restrictions, true);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /not subset/);
  assert.equal(r.stdout, '');
  assert.deepEqual(listDir(h.home).filter((f) => f.endsWith('.mt')), ['parent.mt'], 'a child file was written');
  assert.equal(readFileSync(h.parentFile, 'utf8'), h.parentContent);
});

test('a sub-token narrower than its parent, server honouring error_on_restrictions: issued as asked', async () => {
  const { r, payload } = await childThenAt(E, restrictedE, ['--exp', '+30m', '-s', 'storage.read', '--usages-at', '1']);
  const c = (payload.restrictions as Record<string, unknown>[])[0]!;
  assert.equal(c.scope, 'storage.read');
  assert.equal(c.usages_AT, 1);
  assertAccepted(r, 'AT');
});

test('an unrestricted parent, server honouring error_on_restrictions: any restrictions are accepted', async () => {
  const { r, payload } = await childThenAt(E, parentE, ['--exp', '+1d', '--host', 'this']);
  const c = (payload.restrictions as Record<string, unknown>[])[0]!;
  assert.deepEqual(c.hosts, ['127.0.0.1']);
  assertAccepted(r, 'AT');
});
