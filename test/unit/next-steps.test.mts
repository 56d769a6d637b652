// Issue 12, items 8-10: the pure parts of errors that say what to do next. Hints for a refused
// mytoken and for no mytoken, the known_hosts line and its checks, ssh's failures, stdout that
// cannot be written, a TLS client talking to plain HTTP, and polling through transient failures.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_BACKOFF, pollUntilDone, transientPollFailure } from '../../src/api/flow.js';
import { Hop } from '../../src/api/http.js';
import { capabilityHint, refusedTokenHint } from '../../src/api/refusal.js';
import { MytokenServer } from '../../src/api/server.js';
import { ExitStatus, MytokenError, MytokenServerError, NoAnswerError, UnreachableError } from '../../src/errors.js';
import { errorMessage, outputFailure } from '../../src/output/terminal.js';
import {
  addToKnownHosts,
  hostKeyProblem,
  hostOfEntry,
  knownHostsHas,
  knownHostsLine,
  knownHostsName,
  parseKeyscan,
  publishedHostKeys,
  publishedOnes,
  sshFingerprint,
} from '../../src/ssh/known-hosts.js';
import { sshFailure } from '../../src/ssh/run.js';
import { noTokenHint } from '../../src/tokens/source.js';

const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  const n = Buffer.alloc(4);
  n.writeUInt32BE(b.length);
  return Buffer.concat([n, b]);
};
const ED_BLOB = Buffer.concat([str('ssh-ed25519'), str(Buffer.alloc(32, 5))]);
const ED = { type: 'ssh-ed25519', base64: ED_BLOB.toString('base64') };
const ED_FP = `SHA256:${createHash('sha256').update(ED_BLOB).digest('base64').replace(/=+$/, '')}`;

