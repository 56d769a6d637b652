// e2e: bad restriction, time, profile and rotation input to `mytoken MT` (spec cli.md 9.2-9.7,
// contract 17.6/75-77, 81, 84, 86, with the project decisions: exit 2, a message on stderr naming
// the value or file, nothing sent, the parent's token file untouched). The client checks all this
// before it reads the mytoken or contacts the server, so the server must see no request at all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalServer } from '../server/index.mjs';
import { type RunResult, run } from './helpers.mjs';
import { homeWithConfig, listDir, postBodies, removeHomes, since } from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

const MY = '/api/v0/token/my';

let S: LocalServer;
/** unrestricted, may create sub-tokens: any request the client wrongly sent would succeed */
let parent: string;

before(async () => {
  S = await startLocalServer({ interval: 1 });
  parent = (await S.mint({ capabilities: ['AT', 'create_mytoken', 'tokeninfo'] })).mytoken as string;
});

after(async () => {
  removeHomes();
  await S?.close();
});

interface Home {
  home: string;
  /** folder holding only the parent's token file */
  dir: string;
  file: string;
  content: string;
}

function homeFor(): Home {
  const home = homeWithConfig(S.url, 'use_wlcg_token_discovery: false\n');
  const dir = join(home, 'tokens');
  mkdirSync(dir);
  const file = join(dir, 'parent');
  const content = `${parent}\n`;
  writeFileSync(file, content);
  return { home, dir, file, content };
}

/**
 * Runs `mytoken MT --MT-file <parent> ...args` and checks the common outcome of bad input: exit 2,
 * nothing on stdout, a `mytoken:` message on stderr matching `message`, no request to the server
 * (above all none to the mytoken endpoint), the token file byte-for-byte unchanged and alone.
 */
