// e2e: issue 12, items 8-10: errors that say what to do next. An expired, revoked or outdated
// mytoken, a missing capability, no mytoken at all; the ssh host key after `settings grants ssh
// add` (known_hosts) and ssh's host-key failure; stdout that cannot be written, https:// to a plain
// HTTP server, and a login whose polling meets a server that is down for a moment.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setClockOffset, startLocalServer } from '../server/index.mjs';
import { baseEnv, cliCommand, run, startLogin, type RunResult, show } from './helpers.mjs';
import {
  assertFailed,
  bodyOf,
  CONFIG_PATH,
  freshHome,
  homeWithConfig,
  OPAQUE_MT,
  removeHomes,
  settingsMetadata,
  startStubServer,
  stubConfiguration,
  type StubReply,
  type StubServer,
} from './stub-server.mjs';

type LocalServer = Awaited<ReturnType<typeof startLocalServer>>;

let S: LocalServer;
let stub: StubServer;

before(async () => {
  S = await startLocalServer({ interval: 1 });
  stub = await startStubServer();
});

after(async () => {
  removeHomes();
  await stub?.close();
  await S?.close();
});

const ACCESS = '/api/v0/token/access';
const MYTOKEN = '/api/v0/token/my';

/** A HOME for the local server with the mytoken of `request` in HOME/tokens/mt (0600). */
async function minted(request: Record<string, unknown>, extraConfig = '') {
  const home = homeWithConfig(S.url, extraConfig);
  const res = await S.mint(request);
  const token = res.mytoken as string;
  mkdirSync(join(home, 'tokens'));
  const file = join(home, 'tokens', 'mt');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { home, file, token, momId: res.mom_id as string };
}

/** The stderr does not hold `token` (nor its payload part). */
function assertNoToken(r: RunResult, token: string): void {
  assert.ok(!r.stderr.includes(token), 'a token in the error');
  const payload = token.split('.')[1];
  if (payload) assert.ok(!r.stderr.includes(payload), 'a token payload in the error');
}

/** How often `needle` occurs in `text`. */
const count = (text: string, needle: string) => text.split(needle).length - 1;

// ---- 12.8: a refused mytoken, a missing capability, no mytoken ---------------------------------