describe('12.8 hints for a refused mytoken and for no mytoken', () => {
  const base = { status: 401, rotates: false, now: 1_800_000_000 };

  it('an expired mytoken: the day from exp (local time), and a login into the file it came from', () => {
    process.env.TZ = 'UTC';
    const h = refusedTokenHint({ ...base, description: 'token is expired by 1h0m0s', exp: 1_799_996_400, file: 'tokens/mt' });
    assert.equal(h, 'the mytoken expired on 2027-01-15 07:00:00; log in for a new one: mytoken MT --oidc -o tokens/mt');
    // no description but exp has passed: expired all the same; no exp: the server's word
    assert.match(refusedTokenHint({ ...base, exp: base.now - 10 }), /^the mytoken expired on /);
    assert.equal(refusedTokenHint({ ...base, description: 'token is expired by 5m0s' }), 'the mytoken has expired; log in for a new one: mytoken MT --oidc -o FILE');
  });

  it('revoked, or replaced by a newer version when it rotates', () => {
    assert.match(refusedTokenHint(base), /^the server no longer accepts this mytoken: it was revoked \(/);
    assert.match(refusedTokenHint({ ...base, rotates: true }), /it was revoked, or it rotates and a newer version has replaced it/);
  });

  it('not valid yet, unknown, no refresh token; a file name with spaces is quoted', () => {
    assert.match(refusedTokenHint({ ...base, description: 'token is not valid yet', nbf: base.now + 60 }), /^the mytoken is not valid before .*check this computer's clock/);
    assert.match(refusedTokenHint({ ...base, description: 'token not valid' }), /^the server does not know this mytoken/);
    assert.match(refusedTokenHint({ ...base, description: 'No refresh token attached' }), /login at the OpenID provider has ended/);
    assert.match(refusedTokenHint({ ...base, status: 400 }), /login at the OpenID provider has ended/);
    assert.match(refusedTokenHint({ ...base, file: "my tokens/it's" }), /-o 'my tokens\/it'\\''s'$/);
  });

  it('the missing capability is named, with the login that gets it', () => {
    assert.match(capabilityHint('AT'), /^this needs a mytoken with the capability AT; .*mytoken MT --oidc -o FILE --capability AT/);
  });

  it('no mytoken: discovery on lists the real places in its order (mt_u before bt_u); off says so and lists none', () => {
    const on = noTokenHint({ env: { XDG_RUNTIME_DIR: '/run/user/7' }, uid: 7, wlcgDiscovery: true });
    assert.match(on, /^log in for one and keep it in a file: mytoken MT -o FILE, then pass --MT-file FILE/);
    assert.ok(on.endsWith('in this order: $BEARER_TOKEN, $BEARER_TOKEN_FILE, /run/user/7/mt_u7, /run/user/7/bt_u7, /tmp/mt_u7, /tmp/bt_u7'), on);
    const named = noTokenHint({ env: { BEARER_TOKEN_FILE: '/x/bt' }, uid: 7, wlcgDiscovery: true });
    assert.ok(named.endsWith('in this order: $BEARER_TOKEN, $BEARER_TOKEN_FILE (/x/bt), /tmp/mt_u7, /tmp/bt_u7'), named);
    const off = noTokenHint({ env: { XDG_RUNTIME_DIR: '/run/user/7' }, uid: 7, wlcgDiscovery: false, configFile: '/h/c.yaml' });
    assert.match(off, /WLCG token discovery is off \(use_wlcg_token_discovery: false in \/h\/c\.yaml\)$/);
    assert.doesNotMatch(off, /BEARER|_u7/);
  });

  it('a hint of several lines is indented line by line', () => {
    assert.equal(errorMessage(new MytokenError('m', 1, 'a\nb')), 'mytoken: m\n  a\n  b\n');
    assert.equal(errorMessage(new MytokenError('', ExitStatus.brokenPipe)), '');
  });
});

describe('12.9 the known_hosts line', () => {
  it('a host key: a known type, canonical base64, a blob that names the type and has its parts', () => {
    assert.equal(hostKeyProblem(ED.type, ED.base64), undefined);
    assert.match(hostKeyProblem('ssh-dss', ED.base64)!, /not a known ssh host key type/);
    assert.match(hostKeyProblem('sk-ssh-ed25519@openssh.com', ED.base64)!, /not a known/);
    assert.match(hostKeyProblem('ssh-rsa', ED.base64)!, /not of the type ssh-rsa/);
    assert.match(hostKeyProblem(ED.type, `${ED.base64.slice(0, -4)}`)!, /not an ssh key blob|not an ed25519/);
    assert.match(hostKeyProblem(ED.type, 'AAAA\nProxyCommand x')!, /not base64/);
    assert.match(hostKeyProblem(ED.type, `${ED.base64} extra`)!, /not base64/);
    assert.match(hostKeyProblem(ED.type, Buffer.concat([ED_BLOB, Buffer.from([0])]).toString('base64'))!, /not an ssh key blob/);
    assert.match(hostKeyProblem(ED.type, Buffer.concat([str('ssh-ed25519'), str(Buffer.alloc(31))]).toString('base64'))!, /not an ed25519 key/);
    const ecdsa = Buffer.concat([str('ecdsa-sha2-nistp256'), str('nistp384'), str(Buffer.alloc(65, 4))]).toString('base64');
    assert.match(hostKeyProblem('ecdsa-sha2-nistp256', ecdsa)!, /curve/);
  });

  it('the line: [host]:port for a port other than 22, the host in lower case; refuses what is not a key', () => {
    assert.equal(knownHostsName('Server.Example', 2222), '[server.example]:2222');
    assert.equal(knownHostsName('::1', 22), '::1');
    assert.equal(knownHostsLine('127.0.0.1', 2222, ED), `[127.0.0.1]:2222 ssh-ed25519 ${ED.base64}`);
    assert.equal(knownHostsLine('h.example', 22, ED), `h.example ssh-ed25519 ${ED.base64}`);
    assert.throws(() => knownHostsLine('h', 22, { type: 'ssh-ed25519', base64: 'x y' }), /not a host key/);
    assert.throws(() => knownHostsLine('-oProxyCommand=x', 22, ED), /not a host and port/);
  });

  it('the host and port of a host entry; none when the entry is not safe or names no HostName', () => {
    assert.deepEqual(hostOfEntry('Host mytoken-x\n\tHostName mytoken.example\n\tPort 2222\n\tUser u\n'), { host: 'mytoken.example', port: 2222 });
    assert.deepEqual(hostOfEntry('Host mytoken\n  HostName=h.example\n'), { host: 'h.example', port: 22 });
    assert.equal(hostOfEntry('Host mytoken\n\tUser u\n'), undefined);
    assert.equal(hostOfEntry('Host mytoken\n\tHostName h\n\tProxyCommand x\n'), undefined);
  });

  it('published ssh_keys: a list of known types and SHA256 fingerprints, else why not', () => {
    assert.deepEqual(publishedHostKeys([{ type: 'ssh-ed25519', fingerprint: ED_FP }]), { keys: [{ type: 'ssh-ed25519', fingerprint: ED_FP }] });
    for (const bad of [null, 'x', [], [{ type: 'ssh-ed25519' }], [{ type: 'x\nProxyCommand', fingerprint: ED_FP }], [{ type: 'ssh-ed25519', fingerprint: 'MD5:ab' }]]) {
      assert.ok('why' in publishedHostKeys(bad), JSON.stringify(bad));
    }
  });

  it('keyscan output: only key lines that pass, and only those whose fingerprint is published', () => {
    const other = { type: 'ssh-ed25519', base64: Buffer.concat([str('ssh-ed25519'), str(Buffer.alloc(32, 6))]).toString('base64') };
    const scanned = parseKeyscan(`# 127.0.0.1:2222 SSH-2.0-x\n[127.0.0.1]:2222 ${ED.type} ${ED.base64}\n[127.0.0.1]:2222 ssh-ed25519 !!!\n[h]:1 ${other.type} ${other.base64}\n`);
    assert.deepEqual(scanned, [ED, other]);
    assert.equal(sshFingerprint(ED_BLOB), ED_FP);
    assert.deepEqual(publishedOnes(scanned, [{ type: 'ssh-ed25519', fingerprint: ED_FP }]), [ED]);
    assert.deepEqual(publishedOnes(scanned, [{ type: 'ecdsa-sha2-nistp256', fingerprint: ED_FP }]), []);
  });

  it('already present: plain, in a pattern list, hashed; not with another key, a marker or a negation', () => {
    const name = '[127.0.0.1]:2222';
    const salt = Buffer.alloc(20, 1);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
    assert.ok(knownHostsHas(`${name} ${ED.type} ${ED.base64}\n`, name, ED));
    assert.ok(knownHostsHas(`other,${name} ${ED.type} ${ED.base64} comment\n`, name, ED));
    assert.ok(knownHostsHas(`# c\n${hashed} ${ED.type} ${ED.base64}\n`, name, ED));
    assert.ok(knownHostsHas(`[127.0.0.*]:2222 ${ED.type} ${ED.base64}\n`, name, ED));
    assert.ok(!knownHostsHas(`${name} ${ED.type} AAAA\n`, name, ED));
    assert.ok(!knownHostsHas(`@revoked ${name} ${ED.type} ${ED.base64}\n`, name, ED));
    assert.ok(!knownHostsHas(`[127.0.0.*]:2222,!${name} ${ED.type} ${ED.base64}\n`, name, ED));
    assert.ok(!knownHostsHas(`127.0.0.1 ${ED.type} ${ED.base64}\n`, name, ED));
  });

  it('added to ~/.ssh/known_hosts: created 0600, appended after a last line without newline, never twice', () => {
    const home = mkdtempSync(join(tmpdir(), 'kh-'));
    try {
      assert.deepEqual(addToKnownHosts(home, '127.0.0.1', 2222, [ED]), [`[127.0.0.1]:2222 ${ED.type} ${ED.base64}`]);
      const file = join(home, '.ssh', 'known_hosts');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(home, '.ssh')).mode & 0o777, 0o700);
      assert.deepEqual(addToKnownHosts(home, '127.0.0.1', 2222, [ED]), []);
      writeFileSync(file, 'other.example ssh-ed25519 AAAA');
      addToKnownHosts(home, '127.0.0.1', 2222, [ED]);
      assert.equal(readFileSync(file, 'utf8'), `other.example ssh-ed25519 AAAA\n[127.0.0.1]:2222 ${ED.type} ${ED.base64}\n`);
      assert.throws(() => addToKnownHosts('relative', 'h', 22, [ED]), /not an absolute path/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("12.9 ssh's failures", () => {
  const unknown = 'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n';

  it('a host key ssh does not trust is status 4 (a trust problem, as with TLS), with ssh-keyscan for the host it names', () => {
    const e = sshFailure(['mytoken-x'], 255, unknown, true);
    assert.equal(e.exitStatus, ExitStatus.unreachable);
    assert.equal(e.message, "ssh mytoken-x: ssh does not trust the server's host key (ssh's message is above)");
    assert.match(e.hint!, /ssh-keyscan -p 2222 127\.0\.0\.1/);
    assert.match(e.hint!, /known_hosts/);
  });

  it("ssh's message is repeated in the error only when the user has not seen it", () => {
    assert.match(sshFailure(['h'], 255, unknown, false).message, /\(Host key verification failed\.\)$/);
    const refused = sshFailure(['h'], 255, 'u@h: Permission denied (publickey).\n', true);
    assert.equal(refused.exitStatus, ExitStatus.refused);
    assert.doesNotMatch(refused.message, /Permission denied/);
    assert.match(sshFailure(['h'], 255, 'u@h: Permission denied (publickey).\n', false).message, /Permission denied/);
  });

  it('a changed host key says to compare and to remove the old line', () => {
    const e = sshFailure(['h'], 255, '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key for [h.example]:2222 has changed and you have requested strict checking.\nHost key verification failed.\n', true);
    assert.equal(e.exitStatus, ExitStatus.unreachable);
    assert.match(e.message, /not the one in known_hosts/);
    assert.match(e.hint!, /ssh-keygen -R '\[h\.example\]:2222'/);
  });
});

describe('12.10 stdout, TLS, polling', () => {
  it('stdout that cannot be written: status 1 with the reason; EPIPE: 141, one line for a token, silent otherwise', () => {
    const full = outputFailure(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), 'token');
    assert.equal(full.exitStatus, 1);
    assert.equal(full.message, 'could not write the token to standard output: no space left on device (ENOSPC)');
    const gone = outputFailure(Object.assign(new Error('EPIPE'), { code: 'EPIPE' }), 'token');
    assert.equal(gone.exitStatus, 141);
    assert.equal(gone.message, 'the token was not written: the reader of standard output has gone (EPIPE)');
    const listing = outputFailure(Object.assign(new Error('EPIPE'), { code: 'EPIPE' }));
    assert.equal(listing.exitStatus, 141);
    assert.equal(listing.message, '');
  });

  it('https:// to a server that answers in plain text: "does not speak TLS", status 4, even after the request went to the TLS socket', () => {
    const hop = new Hop('POST', 'https://127.0.0.1:8443/x', undefined, {}, undefined, { start: performance.now(), timeoutMs: 1000, patientMs: 1000, toldSlow: false });
    hop.sent();
    for (const e of [
      Object.assign(new Error('write EPROTO 80ACA112407F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), { code: 'EPROTO' }),
      Object.assign(new Error('packet length too long'), { code: 'ERR_SSL_PACKET_LENGTH_TOO_LONG' }),
    ]) {
      const f = hop.failure('https://127.0.0.1:8443', e);
      assert.equal(f.message, 'the server at https://127.0.0.1:8443 does not speak TLS; is it an http:// URL?');
      assert.equal(f.exitStatus, 4);
      assert.ok(!(f instanceof NoAnswerError), 'nothing readable reached the server');
      assert.match(f.hint!, /use http:\/\/127\.0\.0\.1:8443/);
    }
    const refused = new Hop('GET', 'http://127.0.0.1:1/', undefined, {}, undefined, { start: performance.now(), timeoutMs: 1000, patientMs: 1000, toldSlow: false });
    assert.equal(refused.failure('http://127.0.0.1:1', Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).transient, true);
    assert.equal(refused.failure('http://127.0.0.1:1', Object.assign(new Error('x'), { code: 'CERT_HAS_EXPIRED' })).transient, false);
  });

  it('transient poll failures: a refused connection, no answer, 5xx; not a redirect elsewhere or a 4xx', () => {
    assert.ok(transientPollFailure(new UnreachableError('could not reach', undefined, true)));
    assert.ok(transientPollFailure(new NoAnswerError('no answer', true)));
    assert.ok(transientPollFailure(new MytokenServerError('http://s', 503, 'internal_server_error')));
    assert.ok(!transientPollFailure(new UnreachableError('redirects elsewhere')));
    assert.ok(!transientPollFailure(new MytokenServerError('http://s', 400, 'invalid_request')));
  });

  /** A fake clock and a scripted server: each answer an object (success), an error code, or an error to throw. */
  function script(answers: (object | string | Error)[]) {
    let t = 0;
    const waits: number[] = [];
    let n = 0;
    return {
      waits,
      opts: {
        now: () => t,
        sleep: async (ms: number) => {
          waits.push(ms);
          t += ms;
        },
        poll: async () => {
          const a = answers[n++];
          if (a instanceof Error) throw a;
          if (typeof a === 'string') throw new MytokenServerError('http://s', a === 'authorization_pending' ? 428 : 401, a);
          return a as object;
        },
      },
    };
  }
  const server = new MytokenServer('http://s', {});
  const refused = () => new UnreachableError('could not reach http://s: connection refused', 'check', true);

  it('polling retries transient failures with a doubling wait, tells once, and goes on with the interval after an answer', async () => {
    const s = script(['authorization_pending', refused(), refused(), new MytokenServerError('http://s', 502, ''), 'authorization_pending', refused(), { mytoken: 'MT' }]);
    const told: [string, number][] = [];
    const res = await pollUntilDone(server, { polling_code: 'c', interval: 2, expires_in: 300 }, { ...s.opts, onRetrying: (e, left) => told.push([e.message, left]) });
    assert.deepEqual(res, { mytoken: 'MT' });
    assert.deepEqual(s.waits, [2000, 2000, 4000, 8000, 16000, 2000, 4000]);
    assert.deepEqual(told, [['could not reach http://s: connection refused', 296]]);
  });

  it('the wait after failures is at most MAX_BACKOFF s, and the last poll is at the end of the lifetime; then status 4 with the last failure', async () => {
    const s = script(Array.from({ length: 50 }, refused));
    await assert.rejects(pollUntilDone(server, { polling_code: 'c', interval: 5, expires_in: 200 }, s.opts), (e: MytokenError) => {
      assert.equal(e.exitStatus, 4);
      assert.equal(e.message, 'the login expired (after 200 s) while the server could not be reached: could not reach http://s: connection refused');
      assert.equal(e.hint, 'check your network and the server, then run the command again');
      return true;
    });
    assert.deepEqual(s.waits, [5000, 10000, 20000, 40000, MAX_BACKOFF * 1000, MAX_BACKOFF * 1000, 5000]);
  });

  it('a poll whose answer was lost, then an unknown polling code: the login may have ended in that answer (status 4)', async () => {
    const s = script(['authorization_pending', new NoAnswerError('no complete answer', true), 'invalid_token']);
    await assert.rejects(pollUntilDone(server, { polling_code: 'c', interval: 1, expires_in: 60 }, s.opts), (e: MytokenError) => {
      assert.equal(e.exitStatus, 4);
      assert.match(e.message, /may have been the one that finished the login/);
      return true;
    });
  });

  it('a failure that does not pass by itself ends polling at once', async () => {
    const s = script([new UnreachableError('redirects to another server')]);
    await assert.rejects(pollUntilDone(server, { polling_code: 'c', interval: 1, expires_in: 60 }, s.opts), /redirects to another server/);
    assert.deepEqual(s.waits, [1000]);
  });
});
