// Careless and hostile input (issue 11.8, 11.10): JSON depth and size, the config file's YAML,
// ~ without HOME, and the ssh host entry a server sends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandHome, loadConfig, parseConfig } from '../../src/config/config.js';
import { jsonErrorIndex, parseJson, readJsonFile, shortJson } from '../../src/request/json.js';
import { jsonDepthIndex } from '../../src/safefs.js';
import { parseRestrictions } from '../../src/request/restrictions.js';
import { parseRotation } from '../../src/request/rotation.js';
import { parseProfile } from '../../src/request/profile.js';
import { hostEntryProblem, showEntry, showLine } from '../../src/ssh/host-entry.js';
import { LIMITS } from '../../src/safefs.js';

const usage = (text: RegExp) => (e: unknown) => (e as { exitStatus?: number }).exitStatus === 2 && text.test((e as Error).message);
const nest = (n: number, inner = '1') => `${'['.repeat(n)}${inner}${']'.repeat(n)}`;

describe('11.8 JSON depth', () => {
  it('jsonDepthIndex: 64 levels pass, 65 do not; brackets in strings and after escapes do not count', () => {
    assert.equal(jsonDepthIndex(nest(64)), -1);
    assert.equal(jsonDepthIndex(nest(65)), 64);
    assert.equal(jsonDepthIndex(`{"a":${nest(63)}}`), -1);
    assert.equal(jsonDepthIndex(`{"a":${nest(64)}}`), 68);
    assert.equal(jsonDepthIndex(`["${'['.repeat(1000)}"]`), -1);
    assert.equal(jsonDepthIndex(`["\\"${'['.repeat(1000)}"]`), -1, 'an escaped quote does not end the string');
    assert.equal(jsonDepthIndex(`["\\\\", ${nest(70)}]`), 70, 'an escaped backslash does');
    assert.equal(jsonDepthIndex(`${']'.repeat(10)}${'['.repeat(100)}`), 74, 'stray closing brackets do not make room for more');
    assert.equal(jsonDepthIndex('['.repeat(1_000_000)), 64);
    assert.equal(jsonDepthIndex('"unterminated [[[['), -1);
  });

  it('parseJson refuses deep JSON by name and place, valid or not, and never overflows the stack', () => {
    for (const text of [nest(65), '['.repeat(1_000_000), nest(500_000), '[{"a":'.repeat(200_000)]) {
      assert.throws(() => parseJson(text, '--restrictions'), usage(/^--restrictions: JSON nested more than 64 levels deep \(at line 1, column \d+\)$/));
    }
    assert.deepEqual(parseJson(nest(64), 'x'), JSON.parse(nest(64)));
    assert.throws(() => parseJson('\n\n  [' + nest(70), 'F'), usage(/line 3, column 67/));
  });

  it('jsonErrorIndex is iterative: no RangeError for any depth', () => {
    assert.equal(jsonErrorIndex('['.repeat(1_000_000)), 1_000_000);
    assert.equal(jsonErrorIndex(nest(1_000_000)), -1);
    assert.equal(jsonErrorIndex('{"a":'.repeat(100_000)), 500_000);
    assert.equal(jsonErrorIndex(`["${'x'.repeat(1_000_000)}`), 1_000_002);
    assert.equal(jsonErrorIndex('[1,2,]'), 5);
    assert.equal(jsonErrorIndex('{"a" 1}'), 5);
    assert.equal(jsonErrorIndex('{"a":"\\q"}'), 7);
    assert.equal(jsonErrorIndex('{"a":"\\u12g4"}'), 7);
    assert.equal(jsonErrorIndex(' {"a": [true, null, -1.5e3, {}, []]} '), -1);
  });

  it('restrictions, rotation and profile: deep JSON inline, in env-named sources and in files is a usage error', () => {
    const ctx = { now: 1_800_000_000, env: { HOME: '/nonexistent' } };
    assert.throws(() => parseRestrictions(nest(100), 'MYTOKEN_RESTRICTIONS', ctx), usage(/^MYTOKEN_RESTRICTIONS: JSON nested/));
    assert.throws(() => parseRotation(`{"include":${nest(100, '"a"')}}`, '--rotation', ctx.env), usage(/^--rotation: JSON nested/));
    assert.throws(() => parseProfile(`{"tags":${nest(100)}}`, ctx), usage(/^--profile: JSON nested/));
  });

  it('shortJson cuts what an error message quotes', () => {
    assert.equal(shortJson([1, 2]), '[1,2]');
    assert.equal(shortJson(Array(1000).fill(1)).length, 61);
    assert.equal(shortJson(undefined), 'undefined');
  });
});