async function refused(
  args: string[],
  message: RegExp,
  opts: { env?: Record<string, string | undefined>; home?: Home; label?: string } = {},
): Promise<RunResult> {
  const h = opts.home ?? homeFor();
  const label = opts.label ?? args.join(' ');
  const n = S.requests.length;
  const r = await run(['MT', '--MT-file', h.file, ...args], { home: h.home, env: opts.env });
  const got = since(S.requests, n);
  assert.equal(postBodies(got, MY).length, 0, `${label}: a request reached the mytoken endpoint`);
  assert.equal(r.status, 2, `${label}: exit status; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '', `${label}: stdout`);
  assert.match(r.stderr, /^mytoken: /, `${label}: stderr`);
  assert.match(r.stderr, message, `${label}: stderr`);
  assert.deepEqual(
    got.map((q) => `${q.method} ${q.path}`),
    [],
    `${label}: the client contacted the server before checking its input`,
  );
  assert.equal(readFileSync(h.file, 'utf8'), h.content, `${label}: the parent's token file changed`);
  assert.deepEqual(listDir(h.dir), ['parent'], `${label}: stray files next to the token file`);
  return r;
}

// ---- JSON ------------------------------------------------------------------------------------

test('bad JSON in --restriction: exit 2, stderr says where (line, column)', async () => {
  await refused(['--restriction', '{"exp": 1,'], /line 1\b.*column 11\b/i);
  await refused(['--restriction', '[{"exp":1} {"x":2}]'], /line 1\b.*column 12\b/i);
  await refused(['--rotation', '{"on_AT": true,'], /line 1\b.*column \d+/i);
  await refused(['--profile', '{"name": "x" "capabilities": []}'], /line 1\b.*column \d+/i);
});

test('bad JSON with an unexpected character (a value missing, a misspelt literal): stderr still says where', async () => {
  // V8 reports these without a position; the client must still show line and column
  await refused(['--restriction', '[{"exp": 1}, {"usages_AT": }]'], /line 1\b.*column 28\b/i);
  await refused(['--restriction', '{"exp": tru}'], /line 1\b.*column \d+/i);
  const h = homeFor();
  writeFileSync(join(h.home, 'r.json'), '[\n  {"exp": 5},\n  {"usages_AT": }\n]\n');
  await refused(['--restriction', './r.json'], /r\.json[\s\S]*line 3\b.*column 17\b/i, { home: h });
});

test('bad JSON in a restrictions file: exit 2, stderr names the file and the line', async () => {
  const h = homeFor();
  writeFileSync(join(h.home, 'broken.json'), '[\n  {"exp": 5},\n  {"usages_AT" 1}\n]\n');
  await refused(['--restriction', './broken.json'], /broken\.json[\s\S]*line 3\b/, { home: h });
});

test('a restriction clause that is not an object: exit 2', async () => {
  await refused(['--restriction', '[1]'], /clause|object/i);
  await refused(['--restriction', '[{"exp":5}, [{"exp":6}]]'], /clause|object/i);
  await refused(['--restriction', '[{"exp":5}, true]'], /clause|object/i);
});

test('an unknown restriction key ("hots") is an error, not silently dropped: exit 2, stderr names it', async () => {
  await refused(['--restriction', '{"hots":["10.0.0.1"]}'], /hots/);
  await refused(['--restriction', '[{"usages_AT":1},{"exp":5,"sope":"x"}]'], /sope/);
});

test('wrong types in a clause: exit 2', async () => {
  await refused(['--restriction', '{"usages_AT":"3"}'], /usages_AT/);
  await refused(['--restriction', '{"exp":1.5}'], /exp/);
  await refused(['--restriction', '{"exp":true}'], /exp/);
  await refused(['--restriction', '{"hosts":[1,2]}'], /hosts/);
});

// ---- time values (17.6/75-77) ----------------------------------------------------------------

test('17.6/75 --exp +1h30 (a number without unit): exit 2, stderr shows the value', async () => {
  await refused(['--exp', '+1h30'], /\+1h30/);
});

test('17.6/76 --exp +2M (unknown unit, there are no months): exit 2, stderr shows the value', async () => {
  await refused(['--exp', '+2M'], /\+2M/);
});

test('17.6/77 --exp tomorrow: exit 2, stderr shows the value', async () => {
  await refused(['--exp', 'tomorrow'], /tomorrow/);
});

test('time values: + with nothing after it, a bad date, a bad --nbf, a bad string time in JSON: exit 2', async () => {
  await refused(['--exp', '+'], /"\+"|'\+'|\+\s*(:|$)|nothing after/m);
  await refused(['--exp', '2020-9-2 00:00'], /2020-9-2 00:00/);
  await refused(['--exp', '2030-02-30 00:00'], /2030-02-30 00:00/);
  await refused(['--nbf', '+1.h.'], /\+1\.h\./);
  await refused(['--restriction', '{"exp":"+2M"}'], /\+2M/);
  await refused(['--restriction', '{"nbf":"soon"}'], /soon/);
});

test('--exp earlier than --nbf: exit 2 (the mytoken could never be used)', async () => {
  await refused(['--nbf', '+2h', '--exp', '+1h'], /exp|nbf/);
  await refused(['--restriction', '{"nbf":2000000000,"exp":1900000000}'], /exp|nbf/);
  await refused(['--restriction', '[{"usages_AT":1},{"nbf":"+2d","exp":"+1d"}]'], /exp|nbf/);
});

// ---- usage counts ----------------------------------------------------------------------------

test('a negative usage count: exit 2', async () => {
  await refused(['--usages-at=-1'], /-1/);
  await refused(['--usages-other=-5'], /-5/);
  await refused(['--restriction', '{"usages_AT":-1}'], /usages_AT|-1/);
  await refused(['--restriction', '{"usages_other":-2}'], /usages_other|-2/);
  await refused(['--usages-at', 'many'], /many/);
});

// ---- files (17.6/84, 86) ---------------------------------------------------------------------

test('17.6/84 --restriction ./missing.json: exit 2, stderr names the file', async () => {
  await refused(['--restriction', './missing.json'], /missing\.json/);
  await refused(['--restriction', '~/nope.json'], /nope\.json/);
  await refused([], /gone\.json/, { env: { MYTOKEN_RESTRICTIONS: './gone.json' }, label: 'MYTOKEN_RESTRICTIONS=./gone.json' });
});

test('a restrictions file that is not JSON: exit 2, stderr names the file', async () => {
  const h = homeFor();
  writeFileSync(join(h.home, 'text.json'), 'exp=+1d\n');
  await refused(['--restriction', './text.json'], /text\.json/, { home: h });
  writeFileSync(join(h.home, 'empty.json'), '');
  await refused(['--restriction', './empty.json'], /empty\.json/, { home: h });
});

test('17.6/86 --restriction ./bad.json holding "x" (or a number): exit 2, stderr names the file', async () => {
  const h = homeFor();
  writeFileSync(join(h.home, 'bad.json'), '"x"\n');
  await refused(['--restriction', './bad.json'], /bad\.json/, { home: h });
  writeFileSync(join(h.home, 'num.json'), '42\n');
  await refused(['--restriction', './num.json'], /num\.json/, { home: h });
});

test('a folder given as restrictions file: exit 2, stderr names it', async () => {
  const h = homeFor();
  mkdirSync(join(h.home, 'adir'));
  await refused(['--restriction', './adir'], /adir/, { home: h });
});

// ---- restrictions together with single-clause flags (Q22 fixed) -------------------------------

test('17.6/81 (Q22 fixed) --restriction with any single-clause flag: exit 2, nothing sent', async () => {
  const json = '{"exp":1,"scope":"s"}';
  const flags: string[][] = [
    ['-s', 'ignored'],
    ['--aud', 'https://rs.example.test'],
    ['--exp', '+1d'],
    ['--nbf', '+1h'],
    ['--host', '10.0.0.1'],
    ['--geo-ip-allow', 'DE'],
    ['--geo-ip-disallow', 'FR'],
    ['--usages-at', '1'],
    ['--usages-other', '0'],
  ];
  for (const f of flags) await refused(['--restriction', json, ...f], /restriction/i, { label: `--restriction + ${f.join(' ')}` });
});

test('MYTOKEN_RESTRICTIONS / MYTOKEN_RESTRICTION with a single-clause flag: exit 2, stderr names the variable', async () => {
  await refused(['--exp', '+1d'], /MYTOKEN_RESTRICTIONS/, { env: { MYTOKEN_RESTRICTIONS: '{"usages_AT":1}' } });
  await refused(['--geo-ip-disallow', 'FR'], /MYTOKEN_RESTRICTION\b/, { env: { MYTOKEN_RESTRICTION: '1d' } });
});

// ---- profile and rotation --------------------------------------------------------------------

test('(Q31 fixed) --profile null: exit 2', async () => {
  await refused(['--profile', 'null'], /profile/i);
  await refused([], /profile|MYTOKEN_PROFILE/i, { env: { MYTOKEN_PROFILE: 'null' }, label: 'MYTOKEN_PROFILE=null' });
});

test('--profile JSON that is broken, not an object, or has bad restrictions: exit 2', async () => {
  await refused(['--profile', '{"capabilities":["AT"'], /profile/i);
  await refused(['--profile', '[1,2]'], /profile/i);
  await refused(['--profile', '{"restrictions":[{"exp":"+2M"}]}'], /\+2M/);
  await refused(['--profile', '{"restrictions":[{"hots":["x"]}]}'], /hots/);
  await refused(['--profile', '{"capabilities":[1]}'], /capabilities/);
});

test('a rotation JSON with wrong types: exit 2', async () => {
  await refused(['--rotation', '{"on_AT":"yes"}'], /on_AT/);
  await refused(['--rotation', '{"lifetime":"60"}'], /lifetime/);
  await refused(['--rotation', '{"lifetime":-1}'], /lifetime/);
  await refused(['--rotation', '{"on_AT":true,'], /rotation/i);
  await refused(['--rotation', '[true]'], /rotation/i);
  await refused([], /MYTOKEN_ROTATION|rotation/i, { env: { MYTOKEN_ROTATION: '{"auto_revoke":1}' }, label: 'MYTOKEN_ROTATION' });
});

test('a rotation file that is missing or holds wrong types: exit 2, stderr names the file', async () => {
  const h = homeFor();
  await refused(['--rotation', './norot.json'], /norot\.json/, { home: h });
  writeFileSync(join(h.home, 'rot.json'), '{"on_other": "true"}');
  await refused(['--rotation', './rot.json'], /rot\.json|on_other/, { home: h });
  await refused(['--rotation-lifetime', 'soon'], /soon/, { home: h });
});
