// The keyring backend (src/tokens/keyring.ts, issue 14) against a real Secret Service: gnome-keyring
// on a private session bus (keyring.mts), each flow cross-checked with secret-tool, which finds an
// entry under the attributes service=mytoken, username=NAME. Then the ways a keyring is missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { baseEnv, tempHome } from './helpers.mjs';
import { keyringSkip, promptSkip, type SecretService, startSecretService } from './keyring.mjs';
import { keyringSteps, type StepResult } from './keyring-steps.mjs';

const skip = keyringSkip();
const TOKEN = 'eyJhbGciOiJFUzUxMiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL210LmV4YW1wbGUifQ.c2lnbmF0dXJlLTE';
const TOKEN2 = 'eyJhbGciOiJFUzUxMiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL210LmV4YW1wbGUifQ.c2lnbmF0dXJlLTI';

const okValue = (r: StepResult | undefined, label: string): unknown => {
  assert.ok(r?.ok, `${label}: ${JSON.stringify(r)}`);
  return r!.value;
};
const failed = (r: StepResult | undefined, label: string, error: string, message: RegExp): StepResult => {
  assert.ok(r && !r.ok, `${label}: expected a failure, got ${JSON.stringify(r)}`);
  assert.equal(r.error, error, `${label}: ${r.message}`);
  assert.equal(r.status, 2, label);
  assert.match(r.message!, message, label);
  return r;
};
/** The usernames of the items of service mytoken, as secret-tool sees them (it prints attributes on stderr). */
function items(ss: SecretService): string[] {
  const r = ss.secretTool(['search', '--all', 'service', 'mytoken']);
  return [...r.stderr.matchAll(/^attribute\.username = (.*)$/gm)].map((m) => m[1]!).sort();
}

