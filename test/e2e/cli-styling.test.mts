// e2e: output styling (spec cli.md 12.1 tables, 12.3 colours, 12.4 times, 17.11 statements
// 130-132) through the table-printing commands, against the scripted stub server. Tables are
// box-drawn also when stdout is not a terminal; colours only with a terminal or CLICOLOR_FORCE=1,
// never with NO_COLOR, CLICOLOR=0 or --no-color.
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { type RunResult, baseEnv, cliCommand, run } from './helpers.mjs';
import {
  type RecordedRequest,
  boxTable,
  displayWidth,
  homeWithConfig,
  settingsMetadata,
  since,
  stripAnsi,
  stubServerForFile,
  OPAQUE_MT,
} from './stub-server.mjs';

const SETTINGS = '/api/v0/settings';
const TAGS = '/api/v0/settings/tags';
const TOKENINFO = '/api/v0/tokeninfo';
const NOTIF = '/api/v0/notifications';
const CAL = '/api/v0/notifications/calendars';
const MT = OPAQUE_MT;

const ESC = '\x1b';
const italic = (s: string) => `${ESC}[3m${s}${ESC}[0m`;
const gray = (s: string) => `${ESC}[38;2;128;128;128m${s}${ESC}[0m`;
const rgb = (r: number, g: number, b: number, s: string) => `${ESC}[38;2;${r};${g};${b}m${s}${ESC}[0m`;
const swatch = (r: number, g: number, b: number) => `${ESC}[48;2;${r};${g};${b}m  ${ESC}[0m`;

const stub = stubServerForFile();

/** Every table command of this file gets a scripted answer. */
function scriptAnswers(): void {
  stub.on('GET', SETTINGS, { status: 200, body: settingsMetadata(stub.url) });
  stub.on('POST', TOKENINFO, (req) => {
    const action = (JSON.parse(req.body) as { action?: string }).action;
    if (action === 'event_history') return { status: 200, body: { events: EVENTS } };
    if (action === 'list_mytokens') return { status: 200, body: FOREST };
    if (action === 'notifications') return { status: 200, body: { notifications: NOTIFICATIONS, calendars: calendars() } };
    return { status: 400, body: { error: 'invalid_request', error_description: `unexpected action ${action}` } };
  });
  stub.on('GET', TAGS, { status: 200, body: { tags: TAGS_LIST } });
  stub.on('GET', CAL, { status: 200, body: { calendars: calendars() } });
  stub.on('GET', NOTIF, { status: 200, body: { notifications: NOTIFICATIONS } });
}

beforeEach(scriptAnswers);

type Result = RunResult & { got: RecordedRequest[] };

async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  const n = stub.requests.length;
  const r = await run(args, { home: homeWithConfig(stub.url), env: { TZ: 'UTC', ...env } });
  return { ...r, got: since(stub.requests, n) };
}

// ---- scripted data -------------------------------------------------------------------------------

const EVENTS = [
  { event: 'AT_created', time: 1767141000, comment: 'Used grant_type mytoken', ip: '192.0.2.10', user_agent: 'mytoken client 0.7.1' },
  { event: 'created', time: 1767139200, ip: '192.0.2.10' },
];
const FOREST = {
  mytokens: [
    {
      token: { mom_id: 'm1', name: 'job', created: 1767139200, expires_at: 4102444800, tags: [{ tag: 'CI', color: '#3357ff', include_children: false }], ip: '192.0.2.10' },
      children: [{ token: { mom_id: 'm2', name: '', created: 1767141000, ip: '192.0.2.11' } }],
    },
  ],
};
const EXPIRED = { mytokens: [{ token: { mom_id: 'm3', name: 'old', created: 1700000000, expires_at: 1700003600, ip: '192.0.2.12' } }] };
const TAGS_LIST = [
  { tag: 'CI', color: '#3357ff' },
  { tag: 'odd', color: 'blue' },
  { tag: 'half', color: '#zz8000' },
];
const NOTIFICATIONS = [
  {
    notification_id: 1,
    notification_type: 'mail',
    management_code: 'M1',
    user_wide: false,
    notification_classes: ['AT_creations'],
    subscribed_tokens: ['a'],
    tags: [{ tag: 'CI', color: '#3357ff' }],
  },
];
const calendars = () => [
  {
    id: 'C1',
    ics_path: `${stub.url}/calendars/C1`,
    description: '  日本語 calendar  ',
    tags: [
      { tag: 'x', color: '#zz8000' },
      { tag: 'y', color: 'blue' },
      { tag: 'z', color: 'FF0000' },
    ],
    subscribed_tokens: ['a', 'b', 'c'],
  },
];