describe('11.8 JSON files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mytoken-unit-json-'));
  it('readJsonFile: too large, a FIFO, a device, a folder, missing: usage errors naming the flag and the file', (t) => {
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const env = { HOME: dir };
    writeFileSync(join(dir, 'big.json'), ' '.repeat(LIMITS.jsonFile + 1));
    writeFileSync(join(dir, 'ok.json'), ' '.repeat(LIMITS.jsonFile - 2) + '{}');
    execFileSync('mkfifo', [join(dir, 'p')]);
    assert.throws(() => readJsonFile('~/big.json', '--restrictions', env), usage(/^--restrictions: ~\/big\.json is larger than 1 MiB/));
    assert.deepEqual(readJsonFile('~/ok.json', '--restrictions', env), {});
    assert.throws(() => readJsonFile('~/p', '--rotation', env), usage(/^--rotation: ~\/p is a named pipe/));
    assert.throws(() => readJsonFile('/dev/zero', '--rotation', env), usage(/\/dev\/zero is a device/));
    assert.throws(() => readJsonFile('/dev/null', '--rotation', env), usage(/--rotation file \/dev\/null: not valid JSON/));
    assert.throws(() => readJsonFile('~/', '--rotation', env), usage(/is a directory/));
    assert.throws(() => readJsonFile('~/none.json', '--rotation', env), usage(/does not exist/));
  });
});

