// Unit tests for the HTTP layer's pure rules: which redirects may be followed, the request timeout
// variable, the patient wait for rotating requests, and which requests go through a proxy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redirectAllowed, requestTimeoutMs, rotatingWaitMs } from '../../src/api/http.js';
import { proxyFor } from '../../src/api/proxy.js';
import { UsageError } from '../../src/errors.js';

test('11.4 redirectAllowed: the same origin is allowed, also with another path or query', () => {
  assert.equal(redirectAllowed('https://mt.example/api/v0/token/access', 'https://mt.example/other?x=1'), true);
  assert.equal(redirectAllowed('http://127.0.0.1:8000/a', 'http://127.0.0.1:8000/b'), true);
  assert.equal(redirectAllowed('https://MT.example:443/a', 'https://mt.example/b'), true);
});

test('11.4 redirectAllowed: https to http is refused, on the same host and port too', () => {
  assert.equal(redirectAllowed('https://mt.example/a', 'http://mt.example/a'), false);
  assert.equal(redirectAllowed('https://mt.example:8443/a', 'http://mt.example:8443/a'), false);
  assert.equal(redirectAllowed('https://127.0.0.1:9000/a', 'http://127.0.0.1:9000/a'), false);
});

test('11.4 redirectAllowed: another host or port is refused', () => {
  assert.equal(redirectAllowed('https://mt.example/a', 'https://evil.example/a'), false);
  assert.equal(redirectAllowed('https://mt.example/a', 'https://sub.mt.example/a'), false);
  assert.equal(redirectAllowed('https://mt.example/a', 'https://mt.example:8443/a'), false);
  assert.equal(redirectAllowed('http://127.0.0.1:8000/a', 'http://127.0.0.1:8001/a'), false);
  assert.equal(redirectAllowed('http://127.0.0.1:8000/a', 'http://localhost:8000/a'), false);
});

test('11.4 redirectAllowed: http to https on the same host name and the default https port is allowed', () => {
  assert.equal(redirectAllowed('http://mt.example/a', 'https://mt.example/a'), true);
  assert.equal(redirectAllowed('http://mt.example:8080/a', 'https://mt.example/a'), true);
  assert.equal(redirectAllowed('http://mt.example/a', 'https://mt.example:8443/a'), false);
  assert.equal(redirectAllowed('http://mt.example/a', 'https://other.example/a'), false);
});

test('11.4 redirectAllowed: other schemes and unparsable URLs are refused', () => {
  assert.equal(redirectAllowed('https://mt.example/a', 'ftp://mt.example/a'), false);
  assert.equal(redirectAllowed('https://mt.example/a', 'file:///etc/passwd'), false);
  assert.equal(redirectAllowed('https://mt.example/a', 'not a url'), false);
});

test('11.10 requestTimeoutMs: unset or empty is 20 s; seconds with decimals are taken', () => {
  assert.equal(requestTimeoutMs({}), 20_000);
  assert.equal(requestTimeoutMs({ MYTOKEN_HTTP_TIMEOUT: '' }), 20_000);
  assert.equal(requestTimeoutMs({ MYTOKEN_HTTP_TIMEOUT: '0.5' }), 500);
  assert.equal(requestTimeoutMs({ MYTOKEN_HTTP_TIMEOUT: '2' }), 2_000);
  assert.equal(requestTimeoutMs({ MYTOKEN_HTTP_TIMEOUT: '86400' }), 86_400_000);
});

test('11.10 requestTimeoutMs: not a positive number of seconds up to one day is a usage error naming the value', () => {
  for (const v of ['abc', '0', '-1', '3000000', '1e999', '86400.5', ' ', 'Infinity', 'NaN', '0x10', '5s', '0.0']) {
    assert.throws(
      () => requestTimeoutMs({ MYTOKEN_HTTP_TIMEOUT: v }),
      (e: unknown) => e instanceof UsageError && e.exitStatus === 2 && e.message.includes('MYTOKEN_HTTP_TIMEOUT') && e.message.includes(JSON.stringify(v)),
      v,
    );
  }
});

test('11.10 rotatingWaitMs: ten times the request timeout, at least five minutes', () => {
  assert.equal(rotatingWaitMs({}), 300_000);
  assert.equal(rotatingWaitMs({ MYTOKEN_HTTP_TIMEOUT: '1' }), 300_000);
  assert.equal(rotatingWaitMs({ MYTOKEN_HTTP_TIMEOUT: '60' }), 600_000);
  assert.equal(rotatingWaitMs({ MYTOKEN_HTTP_TIMEOUT: '86400' }), 864_000_000);
});

test('11.9 proxyFor: http and https targets use their variables; lower case wins; HTTPS falls back to HTTP', () => {
  const http = new URL('http://mt.example/x');
  const https = new URL('https://mt.example/x');
  assert.equal(proxyFor(http, {}), undefined);
  assert.equal(proxyFor(http, { HTTP_PROXY: 'http://p:3128' }), 'http://p:3128/');
  assert.equal(proxyFor(http, { HTTP_PROXY: 'http://P:3128', http_proxy: 'http://q:3128' }), 'http://q:3128/');
  assert.equal(proxyFor(http, { HTTPS_PROXY: 'http://p:3128' }), undefined);
  assert.equal(proxyFor(https, { HTTPS_PROXY: 'http://s:3128', HTTP_PROXY: 'http://p:3128' }), 'http://s:3128/');
  assert.equal(proxyFor(https, { HTTP_PROXY: 'http://p:3128' }), 'http://p:3128/');
  assert.equal(proxyFor(http, { HTTP_PROXY: 'p.example:3128' }), 'http://p.example:3128/', 'no scheme means http, as curl and Go read it');
});

test('11.9 proxyFor: NO_PROXY names hosts, domains (with or without a leading dot or *.), host:port, or * for all', () => {
  const env = (no: string) => ({ HTTP_PROXY: 'http://p:3128', HTTPS_PROXY: 'http://p:3128', NO_PROXY: no });
  assert.equal(proxyFor(new URL('http://127.0.0.1:8000/'), env('127.0.0.1')), undefined);
  assert.equal(proxyFor(new URL('http://127.0.0.1:8000/'), env('127.0.0.1:8000')), undefined);
  assert.equal(proxyFor(new URL('http://127.0.0.1:8000/'), env('127.0.0.1:9000')), 'http://p:3128/');
  assert.equal(proxyFor(new URL('https://a.mt.example/'), env('mt.example')), undefined);
  assert.equal(proxyFor(new URL('https://a.mt.example/'), env('.mt.example')), undefined);
  assert.equal(proxyFor(new URL('https://a.mt.example/'), env('*.mt.example')), undefined);
  assert.equal(proxyFor(new URL('https://notmt.example/'), env('mt.example')), 'http://p:3128/');
  assert.equal(proxyFor(new URL('https://mt.example/'), env('other.example, MT.example')), undefined);
  assert.equal(proxyFor(new URL('https://mt.example/'), env('*')), undefined);
  assert.equal(proxyFor(new URL('https://mt.example/'), { ...env('mt.example'), no_proxy: '' }), 'http://p:3128/', 'no_proxy wins over NO_PROXY');
});

test('11.9 proxyFor: a proxy variable that is not a URL is a usage error naming the variable, not its value', () => {
  assert.throws(
    () => proxyFor(new URL('http://mt.example/'), { HTTP_PROXY: 'http://user:secret@[bad' }),
    (e: unknown) => e instanceof UsageError && /HTTP_PROXY/.test(e.message) && !e.message.includes('secret'),
  );
});