/** Each table command and how to run it. */
const TABLE_COMMANDS: string[][] = [
  ['info', 'history', '--MT', MT],
  ['info', 'list-mytokens', '--MT', MT],
  ['info', 'list-mytokens', '--include-mom-id', '--MT', MT],
  ['settings', 'tags', 'list', '--MT', MT],
  ['calendars', 'list', '--MT', MT],
  ['notifications', 'list', '--MT', MT],
  ['info', 'notifications', '--MT', MT],
];

// ---- structure checks ------------------------------------------------------------------------------

/**
 * 17.11/132: `text` consists of box-drawn tables (and, for info notifications, title lines and empty
 * lines between them): light box characters only, one space of padding, upper-case centred headers,
 * left-aligned data, every line of a table as wide as its borders. Returns the number of tables.
 */
function assertBoxTables(text: string, label: string): number {
  assert.ok(text.endsWith('\n'), `${label}: no final newline`);
  const lines = stripAnsi(text).slice(0, -1).split('\n');
  let tables = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('┌')) {
      assert.ok(!/[┌┬┐├┼┤└┴┘│─]/.test(lines[i]!), `${label}: stray box character outside a table: ${lines[i]}`);
      continue;
    }
    tables++;
    const top = lines[i]!;
    assert.match(top, /^┌─+(┬─+)*┐$/, `${label}: top border`);
    const widths = top.slice(1, -1).split('┬').map((s) => s.length);
    const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w)).join(m)}${r}`;
    assert.equal(lines[i + 2], rule('├', '┼', '┤'), `${label}: header separator`);
    let end = i + 3;
    while (end < lines.length && lines[end]!.startsWith('│')) end++;
    assert.equal(lines[end], rule('└', '┴', '┘'), `${label}: bottom border`);
    assert.ok(end > i + 3, `${label}: a table without data rows`);
    const cellsOf = (line: string) => {
      assert.ok(line.startsWith('│') && line.endsWith('│'), `${label}: row borders: ${line}`);
      const cells = line.slice(1, -1).split('│');
      assert.equal(cells.length, widths.length, `${label}: column count: ${line}`);
      cells.forEach((c, k) => {
        assert.equal(displayWidth(c), widths[k], `${label}: cell width in ${line}`);
        assert.ok(c.startsWith(' ') && c.endsWith(' '), `${label}: padding in ${line}`);
      });
      return cells;
    };
    for (const c of cellsOf(lines[i + 1]!)) {
      const text = c.trim();
      assert.ok(text.length > 0, `${label}: empty header`);
      assert.equal(text, text.toUpperCase(), `${label}: header not upper-case: ${text}`);
      const left = c.length - c.trimStart().length;
      const right = c.length - c.trimEnd().length;
      assert.ok(right - left === 0 || right - left === 1, `${label}: header not centred: "${c}"`);
    }
    for (let k = i + 3; k < end; k++) {
      for (const c of cellsOf(lines[k]!)) {
        if (c.trim() !== '') assert.ok(!c.startsWith('  '), `${label}: data not left-aligned: "${c}"`);
      }
    }
    i = end;
  }
  return tables;
}

// ---- tests -------------------------------------------------------------------------------------

describe('tables (12.1)', () => {
  it('12.1 the boxTable helper reproduces the byte-exact table of statement 17.9/107', () => {
    assert.equal(
      boxTable(['GRANT TYPE', 'STATUS'], [['ssh', 'Enabled']]),
      '┌────────────┬─────────┐\n│ GRANT TYPE │ STATUS  │\n├────────────┼─────────┤\n│ ssh        │ Enabled │\n└────────────┴─────────┘\n',
    );
  });

  it('17.11/132 every table (history, list-mytokens, tags, calendars, notifications) is box-drawn, padded, centred headers, left-aligned data, also without a terminal', async () => {
    for (const args of TABLE_COMMANDS) {
      const label = args.slice(0, -2).join(' ');
      for (const env of [{}, { CLICOLOR_FORCE: '1' }]) {
        const r = await cli(args, env);
        assert.equal(r.status, 0, `${label} ${JSON.stringify(env)}: ${r.stderr}`);
        const tables = assertBoxTables(r.stdout, `${label} ${JSON.stringify(env)}`);
        assert.equal(tables, label === 'info notifications' ? 2 : 1, label);
      }
    }
  });

  it('12.1 widths ignore escape sequences, count wide characters twice; cells are trimmed (calendars, CLICOLOR_FORCE=1)', async () => {
    const r = await cli(['calendars', 'list', '--MT', MT], { CLICOLOR_FORCE: '1' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      boxTable(
        ['ID', 'DESCRIPTION', 'TAGS', 'ICS PATH', 'SUBSCRIBED TOKENS'],
        [['C1', '日本語 calendar', `${rgb(0, 128, 0, 'x')}, y, ${rgb(255, 0, 0, 'z')}`, `${stub.url}/calendars/C1`, '3']],
      ),
    );
  });

  it('12.4 times are local: TZ=Asia/Tokyo shows the history times nine hours later than TZ=UTC', async () => {
    const utc = await cli(['info', 'history', '--MT', MT], { TZ: 'UTC' });
    const tokyo = await cli(['info', 'history', '--MT', MT], { TZ: 'Asia/Tokyo' });
    assert.equal(utc.status, 0, utc.stderr);
    assert.equal(tokyo.status, 0, tokyo.stderr);
    assert.ok(utc.stdout.includes('│ 2025-12-31 00:30:00 │'), utc.stdout);
    assert.ok(tokyo.stdout.includes('│ 2025-12-31 09:30:00 │'), tokyo.stdout);
    assert.ok(tokyo.stdout.includes('│ 2025-12-31 09:00:00 │'), tokyo.stdout);
    assert.equal(tokyo.stdout.replace(/09:(\d\d):00/g, '00:$1:00'), utc.stdout);
  });
});

describe('colours (12.3)', () => {
  it('17.11/130 NO_COLOR=1, CLICOLOR=0, --no-color, and --no-color with CLICOLOR_FORCE=1: no ESC byte in any output', async () => {
    const variants: [string[], Record<string, string>][] = [
      [[], { NO_COLOR: '1' }],
      [[], { CLICOLOR: '0' }],
      [['--no-color'], {}],
      [['--no-color'], { CLICOLOR_FORCE: '1' }],
    ];
    for (const args of TABLE_COMMANDS) {
      for (const [flags, env] of variants) {
        const label = `${args.join(' ')} ${flags.join(' ')} ${JSON.stringify(env)}`;
        const r = await cli([...args, ...flags], env);
        assert.equal(r.status, 0, `${label}: ${r.stderr}`);
        assert.ok(r.stdout.length > 0, label);
        assert.ok(!r.stdout.includes(ESC) && !r.stderr.includes(ESC), `${label}: ESC in the output`);
      }
    }
  });

  it('17.11/131 CLICOLOR_FORCE=1 without a terminal: list-mytokens italic "unnamed token", "does not expire", tags in their colour', async () => {
    const r = await cli(['info', 'list-mytokens', '--MT', MT], { CLICOLOR_FORCE: '1' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes('\x1b[3munnamed token\x1b[0m'), JSON.stringify(r.stdout));
    assert.equal(
      r.stdout,
      boxTable(
        ['NAME', 'CREATED', 'EXPIRES', 'TAGS', 'IP'],
        [
          ['job', '2025-12-31 00:00:00', '2100-01-01 00:00:00', rgb(51, 87, 255, 'CI'), '192.0.2.10'],
          [`└─ ${italic('unnamed token')}`, '2025-12-31 00:30:00', italic('does not expire'), '', '192.0.2.11'],
        ],
      ),
    );
  });

  it('12.3 CLICOLOR_FORCE=1: an expired token has its name, created and expires cells in gray, not its IP', async () => {
    stub.on('POST', TOKENINFO, { status: 200, body: EXPIRED });
    const r = await cli(['info', 'list-mytokens', '--include-mom-id', '--MT', MT], { CLICOLOR_FORCE: '1' });
    assert.equal(r.status, 0, r.stderr);
    const row = r.stdout.split('\n')[3]!;
    assert.ok(row.includes(gray('old')), JSON.stringify(row));
    assert.ok(row.includes(gray('2023-11-14 22:13:20')), JSON.stringify(row));
    assert.ok(row.includes(gray('2023-11-14 23:13:20')), JSON.stringify(row));
    assert.match(row, /^│ m3 +│/, 'the MOM-ID cell is plain');
    assert.match(row, /│ 192\.0\.2\.12 +│$/, 'the IP cell is plain');
    const plain = await cli(['info', 'list-mytokens', '--include-mom-id', '--MT', MT]);
    assert.equal(stripAnsi(r.stdout), plain.stdout);
    assert.ok(!plain.stdout.includes(ESC));
  });

  it('12.3 CLICOLOR_FORCE=1: settings tags list shows colour swatches; a colour that is not 6 hex digits long gives "[?]"', async () => {
    const r = await cli(['settings', 'tags', 'list', '--MT', MT], { CLICOLOR_FORCE: '1' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout,
      boxTable(
        ['COLOR BLOCK', 'TAG', 'COLOR  ( HEX )'],
        [
          [swatch(51, 87, 255), 'CI', '#3357ff'],
          ['[?]', 'odd', 'blue'],
          [swatch(0, 128, 0), 'half', '#zz8000'],
        ],
      ),
    );
    const plain = await cli(['settings', 'tags', 'list', '--MT', MT]);
    assert.equal(plain.stdout, boxTable(['COLOR BLOCK', 'TAG', 'COLOR  ( HEX )'], [['', 'CI', '#3357ff'], ['', 'odd', 'blue'], ['', 'half', '#zz8000']]));
  });

  it('12.3 with stdout a terminal colours are on; NO_COLOR=1, CLICOLOR=0 and --no-color turn them off', async (t) => {
    if (spawnSync('script', ['--version']).status !== 0) {
      t.skip('util-linux script is not available for a pseudo-terminal');
      return;
    }
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const inTerminal = (args: string[], env: Record<string, string>): Promise<{ status: number | null; out: string }> => {
      const home = homeWithConfig(stub.url);
      const [program, programArgs] = cliCommand(args);
      const command = [program, ...programArgs].map(quote).join(' ');
      const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: home, env: baseEnv(home, { TZ: 'UTC', ...env }), stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin.end('');
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      return new Promise((resolve) => child.on('close', (status) => resolve({ status, out: out.replace(/\r\n/g, '\n') })));
    };
    const args = ['info', 'list-mytokens', '--MT', MT];
    const on = await inTerminal(args, {});
    assert.equal(on.status, 0, on.out);
    assert.ok(on.out.includes(italic('unnamed token')), JSON.stringify(on.out));
    assert.ok(on.out.includes(rgb(51, 87, 255, 'CI')), JSON.stringify(on.out));
    for (const [flags, env] of [
      [[], { NO_COLOR: '1' }],
      [[], { CLICOLOR: '0' }],
      [['--no-color'], {}],
    ] as [string[], Record<string, string>][]) {
      const off = await inTerminal([...args, ...flags], env);
      assert.equal(off.status, 0, off.out);
      assert.ok(off.out.includes('unnamed token'), off.out);
      assert.ok(!off.out.includes(ESC), `${flags.join(' ')} ${JSON.stringify(env)}: ESC in ${JSON.stringify(off.out)}`);
    }
  });
});