describe('11.8 the config file', () => {
  it('a YAML alias bomb is a usage error naming the file, not a ReferenceError', () => {
    const lines = ['a: &a [x,x,x,x,x,x,x,x,x]'];
    for (const [prev, name] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f']]) lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    assert.throws(() => parseConfig(lines.join('\n'), '/x/config.yaml'), usage(/^config file \/x\/config\.yaml: refused: its aliases/));
  });

  it('a few aliases are fine', () => {
    const cfg = parseConfig('u: &u "https://op.example"\nproviders:\n  a: *u\n  b: *u\ndefault_provider: a\n', 'c.yaml');
    assert.deepEqual(cfg.providers, { a: 'https://op.example', b: 'https://op.example' });
  });

  it('brackets nested too deeply are refused before the YAML parser sees them', () => {
    assert.throws(() => parseConfig(`a: ${'['.repeat(1_000_000)}`, 'c.yaml'), usage(/^config file c\.yaml, line 1: brackets nested more than 256 deep/));
    assert.throws(() => parseConfig(`a: b\nc: ${'{a: '.repeat(300)}`, 'c.yaml'), usage(/line 2: brackets nested/));
    assert.throws(() => parseConfig(`a: ${'- '.repeat(500_000)}x\n`, 'c.yaml'), usage(/^config file c\.yaml/));
  });

  it('loadConfig reads /dev/null as empty and refuses a device or a FIFO naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mytoken-unit-cfg-'));
    try {
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      const env = { HOME: dir };
      assert.equal(loadConfig('/dev/null', env).instance, 'https://mytoken.data.kit.edu');
      assert.throws(() => loadConfig('/dev/zero', env), usage(/^config file \/dev\/zero is a device/));
      assert.throws(() => loadConfig('~/fifo', env), usage(/fifo is a named pipe/));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('11.10 ~ without HOME', () => {
  it('expandHome: ~ and ~/x need HOME; other paths do not', () => {
    assert.equal(expandHome('~/x', { HOME: '/h' }), '/h/x');
    assert.equal(expandHome('~', { HOME: '/h' }), '/h');
    assert.equal(expandHome('./x', {}), './x');
    assert.equal(expandHome('~x', {}), '~x');
    for (const env of [{}, { HOME: '' }]) {
      assert.throws(() => expandHome('~/x', env), usage(/^~\/x starts with ~, but HOME is not set/));
      assert.throws(() => expandHome('~', env), usage(/HOME is not set/));
    }
  });
});

describe('11.10 the ssh host entry a server sends', () => {
  const SPEC =
    '# Host entry for mytoken\nHost mytoken-laptop\n\tHostName mytoken.example.com\n\tPort 2222\n\tUser a8Kd02JxQm7ZpL1s\n' +
    '\t# If you use a non-default ssh key for this entry, update the following line\n\t# IdentityFile ~/.ssh/your.key\n';

  it('the spec\'s entry, with or without a key name, and Key=value forms pass', () => {
    assert.equal(hostEntryProblem(SPEC), undefined);
    assert.equal(hostEntryProblem(SPEC.replace('mytoken-laptop', 'mytoken')), undefined);
    assert.equal(hostEntryProblem('Host mytoken\n  hostname = 127.0.0.1\nPORT=22\n\nuser u\n'), undefined);
    assert.equal(hostEntryProblem('Host mytoken\n\tHostName ::1\n'), undefined);
  });

  const bad: [string, string, number, RegExp][] = [
    ['ProxyCommand', `${SPEC}\tProxyCommand sh -c x\n`, 8, /ProxyCommand is not allowed/],
    ['LocalCommand', 'Host mytoken\nLocalCommand id\n', 2, /LocalCommand is not allowed/],
    ['PermitLocalCommand', 'Host mytoken\nPermitLocalCommand yes\n', 2, /not allowed/],
    ['Include', 'Include /x\nHost mytoken\n', 1, /Include is not allowed/],
    ['Match', 'Host mytoken\nMatch all\n', 2, /Match is not allowed/],
    ['IdentityFile', 'Host mytoken\nIdentityFile /etc/x\n', 2, /IdentityFile is not allowed/],
    ['a second Host', 'Host mytoken\nHost mytoken-b\n', 2, /Host is given twice/],
    ['Host *', 'Host *\n', 1, /Host must be one name/],
    ['Host github.com', 'Host github.com\n\tHostName evil\n', 1, /Host must be/],
    ['Host with two patterns', 'Host mytoken-a laptop\n', 1, /Host must be one name/],
    ['Host with a negation', 'Host mytoken !x\n', 1, /Host must be/],
    ['a key before Host', 'User root\nHost mytoken\n', 1, /before the Host line/],
    ['HostName twice', 'Host mytoken\nHostName a\nHostName b\n', 3, /HostName is given twice/],
    ['a % token', 'Host mytoken\nHostName %h.evil\n', 2, /HostName must be/],
    ['${} in User', 'Host mytoken\nUser ${USER}\n', 2, /User must be/],
    ['a quoted value', 'Host mytoken\nUser "a b"\n', 2, /User must be/],
    ['a HostName like an option', 'Host mytoken\nHostName -oProxyCommand=x\n', 2, /HostName must be/],
    ['a port with more words', 'Host mytoken\nPort 22 x\n', 2, /Port must be a port number/],
    ['port 0', 'Host mytoken\nPort 0\n', 2, /Port must be/],
    ['port 65536', 'Host mytoken\nPort 65536\n', 2, /Port must be/],
    ['an escape sequence', 'Host mytoken\n# \x1b]0;title\x07\n', 2, /control character/],
    ['a carriage return', 'Host mytoken\r\n', 1, /control character/],
    ['non-ASCII', 'Host mytoken\n# caf\u00e9 \u202e\n', 2, /not ASCII/],
    ['a key without a value', 'Host mytoken\nUser\n', 2, /not a "Key value" line/],
    ['no Host at all', '# only a comment\n', 0, /no Host line/],
    ['too long', `Host mytoken\n${'# x\n'.repeat(2000)}`, 0, /longer than 4096/],
  ];
  for (const [what, entry, line, why] of bad) {
    it(`refused: ${what} (line ${line})`, () => {
      const p = hostEntryProblem(entry);
      assert.ok(p, 'accepted');
      assert.equal(p.line, line);
      assert.match(p.why, why);
      assert.doesNotMatch(p.text, /[^\x20-\x7e]/, 'the line is shown with control characters escaped');
    });
  }

  it('showLine and showEntry make control characters visible and cut long lines', () => {
    assert.equal(showLine('\tUser u\x1b[2K'), '\\tUser u\\x1b[2K');
    assert.equal(showLine('a\u202eb'), 'a\\u{202e}b');
    assert.equal(showLine('x'.repeat(500)).length, 101);
    assert.equal(showEntry('Host mytoken\n\tPort 1\x07\n'), '  Host mytoken\n  \tPort 1\\x07\n');
  });
});