describe('12.8 errors of a refused mytoken say what to do next', () => {
  it('12.8 says what to do next: an expired mytoken (a JWT) says the day it expired and how to log in for a new one into its file (status 3)', async () => {
    // a JWT whose exp has passed, without waiting for it: minted while the server's clock is a
    // minute behind (the server refuses to issue a token that is already expired)
    const past = Math.floor(Date.now() / 1000) - 1;
    setClockOffset(-60);
    let t: Awaited<ReturnType<typeof minted>>;
    try {
      t = await minted({ capabilities: ['AT'], restrictions: [{ exp: past }] });
    } finally {
      setClockOffset(0);
    }
    const r = await run(['AT', '--MT-file', t.file], { home: t.home, env: { TZ: 'UTC' } });
    assertFailed(r, 3, /^mytoken: invalid_token: token is expired by .* \(HTTP 401 from /m);
    const exp = new Date((JSON.parse(Buffer.from(t.token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000);
    const day = exp.toISOString().slice(0, 19).replace('T', ' ');
    assert.match(r.stderr, new RegExp(`\\n  the mytoken expired on ${day}[^\\n]*mytoken MT --oidc -o ${t.file.replace(/[.]/g, '\\.')}`), r.stderr);
    assertNoToken(r, t.token);
  });

  it('12.8 says what to do next: a revoked mytoken says it was revoked and how to log in for a new one (status 3)', async () => {
    const t = await minted({ capabilities: ['AT'] });
    const rv = await run(['revoke', '--MT-file', t.file], { home: t.home });
    assert.equal(rv.status, 0, show(rv));
    const r = await run(['AT', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 3, /^mytoken: invalid_token \(HTTP 401 from /m);
    assert.match(r.stderr, /\n {2}the server no longer accepts this mytoken: it was revoked[^\n]*mytoken MT --oidc -o /, r.stderr);
    assertNoToken(r, t.token);
  });

  it('12.8 says what to do next: an outdated version of a rotating mytoken says a newer version replaced it', async () => {
    const t = await minted({ capabilities: ['AT'], rotation: { on_AT: true } });
    const first = await run(['AT', '--MT', t.token], { home: t.home });
    assert.equal(first.status, 0, show(first));
    const r = await run(['AT', '--MT', t.token], { home: t.home });
    assertFailed(r, 3, /invalid_token/);
    assert.match(r.stderr, /\n {2}the server no longer accepts this mytoken: it was revoked, or it rotates and a newer version has replaced it[^\n]*mytoken MT --oidc -o FILE/, r.stderr);
    assertNoToken(r, t.token);
  });

  it('12.8 says what to do next: the server saying "token is expired by" about a short mytoken', async () => {
    stub.on('POST', ACCESS, { status: 401, body: { error: 'invalid_token', error_description: 'token is expired by 5m0s' } });
    const r = await run(['AT', '--MT', OPAQUE_MT], { home: homeWithConfig(stub.url) });
    assertFailed(r, 3, /invalid_token: token is expired by 5m0s/);
    assert.match(r.stderr, /\n {2}the mytoken has expired; log in for a new one: mytoken MT --oidc -o FILE/, r.stderr);
  });

  it('12.8 names the missing capability: AT', async () => {
    const t = await minted({ capabilities: ['tokeninfo'] });
    const r = await run(['AT', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 3, /insufficient_capabilities/);
    assert.match(r.stderr, /\n {2}this needs a mytoken with the capability AT\b/, r.stderr);
  });

  it('12.8 names the missing capability: create_mytoken (a sub-token with MT)', async () => {
    const t = await minted({ capabilities: ['AT'] });
    const r = await run(['MT', '--MT-file', t.file], { home: t.home });
    assertFailed(r, 3, /insufficient_capabilities/);
    assert.match(r.stderr, /\n {2}this needs a mytoken with the capability create_mytoken\b/, r.stderr);
  });

  it('12.8 names the missing capability over ssh too (AT, create_mytoken), and an invalid_token over ssh says to add the key again', async () => {
    const home = freshHome();
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ssh'), '#!/bin/sh\nprintf \'%s\\n\' "$SHIM_OUT"\n');
    chmodSync(join(bin, 'ssh'), 0o755);
    const over = (args: string[], out: string) => run(args, { home, env: { PATH: `${bin}:${process.env.PATH}`, SHIM_OUT: out } });
    const lacking = 'insufficient_capabilities: The provided token does not have the required capability for this operation';
    const at = await over(['AT', '--ssh', 'mytoken-x'], lacking);
    assertFailed(at, 3, /insufficient_capabilities/);
    assert.match(at.stderr, /\n {2}this needs an ssh key whose mytoken has the capability AT\b/, at.stderr);
    const mt = await over(['MT', '--ssh', 'mytoken-x'], lacking);
    assertFailed(mt, 3, /insufficient_capabilities/);
    assert.match(mt.stderr, /\n {2}this needs an ssh key whose mytoken has the capability create_mytoken\b/, mt.stderr);
    const gone = await over(['AT', '--ssh', 'mytoken-x'], 'invalid_token');
    assertFailed(gone, 3, /invalid_token/);
    assert.match(gone.stderr, /\n {2}the ssh key's mytoken has expired or was revoked[^\n]*mytoken settings grants ssh add/, gone.stderr);
  });
});

describe('12.8 no mytoken given says what to do next', () => {
  it('12.8 says what to do next: no mytoken given lists the places discovery looks, in order, and how to log in for one (mytoken MT -o FILE)', async () => {
    const home = homeWithConfig(stub.url);
    const from = stub.requests.length;
    const r = await run(['AT'], { home });
    assertFailed(r, 2, /^mytoken: no mytoken given$/m);
    const uid = process.geteuid!();
    const hint = r.stderr.split('\n').slice(1).join('\n');
    assert.match(hint, /^ {2}log in for one and keep it in a file: mytoken MT -o FILE, then pass --MT-file FILE/);
    assert.match(hint, /\n {2}or put it where WLCG token discovery looks, in this order: /);
    const places = ['$BEARER_TOKEN', '$BEARER_TOKEN_FILE', join(home, 'run', `mt_u${uid}`), join(home, 'run', `bt_u${uid}`), `/tmp/mt_u${uid}`, `/tmp/bt_u${uid}`];
    const at = places.map((p) => hint.indexOf(p));
    assert.ok(at.every((i) => i > 0), `every place is named: ${hint}`);
    assert.deepEqual([...at].sort((a, b) => a - b), at, `in the order discovery looks: ${hint}`);
    assert.equal(stub.requests.length, from, 'no request');
  });

  it('12.8 says what to do next: with use_wlcg_token_discovery: false, no mytoken given does not suggest discovery', async () => {
    const home = homeWithConfig(stub.url, 'use_wlcg_token_discovery: false\n');
    const r = await run(['AT'], { home });
    assertFailed(r, 2, /^mytoken: no mytoken given$/m);
    assert.match(r.stderr, /\n {2}log in for one and keep it in a file: mytoken MT -o FILE, then pass --MT-file FILE/);
    assert.match(r.stderr, /WLCG token discovery is off \(use_wlcg_token_discovery: false in /);
    assert.doesNotMatch(r.stderr, /BEARER_TOKEN|_u\d+/);
  });
});

// ---- 12.9: the ssh host key ----------------------------------------------------------------------

/**
 * An `ssh` first in PATH that runs OpenSSH with HOME's config and `keyFile`, and checks host keys
 * strictly against HOME/.ssh/known_hosts (OpenSSH ignores $HOME for it).
 */
function strictSshShim(home: string, keyFile: string): string {
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  const realSsh = execFileSync('sh', ['-c', 'command -v ssh'], { encoding: 'utf8' }).trim();
  writeFileSync(
    join(bin, 'ssh'),
    `#!/bin/sh\nexec ${realSsh} -F "$HOME/.ssh/config" -i "${keyFile}" -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes ` +
      `-o UserKnownHostsFile="$HOME/.ssh/known_hosts" -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes "$@"\n`,
  );
  chmodSync(join(bin, 'ssh'), 0o755);
  return bin;
}

const fingerprintOf = (line: string) => execFileSync('ssh-keygen', ['-l', '-f', '-'], { input: line, encoding: 'utf8' }).split(' ')[1]!;

async function publishedHostKeys(): Promise<{ type: string; fingerprint: string }[]> {
  const doc = (await (await fetch(`${S.url}${CONFIG_PATH}`)).json()) as { ssh_keys?: { type: string; fingerprint: string }[] };
  return doc.ssh_keys ?? [];
}

describe('12.9 the ssh host key', () => {
  it('the local server publishes its SSH host key in ssh_keys, and it is the key its SSH server shows', async () => {
    const keys = await publishedHostKeys();
    assert.equal(keys.length, 1);
    // asynchronously: the SSH server runs in this process
    const scanned = await new Promise<string>((resolve, reject) =>
      execFile('ssh-keyscan', ['-T', '5', '-p', String(S.sshPort), '127.0.0.1'], { encoding: 'utf8' }, (e, stdout) => (e ? reject(e) : resolve(stdout))),
    );
    assert.equal(fingerprintOf(scanned), keys[0]!.fingerprint);
    assert.equal(keys[0]!.type, 'ssh-ed25519');
  });

  it('12.9 says what to do next: ssh add writes the server\'s host key to ~/.ssh/known_hosts (0600, [host]:port), so the first AT --ssh checks it and works; "Host key verification failed" is status 4 with a hint, ssh\'s message once', async () => {
    const t = await minted({ capabilities: ['AT', 'settings'] });
    assert.equal((await run(['settings', 'grants', 'enable', 'ssh', '--MT-file', t.file], { home: t.home })).status, 0);
    const keyFile = join(t.home, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'next-steps', '-f', keyFile]);
    const add = async (name: string, pub: string) => {
      const login = await startLogin(['settings', 'grants', 'ssh', 'add', pub, '--key-name', name, '--capability', 'AT', '--MT-file', t.file], { home: t.home });
      await S.approve(login.url);
      return login.done;
    };
    const added = await add('nexts', `${keyFile}.pub`);
    assert.equal(added.status, 0, show(added));
    const knownHosts = join(t.home, '.ssh', 'known_hosts');
    const lines = readFileSync(knownHosts, 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${S.sshPort} ssh-ed25519 AAAA[A-Za-z0-9+/]+=*$`));
    assert.equal(fingerprintOf(lines[0]!), (await publishedHostKeys())[0]!.fingerprint);
    assert.equal(statSync(knownHosts).mode & 0o777, 0o600);
    assert.match(added.stdout, /We added the server's ssh host key for \[127\.0\.0\.1\]:\d+ to '~\/\.ssh\/known_hosts'\.\n/);

    const bin = strictSshShim(t.home, keyFile);
    const viaSsh = (...args: string[]) => run(args, { home: t.home, env: { PATH: `${bin}:${process.env.PATH}` } });
    const at = await viaSsh('AT', '--ssh', 'mytoken-nexts');
    assert.equal(at.status, 0, show(at));
    assert.match(at.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);

    // without the line: ssh refuses to trust the server
    renameSync(knownHosts, `${knownHosts}.away`);
    const unknown = await viaSsh('AT', '--ssh', 'mytoken-nexts');
    assertFailed(unknown, 4, /Host key verification failed/);
    assert.equal(count(unknown.stderr, 'Host key verification failed'), 1, unknown.stderr);
    assert.match(unknown.stderr, /known_hosts/);
    assert.match(unknown.stderr, new RegExp(`ssh-keyscan -p ${S.sshPort} 127\\.0\\.0\\.1`));
    renameSync(`${knownHosts}.away`, knownHosts);

    // a second key: the host key is there already, and is not added twice
    const second = join(t.home, 'id2');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'second', '-f', second]);
    const again = await add('second', `${second}.pub`);
    assert.equal(again.status, 0, show(again));
    assert.equal(readFileSync(knownHosts, 'utf8').split('\n').filter(Boolean).length, 1);
    assert.match(again.stdout, /The server's ssh host key for \[127\.0\.0\.1\]:\d+ is in '~\/\.ssh\/known_hosts' already\.\n/);
  });

  /** The stub plays a server whose ssh grant runs on the local server's SSH port, publishing `keys`. */
  function stubSshServer(keys: unknown) {
    stub.on('GET', CONFIG_PATH, { status: 200, body: { ...stubConfiguration(stub.url), ssh_keys: keys } });
    stub.on('GET', '/api/v0/settings', { status: 200, body: settingsMetadata(stub.url) });
    stub.on('POST', '/api/v0/settings/grants/ssh', (q) =>
      bodyOf(q).grant_type === 'mytoken'
        ? { status: 200, body: { consent_uri: `${stub.url}/c/k`, polling_code: 'K', expires_in: 30, interval: 1 } }
        : { status: 200, body: { ssh_user: 'U', ssh_host_config: `# Host entry for mytoken\nHost mytoken-k\n\tHostName 127.0.0.1\n\tPort ${S.sshPort}\n\tUser U\n` } },
    );
  }
  const KEY = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 9)]).toString('base64')} me@x`;

  it('12.9 says what to do next: ssh add --no-write-host-entry prints the known_hosts line with the entry, and writes nothing', async () => {
    stubSshServer(await publishedHostKeys());
    const home = homeWithConfig(stub.url);
    const r = await run(['settings', 'grants', 'ssh', 'add', KEY, '--no-write-host-entry', '--MT', OPAQUE_MT], { home });
    assert.equal(r.status, 0, show(r));
    const m = new RegExp(
      `You might want to add the following host entry to your ssh config file:\\n\\n[\\s\\S]*Port ${S.sshPort}\\n\\tUser U\\n\\n` +
        `and the following line \\(the server's ssh host key\\) to your '~/\\.ssh/known_hosts' file:\\n\\n(\\[127\\.0\\.0\\.1\\]:${S.sshPort} ssh-ed25519 \\S+)\\n$`,
    ).exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(fingerprintOf(m[1]!), (await publishedHostKeys())[0]!.fingerprint);
    assert.equal(existsSync(join(home, '.ssh')), false);
  });

  it('12.9 a host key that is not the one the server publishes goes nowhere: known_hosts untouched, status 1, the published fingerprint named', async () => {
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    stubSshServer([{ type: 'ssh-ed25519', fingerprint: wrong }]);
    const home = homeWithConfig(stub.url);
    const r = await run(['settings', 'grants', 'ssh', 'add', KEY, '--MT', OPAQUE_MT], { home });
    assert.equal(r.status, 1, show(r));
    assert.equal(existsSync(join(home, '.ssh', 'known_hosts')), false);
    assert.match(r.stdout, /We added a host entry to your '~\/\.ssh\/config' file/);
    assert.match(r.stderr, /^mytoken: the ssh host key at \[127\.0\.0\.1\]:\d+ is not one the server publishes/m);
    assert.ok(r.stderr.includes(wrong), r.stderr);
  });

  it('12.9 ssh_keys that are not host keys are refused; nothing unsafe is printed or written', async () => {
    stubSshServer([{ type: 'ssh-ed25519\nProxyCommand evil', fingerprint: 'SHA256:x\x1b[31m' }]);
    const home = homeWithConfig(stub.url);
    const r = await run(['settings', 'grants', 'ssh', 'add', KEY, '--MT', OPAQUE_MT], { home });
    assert.equal(r.status, 1, show(r));
    assert.equal(existsSync(join(home, '.ssh', 'known_hosts')), false);
    assert.doesNotMatch(r.stdout + r.stderr, /\x1b|\nProxyCommand/);
    assert.match(r.stderr, /ssh_keys/);
  });

  it('12.9 says what to do next: "Host key verification failed" from ssh is status 4 (a trust problem, like TLS), ssh\'s message once, a hint naming ssh-keyscan', async () => {
    const home = freshHome();
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'ssh'),
      "#!/bin/sh\nprintf 'No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\\r\\nHost key verification failed.\\r\\n' >&2\nexit 255\n",
    );
    chmodSync(join(bin, 'ssh'), 0o755);
    const r = await run(['AT', '--ssh', 'mytoken-x'], { home, env: { PATH: `${bin}:${process.env.PATH}` } });
    assertFailed(r, 4, /Host key verification failed/);
    assert.equal(count(r.stderr, 'Host key verification failed'), 1, r.stderr);
    assert.equal(count(r.stderr, 'No ED25519 host key is known'), 1, r.stderr);
    assert.match(r.stderr, /^mytoken: ssh mytoken-x: ssh does not trust the server's host key/m);
    assert.match(r.stderr, /ssh-keyscan -p 2222 127\.0\.0\.1/);
    assert.match(r.stderr, /known_hosts/);
  });
});

// ---- 12.10: stdout, TLS, polling -----------------------------------------------------------------

/** Runs the CLI with stdout on `fd` (stdin and stderr as usual). */
function runWithStdout(args: string[], home: string, stdout: number | 'pipe-closed'): Promise<RunResult> {
  const child = spawn(...cliCommand(args), { cwd: home, env: baseEnv(home), stdio: ['ignore', stdout === 'pipe-closed' ? 'pipe' : stdout, 'pipe'] });
  if (stdout === 'pipe-closed') child.stdout!.destroy(); // the reader has gone before anything is written
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout: '', stderr })));
}