describe('the keyring backend against gnome-keyring', { skip }, () => {
  let ss: SecretService;
  before(async () => {
    ss = await startSecretService();
  });
  after(async () => {
    await ss?.stop();
  });

  test('set, get, list and delete; secret-tool finds the entry under service mytoken, username NAME', async () => {
    const r = await keyringSteps(ss.env, [
      { op: 'list' },
      { op: 'get', name: 'alice' },
      { op: 'set', name: 'alice', value: TOKEN },
      { op: 'get', name: 'alice' },
      { op: 'list' },
    ]);
    assert.deepEqual(okValue(r.results[0], 'empty list'), { names: [], skipped: 0 });
    assert.equal(okValue(r.results[1], 'get of a missing entry'), null);
    okValue(r.results[2], 'set');
    assert.equal(okValue(r.results[3], 'get'), TOKEN);
    assert.deepEqual(okValue(r.results[4], 'list'), { names: ['alice'], skipped: 0 });

    const lookup = ss.secretTool(['lookup', 'service', 'mytoken', 'username', 'alice']);
    assert.equal(lookup.status, 0, lookup.stderr);
    assert.equal(lookup.stdout, TOKEN);
    const search = ss.secretTool(['search', '--all', 'service', 'mytoken', 'username', 'alice']);
    assert.match(`${search.stdout}${search.stderr}`, /^label = keyring:alice@mytoken$/m);

    const again = await keyringSteps(ss.env, [
      { op: 'set', name: 'alice', value: TOKEN2 },
      { op: 'get', name: 'alice' },
      { op: 'delete', name: 'alice' },
      { op: 'delete', name: 'alice' },
      { op: 'get', name: 'alice' },
    ]);
    okValue(again.results[0], 'replace');
    assert.equal(okValue(again.results[1], 'get after replace'), TOKEN2);
    assert.equal(okValue(again.results[2], 'delete'), true);
    assert.equal(okValue(again.results[3], 'delete again'), false);
    assert.equal(okValue(again.results[4], 'get after delete'), null);
    assert.equal(ss.secretTool(['lookup', 'service', 'mytoken', 'username', 'alice']).status, 1, 'gone for secret-tool too');
    for (const [i, res] of [...r.results, ...again.results].entries()) assert.ok(res.ms < 2000, `step ${i} took ${res.ms} ms`);
  });

  test('values other tools put there: one trailing line break is allowed; binary, several lines, empty or huge values are refused (status 2)', async () => {
    for (const [name, value] of [
      ['echoed', `${TOKEN}\n`],
      ['crlf', `${TOKEN}\r\n`],
      ['binary', Buffer.from([0x61, 0x62, 0x00, 0xff, 0xfe, 0x63])],
      ['two-lines', `${TOKEN}\n${TOKEN2}\n`],
      ['spaced', `${TOKEN} x`],
    ] as const) {
      const stored = ss.secretTool(['store', `--label=${name}`, 'service', 'mytoken', 'username', name], value);
      assert.equal(stored.status, 0, `${name}: ${stored.stderr}`);
    }
    const r = await keyringSteps(ss.env, [
      { op: 'plant', name: 'huge', fill: 0x41, count: 20_000 },
      { op: 'plant', name: 'empty', bytes: [] },
      { op: 'get', name: 'echoed' },
      { op: 'get', name: 'crlf' },
      { op: 'get', name: 'binary' },
      { op: 'get', name: 'two-lines' },
      { op: 'get', name: 'spaced' },
      { op: 'get', name: 'huge' },
      { op: 'get', name: 'empty' },
      { op: 'list' },
    ]);
    okValue(r.results[0], 'plant huge');
    okValue(r.results[1], 'plant empty');
    assert.equal(okValue(r.results[2], 'echoed'), TOKEN);
    assert.equal(okValue(r.results[3], 'crlf'), TOKEN);
    for (const i of [4, 5, 6]) failed(r.results[i], `step ${i}`, 'UsageError', /^keyring entry [\w-]+ does not hold a mytoken \(it holds binary data, spaces or more than one line\)$/);
    failed(r.results[7], 'huge', 'UsageError', /^keyring entry huge holds 20000 bytes, more than a mytoken \(at most 16384\)$/);
    failed(r.results[8], 'empty', 'UsageError', /^keyring entry empty does not hold a mytoken \(it is empty\)$/);
    assert.match(r.results[4]!.hint!, /secret-tool clear service mytoken username binary/);
    for (const res of r.results) assert.ok(!`${res.message}${res.hint}`.includes(TOKEN.slice(-12)), 'no value in an error');
    const listing = okValue(r.results[9], 'list') as { names: string[] };
    assert.deepEqual(listing.names, ['binary', 'crlf', 'echoed', 'empty', 'huge', 'spaced', 'two-lines'], 'the listing shows names, whatever the values');
    await keyringSteps(ss.env, listing.names.map((name) => ({ op: 'delete' as const, name })));
    assert.deepEqual(items(ss), []);
  });

  test('odd entry names are refused before anything is written; entries named by other tools are left out of the listing', async () => {
    const bad = ['', ' ', 'my token', 'a/b', '../x', '-rf', '.hidden', 'tab\tname', 'line\nbreak', 'nul\u0000x', 'é', 'x'.repeat(65), 'semi;colon', '$(id)', '\u001b[31mred', 'a:b'];
    const r = await keyringSteps(
      ss.env,
      bad.flatMap((name) => [
        { op: 'set' as const, name, value: TOKEN },
        { op: 'get' as const, name },
        { op: 'delete' as const, name },
      ]),
    );
    for (const [i, res] of r.results.entries()) {
      const name = JSON.stringify(bad[Math.floor(i / 3)]);
      const e = failed(res, `name ${name}`, 'UsageError', / is not a keyring entry name$/);
      assert.match(e.hint!, /^an entry name has 1 to 64 characters: letters, digits and \. _ - @ \+, the first a letter or digit$/);
      assert.doesNotMatch(e.message!, /[\x00-\x1f\x7f-\uffff]/, `${name}: the message shows the name escaped`);
    }
    assert.match(r.results[3 * bad.indexOf('\u001b[31mred')]!.message!, /^"\\u001b\[31mred" is not/);
    assert.equal(r.nativeLoaded, false, 'refused before the native module was even loaded');
    assert.deepEqual(items(ss), [], 'nothing written');

    const good = ['a', 'Z9', 'alice@example.org', 'prod.egi_1+x-y', `${'n'.repeat(63)}9`];
    const g = await keyringSteps(ss.env, good.flatMap((name) => [{ op: 'set' as const, name, value: TOKEN }, { op: 'get' as const, name }]));
    for (const [i, res] of g.results.entries()) okValue(res, `good name ${good[Math.floor(i / 2)]}`);
    assert.deepEqual(items(ss), [...good].sort());

    assert.equal(ss.secretTool(['store', '--label=other', 'service', 'mytoken', 'username', 'my token/x'], TOKEN).status, 0);
    const listed = await keyringSteps(ss.env, [{ op: 'list' }, ...good.map((name) => ({ op: 'delete' as const, name }))]);
    assert.deepEqual(okValue(listed.results[0], 'list'), { names: [...good].sort(), skipped: 1 });
    assert.equal(ss.secretTool(['clear', 'service', 'mytoken', 'username', 'my token/x']).status, 0);
  });

  test('a Secret Service that stopped answering: each call fails within a few seconds (KeyringUnavailable), the listing too', async () => {
    await keyringSteps(ss.env, [{ op: 'set', name: 'frozen', value: TOKEN }]);
    ss.freeze();
    let r;
    try {
      r = await keyringSteps(ss.env, [
        { op: 'get', name: 'frozen' },
        { op: 'list' },
      ]);
    } finally {
      ss.thaw();
    }
    for (const res of r.results) {
      failed(res, 'frozen', 'KeyringUnavailable', /^the system keyring cannot be used: the Secret Service did not answer on the D-Bus session bus$/);
      assert.ok(res.ms < 5000, `gave up after ${res.ms} ms`);
    }
    assert.equal(okValue((await keyringSteps(ss.env, [{ op: 'delete', name: 'frozen' }])).results[0], 'after thaw'), true);
  });
});

