// e2e: the HTTP layer never sends a mytoken to another origin (11.4), never reads more than the reply
// limit (11.8), always ends a request within its deadline, also through a proxy (11.9), and takes
// MYTOKEN_HTTP_TIMEOUT only as a sane number of seconds (11.10), with a patient wait for requests
// that may rotate a mytoken.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, finished, run, type RunResult } from './helpers.mjs';
import { startForwardingProxy, startProxy } from './proxy.mjs';
import {
  CONFIG_PATH,
  OPAQUE_MT,
  assertFailed,
  assertUntouched,
  closedPortUrl,
  postBodies,
  removeHomes,
  since,
  startSilentServer,
  startStubServer,
  tokenFileFor,
  type StubServer,
} from './stub-server.mjs';

const ACCESS = '/api/v0/token/access';
const MiB = 1024 * 1024;

let A: StubServer;
let B: StubServer;

before(async () => {
  A = await startStubServer();
  B = await startStubServer();
});
beforeEach(() => {
  A.reset();
  B.reset();
});
after(async () => {
  removeHomes();
  await A?.close();
  await B?.close();
});

interface Closable {
  url: string;
  close(): Promise<void>;
}

/** A plain node http server on loopback answering with `handler`. */
async function rawServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Closable> {
  const sockets = new Set<Socket>();
  const server = http.createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A proxy whose CONNECT answer is `onConnect`; it counts the CONNECTs it gets. */
async function connectProxy(onConnect: (socket: Socket) => void): Promise<Closable & { connects: number }> {
  let connects = 0;
  const sockets = new Set<Socket>();
  const server = http.createServer((_req, res) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('no');
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    connects++;
    onConnect(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connects() {
      return connects;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An https URL on loopback where nothing listens (only a proxy ever gets to "reach" it). */
async function httpsNowhere(): Promise<string> {
  return (await closedPortUrl()).replace(/^http:/, 'https:');
}

const atFile = (instance: string) => tokenFileFor(instance, `${OPAQUE_MT}\n`);

// ---- 11.4 redirects ---------------------------------------------------------------------------

for (const status of [307, 302]) {
  test(`11.4 a ${status} from the token endpoint to another origin: exit 4 naming both URLs, the other server gets no request`, async () => {
    A.on('POST', ACCESS, { status, headers: { location: `${B.url}/steal` }, body: {} });
    B.on('POST', '/steal', { status: 200, body: { access_token: 'at-of-another-server' } });
    B.on('GET', '/steal', { status: 200, body: { access_token: 'at-of-another-server' } });
    const t = atFile(A.url);
    const nB = B.requests.length;
    const r = await run(['AT', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 4, /redirect/i);
    assert.ok(r.stderr.includes(`${A.url}${ACCESS}`), r.stderr);
    assert.ok(r.stderr.includes(`${B.url}/steal`), r.stderr);
    assert.ok(!r.stderr.includes(OPAQUE_MT), 'the mytoken is in the message');
    assert.deepEqual(since(B.requests, nB), [], 'the other server got a request');
    assertUntouched(t);
  });
}

test('11.4 a same-origin 307 from the token endpoint is followed, re-posting the request', async () => {
  const moved = '/api/v0/token/access-moved';
  A.on('POST', ACCESS, { status: 307, headers: { location: moved }, body: {} });
  A.on('POST', moved, { status: 200, body: { access_token: 'at-same-origin', token_type: 'Bearer' } });
  const t = atFile(A.url);
  const n = A.requests.length;
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'at-same-origin\n');
  assert.equal(postBodies(since(A.requests, n), moved)[0]?.mytoken, OPAQUE_MT);
  assertUntouched(t);
});

test('11.4 a redirect of the configuration document to another origin: exit 4, the other server gets no request', async () => {
  A.on('GET', CONFIG_PATH, { status: 302, headers: { location: `${B.url}${CONFIG_PATH}` }, body: {} });
  const t = atFile(A.url);
  const nB = B.requests.length;
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assertFailed(r, 4, /redirect/i);
  assert.ok(r.stderr.includes(`${B.url}${CONFIG_PATH}`), r.stderr);
  assert.deepEqual(since(B.requests, nB), []);
  assertUntouched(t);
});

test('11.4 a same-origin redirect loop ends after 10 redirects: exit 4', async () => {
  A.on('GET', CONFIG_PATH, { status: 302, headers: { location: CONFIG_PATH }, body: {} });
  const t = atFile(A.url);
  const n = A.requests.length;
  const r = await run(['AT', '--MT-file', t.file], { home: t.home });
  assertFailed(r, 4, /too many redirects/);
  assert.equal(since(A.requests, n).length, 11);
  assertUntouched(t);
});

// ---- 11.8 reply size ---------------------------------------------------------------------------

/** A server that streams JSON-ish bytes without Content-Length until the client goes away. */
async function endlessServer(): Promise<Closable & { written: () => number }> {
  let written = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const srv = await rawServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"access_token":"');
    let open = true;
    res.on('close', () => (open = false));
    const pump = () => {
      while (open && written < 1024 * MiB && res.write(chunk)) written += chunk.length;
    };
    res.on('drain', pump);
    pump();
  });
  return { ...srv, written: () => written };
}

test('11.8 an endless reply without Content-Length: reading stops at 8 MiB, exit 4 naming the server and the limit', async () => {
  const srv = await endlessServer();
  try {
    const t = atFile(srv.url);
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, timeoutMs: 15_000 });
    assertFailed(r, 4, /8 MiB/);
    assert.ok(r.stderr.includes(srv.url), r.stderr);
    assert.ok(srv.written() < 64 * MiB, `the server wrote ${srv.written()} bytes before the client stopped`);
    assertUntouched(t);
  } finally {
    await srv.close();
  }
});

test('11.8 a Content-Length of 3 GB that never comes: exit 4 at once, not after the timeout', async () => {
  const srv = await rawServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(3_000_000_000) });
    res.write('{"access_token":"');
  });
  try {
    const t = atFile(srv.url);
    // the default timeout is 20 s: the run's own 10 s limit fails the test if the client waits for it
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, timeoutMs: 10_000 });
    assertFailed(r, 4, /8 MiB/);
    assert.ok(r.stderr.includes(srv.url), r.stderr);
    assertUntouched(t);
  } finally {
    await srv.close();
  }
});