describe('12.10 output that cannot be written', () => {
  it('12.10 AT > /dev/full: a clear error (status 1), no stack trace; the rotated mytoken was stored before', async () => {
    const t = await minted({ capabilities: ['AT'], rotation: { on_AT: true } });
    const fd = openSync('/dev/full', 'w');
    const r = await runWithStdout(['AT', '--MT-file', t.file], t.home, fd);
    closeSync(fd);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, 'mytoken: could not write the token to standard output: no space left on device (ENOSPC)\n');
    const now = readFileSync(t.file, 'utf8').trim();
    assert.notEqual(now, t.token, 'the rotated mytoken is in the file');
    assert.equal(JSON.parse(Buffer.from(now.split('.')[1]!, 'base64url').toString()).seq_no, 2);
  });

  it('12.10 AT with stdout not open for writing (EBADF): a clear error, status 1', async () => {
    const t = await minted({ capabilities: ['AT'] });
    const fd = openSync(t.file, 'r');
    const r = await runWithStdout(['AT', '--MT-file', t.file], t.home, fd);
    closeSync(fd);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^mytoken: could not write the token to standard output: .*\(EBADF\)\n$/);
  });

  it('12.10 AT into a pipe whose reader has gone (EPIPE): status 141 like a program killed by SIGPIPE, one line, no stack trace', async () => {
    const t = await minted({ capabilities: ['AT'] });
    const r = await runWithStdout(['AT', '--MT-file', t.file], t.home, 'pipe-closed');
    assert.equal(r.status, 141, r.stderr);
    assert.equal(r.stderr, 'mytoken: the token was not written: the reader of standard output has gone (EPIPE)\n');
  });

  it('12.10 a listing into a pipe whose reader has gone: status 141 and silence, as `head` users expect', async () => {
    const r = await runWithStdout(['capabilities', '--url', S.url], freshHome(), 'pipe-closed');
    assert.equal(r.status, 141, r.stderr);
    assert.equal(r.stderr, '');
  });
});