describe('no usable keyring: KeyringUnavailable (status 2) saying what is missing, nothing stored elsewhere', { skip }, () => {
  const ops = (name: string) => [
    { op: 'set' as const, name, value: TOKEN },
    { op: 'get' as const, name },
    { op: 'delete' as const, name },
    { op: 'list' as const },
  ];

  test('no session bus: the message names DBUS_SESSION_BUS_ADDRESS, and it comes before the native module is loaded', async () => {
    const home = tempHome();
    const r = await keyringSteps(baseEnv(home, { DBUS_SESSION_BUS_ADDRESS: undefined }), ops('alice'));
    for (const res of r.results) {
      const e = failed(res, 'no bus', 'KeyringUnavailable', new RegExp(`^the system keyring cannot be used: there is no D-Bus session bus \\(DBUS_SESSION_BUS_ADDRESS is not set, and there is no socket ${home}/run/bus\\)$`));
      assert.match(e.hint!, /--MT-file FILE/);
      assert.ok(res.ms < 50, `fast: ${res.ms} ms`);
    }
    assert.equal(r.nativeLoaded, false);
    rmSync(home, { recursive: true, force: true });
  });

  test('a session bus address that leads nowhere: the message says the bus cannot be reached', async () => {
    const home = tempHome();
    const r = await keyringSteps(baseEnv(home, { DBUS_SESSION_BUS_ADDRESS: `unix:path=${home}/no-bus` }), ops('alice'));
    for (const res of r.results) {
      failed(res, 'stale bus', 'KeyringUnavailable', new RegExp(`^the system keyring cannot be used: the D-Bus session bus cannot be reached \\(.*${home}/no-bus: No such file or directory\\)$`));
    }
    rmSync(home, { recursive: true, force: true });
  });

  test('a Secret Service without any keyring (collection): storing is refused, reading finds nothing', async () => {
    const bare = await startSecretService({ unlock: false });
    try {
      const r = await keyringSteps(bare.env, ops('alice'));
      const e = failed(r.results[0], 'set', 'KeyringUnavailable', /^the system keyring cannot be used: the Secret Service has no default keyring \(collection\) to keep entries in$/);
      assert.match(e.hint!, /--MT-file FILE/);
      assert.equal(okValue(r.results[1], 'get'), null);
      assert.equal(okValue(r.results[2], 'delete'), false);
      assert.deepEqual(okValue(r.results[3], 'list'), { names: [], skipped: 0 });
    } finally {
      await bare.stop();
    }
  });

  test('a bus without a Secret Service: refused, and the library default (the in-memory kernel keyring) is not used instead', async (t) => {
    const bus = await startSecretService({ daemon: false });
    try {
      const r = await keyringSteps(bus.env, [...ops('pin-check'), { op: 'unpinned-get', name: 'pin-check' }]);
      for (const res of r.results.slice(0, 4)) {
        const e = failed(res, 'no daemon', 'KeyringUnavailable', /^the system keyring cannot be used: no Secret Service \(GNOME Keyring, KWallet\) answers on the D-Bus session bus$/);
        assert.match(e.hint!, /--MT-file FILE/);
      }
      // the default store (the kernel keyring) does not have it; where that store cannot be used at
      // all, the library says AccessDenied
      const fallback = r.results[4]!;
      assert.ok(fallback.ok ? fallback.value === null : /AccessDenied/.test(fallback.message!), `not in the fallback store: ${JSON.stringify(fallback)}`);
      // what the pinning prevents: unpinned, the library "succeeds" here, into a store lost at reboot
      // (where the kernel keyring is usable), or fails with AccessDenied from that store (where it is
      // not); either way the messages above, which name the Secret Service, show the pinned store
      const unpinned = await keyringSteps(bus.env, [
        { op: 'unpinned-set', name: 'pin-check', value: TOKEN },
        { op: 'unpinned-get', name: 'pin-check' },
        { op: 'unpinned-delete', name: 'pin-check' },
      ]);
      if (unpinned.results[0]!.ok) assert.equal(unpinned.results[1]!.value, TOKEN, 'the library default kept it in the kernel keyring');
      else t.diagnostic(`the kernel keyring is not usable here either: ${unpinned.results[0]!.message}`);
    } finally {
      await bus.stop();
    }
  });

  test('a locked collection, which cannot be unlocked without a prompt: refused, nothing changed', async () => {
    const locked = await startSecretService();
    try {
      okValue((await keyringSteps(locked.env, [{ op: 'set', name: 'kept', value: TOKEN }])).results[0], 'set before locking');
      locked.lock();
      const r = await keyringSteps(locked.env, [...ops('kept'), ...ops('new')]);
      const lockedMessage = /^the system keyring cannot be used: the keyring is locked and was not unlocked \(no prompt to unlock it could be shown, or it was dismissed\)$/;
      for (const [i, res] of r.results.entries()) {
        // an entry that is in no collection is simply not found, locked or not
        if (i === 5 || i === 6) {
          assert.equal(okValue(res, `locked, step ${i}`), i === 5 ? null : false);
          continue;
        }
        failed(res, `locked, step ${i}`, 'KeyringUnavailable', lockedMessage);
        assert.ok(res.ms < 5000, `step ${i}: ${res.ms} ms`);
      }
    } finally {
      await locked.stop();
    }
  });

  test('a prompt to unlock that nobody answers (a desktop whose user is away): the call gives up at its timeout', { skip: promptSkip() }, async (t) => {
    const s = await startSecretService();
    try {
      okValue((await keyringSteps(s.env, [{ op: 'set', name: 'kept', value: TOKEN }])).results[0], 'set before locking');
      s.lock();
      await s.silencePrompts();
      const r = await keyringSteps(s.env, [{ op: 'get', name: 'kept', timeoutMs: 1000 }], { untilAnswer: true });
      const res = failed(
        r.results[0],
        'unanswered prompt',
        'KeyringUnavailable',
        /^the system keyring cannot be used: the Secret Service did not finish reading entry kept within 1 s \(is it waiting for the keyring to be unlocked\?\)$/,
      );
      assert.match(res.hint!, /--MT-file FILE/);
      assert.ok(res.ms >= 1000 && res.ms < 3000, `gave up after ${res.ms} ms`);
      // Node 20 joins its worker threads at exit, so the process stays until the native call returns
      t.diagnostic(r.exited ? 'the child exited at once' : 'the child was still waiting for the native call a second after its answer (ended by the test)');
    } finally {
      await s.stop();
    }
  });

  test('the harness leaves no daemon behind', async () => {
    const s = await startSecretService();
    const pids = s.pids;
    assert.equal(pids.length, 2);
    assert.equal(spawnSync('pgrep', ['-f', s.dir]).status, 0, 'the bus runs with its config in the folder');
    await s.stop();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid} is gone`);
    assert.equal(spawnSync('pgrep', ['-f', s.dir]).status, 1, 'no process mentions the folder');
  });
});
