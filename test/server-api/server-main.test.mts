// `npm run server` (test/server/main.mts): one line of JSON on stdout, clean stderr, stops on signals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertOk, http } from '../server/testing.mjs';

const MAIN = fileURLToPath(new URL('../server/main.mjs', import.meta.url));

async function run(signal: NodeJS.Signals) {
  const child = spawn(process.execPath, [MAIN], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 10_000;
  while (!stdout.includes('\n') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 20));
  }
  try {
    assert.ok(stdout.endsWith('\n'), `no line on stdout; stderr: ${stderr}`);
    const info = JSON.parse(stdout);
    assert.deepEqual(Object.keys(info), ['url', 'issuer', 'user', 'ssh_port']);
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.user, 'alice');
    const doc = assertOk(await http(`${info.url}/.well-known/mytoken-configuration`));
    assert.equal(doc.issuer, info.url);
    assert.equal(doc.providers_supported[0].issuer, info.issuer);
    // a whole flow, as the demo does it (interval defaults to 5 in the announced reply)
    const flow = assertOk(
      await http(`${info.url}/api/v0/token/my`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'oidc_flow', oidc_issuer: info.issuer }),
      }),
    );
    assert.equal(flow.interval, 5);
  } finally {
    child.kill(signal);
  }
  const code = await exited;
  return { code, stdout, stderr };
}

test('main: prints exactly one JSON line, nothing on stderr, exits 0 on SIGTERM', async () => {
  const { code, stdout, stderr } = await run('SIGTERM');
  assert.equal(code, 0);
  assert.equal(stdout.split('\n').length, 2);
  assert.equal(stderr, '');
});

test('main: exits 0 on SIGINT', async () => {
  const { code, stderr } = await run('SIGINT');
  assert.equal(code, 0);
  assert.equal(stderr, '');
});