test('11.8 a 9 MiB JSON answer of the token endpoint: exit 4, nothing printed', async () => {
  A.on('POST', ACCESS, { status: 200, body: `{"access_token":"${'a'.repeat(9 * MiB)}"}` });
  const t = atFile(A.url);
  const r = await run(['AT', '--MT-file', t.file], { home: t.home, timeoutMs: 15_000 });
  assertFailed(r, 4, /8 MiB/);
  assertUntouched(t);
});

test('11.8 an endless reply through a proxy: reading stops at 8 MiB, exit 4', async () => {
  const srv = await endlessServer();
  const proxy = await startProxy();
  try {
    const t = atFile(srv.url);
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { HTTP_PROXY: proxy.url, NO_PROXY: undefined }, timeoutMs: 15_000 });
    assertFailed(r, 4, /8 MiB/);
    assert.ok(r.stderr.includes(srv.url), r.stderr);
    assert.ok(srv.written() < 64 * MiB, `the server wrote ${srv.written()} bytes before the client stopped`);
    assertUntouched(t);
  } finally {
    await proxy.close();
    await srv.close();
  }
});

// ---- 11.9 proxies -----------------------------------------------------------------------------

test('11.9 a proxy that accepts CONNECT and closes the socket without answering: exit 4, one CONNECT, no spinning', async () => {
  const proxy = await connectProxy((s) => s.destroy());
  try {
    const t = atFile(await httpsNowhere());
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { HTTPS_PROXY: proxy.url, NO_PROXY: undefined, MYTOKEN_HTTP_TIMEOUT: '2' } });
    assertFailed(r, 4, /proxy/);
    assert.ok(r.stderr.includes(proxy.url), r.stderr);
    assert.ok(proxy.connects <= 2, `the proxy got ${proxy.connects} CONNECTs`);
    assertUntouched(t);
  } finally {
    await proxy.close();
  }
});

