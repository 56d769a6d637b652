// e2e: --ssh on AT and MT with a scripted `ssh` program first in PATH (the real OpenSSH client
// against the local server's SSH side comes with the rest of issue 5).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './helpers.mjs';
import { assertFailed, freshHome, removeHomes } from './stub-server.mjs';

let bin: string;
let home: string;
const argsFile = () => join(home, 'ssh-args');

before(() => {
  home = freshHome();
  bin = join(home, 'bin');
  mkdirSync(bin);
  // prints SHIM_OUT on stdout, SHIM_ERR on stderr, exits SHIM_STATUS; records its arguments, one per line
  writeFileSync(
    join(bin, 'ssh'),
    '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done > "$SHIM_ARGS"\n[ -n "$SHIM_ERR" ] && printf \'%s\\n\' "$SHIM_ERR" >&2\nprintf \'%s\' "$SHIM_OUT"\nexit "${SHIM_STATUS:-0}"\n',
  );
  chmodSync(join(bin, 'ssh'), 0o755);
});
after(removeHomes);

function cli(args: string[], shim: { out?: string; err?: string; status?: number }, path = `${bin}:${process.env.PATH}`) {
  return run(args, {
    home,
    env: { PATH: path, SHIM_ARGS: argsFile(), SHIM_OUT: shim.out ?? '', SHIM_ERR: shim.err ?? '', SHIM_STATUS: String(shim.status ?? 0) },
  });
}
const sentArgs = () => readFileSync(argsFile(), 'utf8').split('\n').slice(0, -1);
const payload = (args: string[]) => JSON.parse(Buffer.from(args[args.length - 1]!, 'base64').toString()) as Record<string, unknown>;