describe('12.10 https:// to a server that does not speak TLS', () => {
  it('12.10 says what to do next: --url https:// against a plain-HTTP server says it does not speak TLS (status 4), no OpenSSL text', async () => {
    const url = stub.url.replace('http:', 'https:');
    const r = await run(['AT', '--url', url, '--MT', OPAQUE_MT], { home: freshHome() });
    assertFailed(r, 4, new RegExp(`^mytoken: the server at ${url.replace(/[.]/g, '\\.')} does not speak TLS; is it an http:// URL\\?$`, 'm'));
    assert.doesNotMatch(r.stderr, /SSL|EPROTO|ssl3|wrong version|openssl/i);
    assert.match(r.stderr, new RegExp(`\\n {2}if so, use ${stub.url.replace(/[.]/g, '\\.')}`));
  });
});

/** A TCP front on a fixed loopback port for `target` that can go down (connections refused) and up again. */
async function flakyFront(target: string) {
  const to = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    const back = net.connect(Number(to.port), to.hostname);
    s.pipe(back).pipe(s);
    const drop = () => {
      s.destroy();
      back.destroy();
      sockets.delete(s);
    };
    s.on('error', drop).on('close', drop);
    back.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    /** no new connections from now on; open ones end a moment later (after the reply on them) */
    down: () => {
      server.close();
      setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, 200);
    },
    up: () => new Promise<void>((resolve) => (closed ? resolve() : server.listen(port, '127.0.0.1', resolve))),
    close: () => {
      closed = true;
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}