test('11.9 a proxy that answers CONNECT with 502 (cannot reach the server): exit 4 naming the status', async () => {
  const proxy = await connectProxy((s) => s.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n'));
  try {
    const target = await httpsNowhere();
    const t = atFile(target);
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { HTTPS_PROXY: proxy.url, NO_PROXY: undefined, MYTOKEN_HTTP_TIMEOUT: '2' } });
    assertFailed(r, 4, /502/);
    assert.ok(r.stderr.includes(target), r.stderr);
    assert.ok(proxy.connects <= 2, `the proxy got ${proxy.connects} CONNECTs`);
    assertUntouched(t);
  } finally {
    await proxy.close();
  }
});

test('11.9 a proxy that never answers a CONNECT: exit 4 "no answer" after MYTOKEN_HTTP_TIMEOUT', async () => {
  const proxy = await startSilentServer();
  try {
    const target = await httpsNowhere();
    const t = atFile(target);
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { HTTPS_PROXY: proxy.url, NO_PROXY: undefined, MYTOKEN_HTTP_TIMEOUT: '2' } });
    assertFailed(r, 4, /no answer from .* within 2 s/);
    assert.ok(r.stderr.includes(target), r.stderr);
    assertUntouched(t);
  } finally {
    await proxy.close();
  }
});

test('11.9 a proxy that never answers a forwarded http request: exit 4 "no answer" after MYTOKEN_HTTP_TIMEOUT', async () => {
  const proxy = await startSilentServer();
  try {
    const t = atFile(A.url);
    const n = A.requests.length;
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { HTTP_PROXY: proxy.url, NO_PROXY: undefined, MYTOKEN_HTTP_TIMEOUT: '2' } });
    assertFailed(r, 4, /no answer from .* within 2 s/);
    assert.equal(since(A.requests, n).length, 0);
    assertUntouched(t);
  } finally {
    await proxy.close();
  }
});

test('11.9 a proxy that cannot reach an http server answers 502: exit 4', async () => {
  const proxy = await startProxy();
  try {
    const t = atFile(await closedPortUrl());
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { HTTP_PROXY: proxy.url, NO_PROXY: undefined, MYTOKEN_HTTP_TIMEOUT: '2' } });
    assertFailed(r, 4, /502/);
    assertUntouched(t);
  } finally {
    await proxy.close();
  }
});

test('11.9 an http server through a proxy that only forwards absolute-form requests (no CONNECT): AT works', async () => {
  const proxy = await startForwardingProxy();
  A.on('POST', ACCESS, { status: 200, body: { access_token: 'at-through-forwarding-proxy', token_type: 'Bearer' } });
  try {
    const t = atFile(A.url);
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { HTTP_PROXY: proxy.url, NO_PROXY: undefined } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'at-through-forwarding-proxy\n');
    assert.deepEqual(proxy.seen, [`GET ${A.url}${CONFIG_PATH}`, `POST ${A.url}${ACCESS}`]);
    assert.deepEqual(proxy.tunnels, []);
    assertUntouched(t);
  } finally {
    await proxy.close();
  }
});

// ---- 11.10 MYTOKEN_HTTP_TIMEOUT ----------------------------------------------------------------

