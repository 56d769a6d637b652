// The single binary (issue 6) where no Node is installed: PATH holds nothing but `ssh`. These tests
// run only against the binary (`npm run test:binary`, MYTOKEN_TEST_BINARY=1); the rest of the CLI
// suite runs against it unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalServer, startLocalServer } from '../server/index.mjs';
import { BINARY, run, show, sshShim, startLogin } from './helpers.mjs';
import { homeWithConfig, jwtPayload, removeHomes } from './stub-server.mjs';


describe('the single binary, with no Node on PATH', { skip: !BINARY && 'runs against the binary only (npm run test:binary)' }, () => {
  let S: LocalServer;
  before(async () => {
    S = await startLocalServer({});
  });
  after(async () => {
    await S.close();
    removeHomes();
  });

  test('--version, and AT: two requests cold, one warm; the config is read by the embedded YAML parser; NODE_OPTIONS is ignored', async () => {
    const home = homeWithConfig(S.url, 'use_wlcg_token_discovery: false\n');
    const keyless = join(home, 'empty-bin');
    mkdirSync(keyless);
    const env = { PATH: keyless };
    const version = await run(['--version'], { home, env });
    assert.equal(version.status, 0, show(version));
    assert.equal(version.stdout, 'mytoken version 0.7.1\n');

    const file = join(home, 'mt.txt');
    writeFileSync(file, `${(await S.mint({ capabilities: ['AT'] })).mytoken}\n`, { mode: 0o600 });
    for (const [round, expected] of [['cold', 2], ['warm', 1]] as const) {
      const before = S.requests.length;
      const at = await run(['AT', '--MT-file', file], { home, env });
      assert.equal(at.status, 0, `${round}: ${show(at)}`);
      assert.match(at.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, `${round}: an access token and a newline`);
      assert.equal(at.stderr, '');
      assert.equal(S.requests.length - before, expected, `${round} AT: ${S.requests.slice(before).map((r) => r.path).join(', ')}`);
    }
    // a credential tool must not run code an environment variable names
    const injected = await run(['--version'], { home, env: { ...env, NODE_OPTIONS: `--require ${join(home, 'nowhere.js')}` } });
    assert.equal(injected.status, 0, show(injected));
    assert.equal(injected.stdout, 'mytoken version 0.7.1\n');
  });

  test('login with its QR code, the ssh grant with a re-login, then AT --ssh through OpenSSH', async () => {
    const home = homeWithConfig(S.url, 'use_wlcg_token_discovery: false\n');
    const keyFile = join(home, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'binary-test', '-f', keyFile]);
    const env = { PATH: sshShim(home, keyFile).bin };
    const file = join(home, 'mt.txt');

    const login = await startLogin(['MT', '-i', S.issuer, '--capability', 'AT settings', '-o', file], { home, env });
    await S.approve(login.url);
    const mt = await login.done;
    assert.equal(mt.status, 0, show(mt));
    assert.match(mt.stderr, /[▀▄█]{10}/, 'the QR code (from the embedded QR encoder)');
    assert.equal(jwtPayload(readFileSync(file, 'utf8').trim())?.iss, S.url);

    const enabled = await run(['settings', 'grants', 'enable', 'ssh', '--MT-file', file], { home, env });
    assert.equal(enabled.status, 0, show(enabled));
    const add = await startLogin(['settings', 'grants', 'ssh', 'add', `${keyFile}.pub`, '--key-name', 'binary', '--capability', 'AT', '--MT-file', file], {
      home,
      env: { ...env, MYTOKEN_HTTP_TIMEOUT: '20' },
    });
    await S.approve(add.url);
    const added = await add.done;
    assert.equal(added.status, 0, show(added));

    const at = await run(['AT', '--ssh', 'mytoken-binary'], { home, env });
    assert.equal(at.status, 0, show(at));
    assert.match(at.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'an access token over ssh');
  });
});