describe('12.10 a login goes on through a server that is down for a moment', () => {
  /** The stub as the mytoken server of a login at `base`: polls get answers from `polls`, in turn. */
  function scriptLogin(base: string, expiresIn: number, polls: (n: number) => StubReply | undefined) {
    stub.on('GET', CONFIG_PATH, { status: 200, body: stubConfiguration(base) });
    let n = 0;
    stub.on('POST', MYTOKEN, (q) => {
      if (bodyOf(q).grant_type === 'oidc_flow') return { status: 200, body: { consent_uri: `${base}/c/login`, polling_code: 'PC', expires_in: expiresIn, interval: 1 } };
      return polls(++n) ?? { status: 200, body: { mytoken: 'NEW-MYTOKEN' } };
    });
  }

  it('12.10 a refused connection while polling: retried, told once on stderr, the login ends with the mytoken', async () => {
    const front = await flakyFront(stub.url);
    try {
      scriptLogin(front.url, 30, (n) => {
        if (n === 1) {
          front.down();
          setTimeout(() => void front.up(), 2500);
          return { status: 400, body: { error: 'authorization_pending' } };
        }
        return undefined;
      });
      const r = await run(['MT', '-i', 'https://op.example', '--url', front.url], { home: freshHome() });
      assert.equal(r.status, 0, show(r));
      assert.equal(r.stdout, 'NEW-MYTOKEN\n');
      assert.equal(count(r.stderr, 'retrying'), 1, r.stderr);
      assert.match(r.stderr, /mytoken: could not reach http:\/\/127\.0\.0\.1:\d+: connection refused; retrying until the login expires \(in \d+ s\)\n/);
    } finally {
      await front.close();
    }
  });

  it('12.10 a 503 and a poll without an answer are retried too; the login ends with the mytoken', async () => {
    scriptLogin(stub.url, 30, (n) => (n === 1 ? { status: 503, body: '<html>Service Unavailable</html>' } : n === 2 ? 'hang' : undefined));
    const r = await run(['MT', '-i', 'https://op.example', '--url', stub.url], { home: freshHome(), env: { MYTOKEN_HTTP_TIMEOUT: '1' } });
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout, 'NEW-MYTOKEN\n');
    assert.equal(count(r.stderr, 'retrying'), 1, r.stderr);
  });

  it('12.10 says what to do next: when the login expires while the server cannot be reached, a clear message (status 4)', async () => {
    const front = await flakyFront(stub.url);
    try {
      scriptLogin(front.url, 4, () => {
        front.down();
        return { status: 400, body: { error: 'authorization_pending' } };
      });
      const r = await run(['MT', '-i', 'https://op.example', '--url', front.url], { home: freshHome() });
      assertFailed(r, 4, /^mytoken: the login expired \(after 4 s\) while the server could not be reached: could not reach http:\/\/127\.0\.0\.1:\d+: connection refused$/m);
      assert.match(r.stderr, /\n {2}check your network and the server, then run the command again\n$/);
    } finally {
      await front.close();
    }
  });
});