for (const value of ['abc', '0', '-1', '3000000', '1e999']) {
  test(`11.10 MYTOKEN_HTTP_TIMEOUT=${value}: exit 2 naming the variable and the value, no request sent`, async () => {
    const t = atFile(A.url);
    const n = A.requests.length;
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { MYTOKEN_HTTP_TIMEOUT: value } });
    assertFailed(r, 2, /MYTOKEN_HTTP_TIMEOUT/);
    assert.ok(r.stderr.includes(`"${value}"`), r.stderr);
    assert.equal(since(A.requests, n).length, 0);
    assertUntouched(t);
  });
}

for (const value of ['0.5', '86400']) {
  test(`11.10 MYTOKEN_HTTP_TIMEOUT=${value} is accepted`, async () => {
    A.on('POST', ACCESS, { status: 200, body: { access_token: 'at-with-timeout', token_type: 'Bearer' } });
    const t = atFile(A.url);
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { MYTOKEN_HTTP_TIMEOUT: value } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'at-with-timeout\n');
  });
}

// ---- 11.10 the patient wait (api/http.ts driven from a small script) ---------------------------

const HTTP_JS = join(ROOT, 'build', 'src', 'api', 'http.js');

interface Outcome {
  ok: boolean;
  status?: number;
  body?: string;
  name?: string;
  sent?: boolean;
  message?: string;
  hint?: string;
  exitStatus?: number;
  slow: number[];
  ms: number;
}

/** Sends one POST with `send()` in a fresh node process and reports how it ended. */
async function sendFromScript(url: string, opts: { waitMs?: number; bodyBytes?: number; env?: Record<string, string> }): Promise<Outcome> {
  const code = `
    const { send } = require(${JSON.stringify(HTTP_JS)});
    const slow = [];
    const started = Date.now();
    const patient = ${opts.waitMs === undefined ? 'undefined' : `{ waitMs: ${opts.waitMs}, onSlow: (s) => slow.push(s) }`};
    const body = { grant_type: 'mytoken', mytoken: 'm', pad: 'x'.repeat(${opts.bodyBytes ?? 0}) };
    send({ method: 'POST', url: ${JSON.stringify(url)}, body, env: process.env, patientAfterSend: patient }).then(
      (res) => console.log(JSON.stringify({ ok: true, status: res.status, body: res.body.toString(), slow, ms: Date.now() - started })),
      (e) => console.log(JSON.stringify({ ok: false, name: e.name, sent: e.sent, message: e.message, hint: e.hint, exitStatus: e.exitStatus, slow, ms: Date.now() - started })),
    ).then(() => process.exit(0));`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...opts.env };
  const child = spawn(process.execPath, ['-e', code], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: RunResult = await finished(child, 20_000);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Outcome;
}

/** Reads the whole request, then answers after `delayMs`. */
const lateServer = (delayMs: number) =>
  rawServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"access_token":"late"}');
      }, delayMs),
    );
  });

test('11.10 patient wait: a request sent in full waits past the timeout up to waitMs; onSlow is called once', async () => {
  const srv = await lateServer(2500);
  try {
    const o = await sendFromScript(srv.url, { waitMs: 5000, env: { MYTOKEN_HTTP_TIMEOUT: '1' } });
    assert.equal(o.ok, true, JSON.stringify(o));
    assert.equal(o.body, '{"access_token":"late"}');
    assert.deepEqual(o.slow, [1]);
  } finally {
    await srv.close();
  }
});

test('11.10 patient wait through a proxy: the same, with undici', async () => {
  const srv = await lateServer(2500);
  const proxy = await startProxy();
  try {
    const o = await sendFromScript(srv.url, { waitMs: 5000, env: { MYTOKEN_HTTP_TIMEOUT: '1', HTTP_PROXY: proxy.url } });
    assert.equal(o.ok, true, JSON.stringify(o));
    assert.equal(o.body, '{"access_token":"late"}');
    assert.deepEqual(o.slow, [1]);
    assert.deepEqual(proxy.seen, [`POST ${srv.url}/`]);
  } finally {
    await proxy.close();
    await srv.close();
  }
});