describe('--ssh (issue 5, client side of AT and MT)', () => {
  it('17.4/48 (payload as base64) AT --ssh "-p 2222 user@host" -s openid note: ssh gets the words, AT and a base64 JSON payload; the token is printed', async () => {
    const r = await cli(['AT', '--ssh', '-p 2222 user@host', '-s', 'openid', "it's a note"], { out: 'ACCESS.TOKEN\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ACCESS.TOKEN\n');
    const args = sentArgs();
    assert.deepEqual(args.slice(0, 5), ['-p', '2222', 'user@host', 'AT', 'application/json;base64']);
    assert.deepEqual(payload(args), { grant_type: 'mytoken', mytoken: '', scope: 'openid', comment: "it's a note" });
  });

  it('AT --ssh host -o FILE writes the token to FILE (Q13 fixed)', async () => {
    const file = join(home, 'at');
    const r = await cli(['AT', '--ssh', 'mytoken-wlcg', '-o', file], { out: 'TOKEN2\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(readFileSync(file, 'utf8'), 'TOKEN2\n');
  });

  it('17.5/61 (no HTTP request first: Q8 fixed) MT --ssh host --capability AT --exp +1d sends the mytoken request with grant_type ssh and prints the new mytoken', async () => {
    const r = await cli(['MT', '--ssh', 'host', '--capability', 'AT', '--exp', '+1d'], { out: 'NEW.MY.TOKEN\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'NEW.MY.TOKEN\n');
    const p = payload(sentArgs());
    assert.equal(p.grant_type, 'ssh');
    assert.deepEqual(p.capabilities, ['AT']);
    assert.equal(typeof (p.restrictions as { exp: number }[])[0]!.exp, 'number');
  });

  it('an API error the server prints (exit 0) becomes that error: insufficient_capabilities is status 3, nothing on stdout', async () => {
    const r = await cli(['MT', '--ssh', 'host'], { out: 'insufficient_capabilities: The provided token does not have the required capability for this operation\n' });
    assertFailed(r, 3, /insufficient_capabilities/);
  });

  it('17.4/49 (statuses of design.md) ssh refusing the login (255, Permission denied) is status 3 with ssh\'s message visible', async () => {
    const r = await cli(['AT', '--ssh', 'host'], { err: 'user@host: Permission denied (publickey).', status: 255 });
    assertFailed(r, 3, /Permission denied \(publickey\)/);
  });

  it('an unreachable ssh port is status 4', async () => {
    const r = await cli(['AT', '--ssh', 'host'], { err: 'ssh: connect to host 127.0.0.1 port 1: Connection refused', status: 255 });
    assertFailed(r, 4, /Connection refused/);
  });

  it('an unbalanced quote in --ssh is a usage error (2); ssh is not run', async () => {
    writeFileSync(argsFile(), 'untouched\n');
    const r = await cli(['AT', '--ssh', '-p 2222 "user@host'], { out: 'X' });
    assertFailed(r, 2, /not closed/);
    assert.deepEqual(sentArgs(), ['untouched']);
  });

  it('no ssh program on PATH is status 1, saying so', async () => {
    const r = await cli(['AT', '--ssh', 'host'], {}, join(home, 'empty'));
    assertFailed(r, 1, /ssh program was not found/);
  });

  it('info history --ssh host: the history request without payload, the answer shown as the table', async () => {
    const r = await cli(['info', 'history', '--ssh', 'host'], { out: '{"events":[{"event":"AT_created","time":0,"comment":"c","ip":"1.2.3.4"}]}\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(sentArgs(), ['host', 'history']);
    assert.match(r.stdout, /│ AT_created │ c +│ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d │ 1\.2\.3\.4 │/);
  });

  it('info list-mytokens, subtokens, introspect and notifications use list-all-mytokens, list-subtokens, introspect, tokeninfo-notifications', async () => {
    const cases: [string[], string, string][] = [
      [['info', 'list-mytokens'], 'list-all-mytokens', '{"mytokens":[]}'],
      [['MT', 'list'], 'list-all-mytokens', '{"mytokens":[]}'],
      [['info', 'tree'], 'list-subtokens', '{"mytokens":{"token":{"mom_id":"m","created":1}}}'],
      [['info', 'introspect'], 'introspect', '{"valid":true,"token_type":"token","mom_id":"m"}'],
      [['info', 'notifications', '--mom-id', 'this'], 'tokeninfo-notifications', '{}'],
    ];
    for (const [args, request, answer] of cases) {
      const r = await cli([...args, '--ssh', 'host'], { out: `${answer}\n` });
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(sentArgs()[1], request, args.join(' '));
    }
    assert.deepEqual(payload(sentArgs()), { action: '', mytoken: '', mom_ids: ['this'] });
  });

  it('an answer that is not JSON where JSON is expected is status 1 naming the request', async () => {
    const r = await cli(['info', 'history', '--ssh', 'host'], { out: 'something else\n' });
    assertFailed(r, 1, /answer to history/);
  });

  it('17.7/98 (payload as base64) revoke --ssh host (no payload), with --mom-id X -r ({"token":"","mom_id","recursive"}); MT tags add over ssh', async () => {
    let r = await cli(['revoke', '--ssh', 'host'], { out: 'OK\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'Token revoked\n');
    assert.deepEqual(sentArgs(), ['host', 'revoke']);
    r = await cli(['revoke', '--ssh', 'host', '--mom-id', 'X', '-r'], { out: 'OK\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(payload(sentArgs()), { token: '', mom_id: 'X', recursive: true });
    r = await cli(['MT', 'tags', 'add', 'ci', '--ssh', 'host'], { out: 'OK\n' });
    assert.equal(r.stdout, "Tag 'ci' added successfully\n");
    assert.equal(sentArgs()[1], 'add-tag');
    assert.deepEqual(payload(sentArgs()), { tag: 'ci', include_children: false });
  });

  it('calendars list, settings tags create and notifications create over ssh: requests, payloads and output as over HTTP', async () => {
    let r = await cli(['calendars', 'list', '--ssh', 'host'], { out: '{"calendars":[{"id":"C1","description":"d","ics_path":"p","tags":[]}]}\n' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(sentArgs(), ['host', 'calendars']);
    assert.match(r.stdout, /│ C1 │ d +│ +│ p +│ 0 +│/);
    r = await cli(['settings', 'tags', 'create', 'ci', '--color', 'red', '--ssh', 'host'], { out: 'OK\n' });
    assert.equal(r.stdout, "Tag 'ci' created successfully\n");
    assert.deepEqual(payload(sentArgs()), { tag: 'ci', color: 'FF0000' });
    r = await cli(['notifications', 'create', '--type', 'mail', '--classes', 'AT_creations', '--ssh', 'host'], { out: '{"management_code":"M9"}\n' });
    assert.equal(r.stdout, '\n✓ Notification created successfully! Management code: M9\n');
    assert.equal(sentArgs()[1], 'notification-create');
    assert.deepEqual(payload(sentArgs()), { notification_type: 'mail', notification_classes: ['AT_creations'], include_children: false, user_wide: false });
  });

  it('commands without an ssh form refuse --ssh (2) instead of ignoring it', async () => {
    for (const args of [['settings', 'grants', 'list'], ['info']]) {
      const r = await cli([...args, '--ssh', 'host'], { out: 'X' });
      assertFailed(r, 2, /ssh/, args.join(' '));
    }
  });
});