test('11.10 patient wait: no answer within waitMs is a NoAnswerError with sent=true and no "try again later"', async () => {
  const srv = await lateServer(2500);
  try {
    const o = await sendFromScript(srv.url, { waitMs: 1500, env: { MYTOKEN_HTTP_TIMEOUT: '1' } });
    assert.equal(o.ok, false);
    assert.equal(o.name, 'NoAnswerError', JSON.stringify(o));
    assert.equal(o.sent, true);
    assert.equal(o.exitStatus, 4);
    assert.match(o.message!, /no answer from http:\/\/127\.0\.0\.1:\d+ within 1\.5 s/);
    assert.doesNotMatch(o.hint ?? '', /try again later/);
    assert.deepEqual(o.slow, [1]);
  } finally {
    await srv.close();
  }
});

test('11.10 an ordinary timeout after the request was sent: NoAnswerError sent=true, no "try again later"', async () => {
  const srv = await startSilentServer();
  try {
    const o = await sendFromScript(srv.url, { env: { MYTOKEN_HTTP_TIMEOUT: '1' } });
    assert.equal(o.name, 'NoAnswerError', JSON.stringify(o));
    assert.equal(o.sent, true);
    assert.match(o.message!, /within 1 s/);
    assert.doesNotMatch(o.hint ?? '', /try again later/);
  } finally {
    await srv.close();
  }
});

test('11.10 patient wait: a request never handed over in full (64 MiB to a server that does not read) ends at the timeout with sent=false', async () => {
  const srv = await startSilentServer();
  try {
    const o = await sendFromScript(srv.url, { waitMs: 5000, bodyBytes: 64 * MiB, env: { MYTOKEN_HTTP_TIMEOUT: '1' } });
    assert.equal(o.name, 'NoAnswerError', JSON.stringify({ ...o, message: o.message }));
    assert.equal(o.sent, false);
    assert.match(o.message!, /within 1 s/);
    assert.deepEqual(o.slow, []);
    assert.ok(o.ms < 4000, `took ${o.ms} ms`);
  } finally {
    await srv.close();
  }
});

test('11.8 a reply nested deeper than 256 levels is refused (status 4) before anything walks it', async () => {
  const t = tokenFileFor(A.url, `${OPAQUE_MT}\n`);
  A.on('POST', '/api/v0/tokeninfo', {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: `{"valid":true,"deep":${'['.repeat(300)}${']'.repeat(300)}}`,
  });
  const r = await run(['info', 'introspect', '--MT-file', t.file], { home: t.home });
  assertFailed(r, 4, /nested more than 256 levels deep/);
  assert.doesNotMatch(r.stderr, /RangeError|unexpected error/);
  assertUntouched(t);
});

test('11.8 an ssh answer that never ends: reading stops at 8 MiB, exit 4', async () => {
  const t = tokenFileFor(A.url, `${OPAQUE_MT}\n`);
  const bin = join(t.home, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'ssh'), '#!/bin/sh\nexec yes mytoken\n', { mode: 0o755 });
  const r = await run(['AT', '--ssh', 'mytoken-host'], { home: t.home, env: { PATH: `${bin}:${process.env.PATH}` } });
  assertFailed(r, 4, /larger than 8 MiB/);
});

test('11.3 patient wait: through TLS a request is not sent while the handshake hangs (no patient wait, sent=false)', async () => {
  const silent = await startSilentServer();
  try {
    const o = await sendFromScript(silent.url.replace('http:', 'https:'), { waitMs: 5000, env: { MYTOKEN_HTTP_TIMEOUT: '1' } });
    assert.equal(o.ok, false, JSON.stringify(o));
    assert.equal(o.sent, false, 'a request whose TLS handshake never finished was taken as sent');
    assert.deepEqual(o.slow, [], 'the patient wait began although nothing was sent');
  } finally {
    await silent.close();
  }
});
