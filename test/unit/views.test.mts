// Pure output and input helpers of the information and management commands.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Model, prettyJson, reindentVerbatim, typed } from '../../src/output/json.js';
import { colorsEnabled, Style } from '../../src/output/style.js';
import { displayWidth, headerText, renderTable } from '../../src/output/table.js';
import { capabilitiesListing, mytokensTable, providersListing, tagsTable } from '../../src/output/views.js';
import { normalizeColor } from '../../src/cli/options/color.js';
import { edited, commaNames } from '../../src/cli/options/lists.js';

describe('tables (cli.md 12.1)', () => {
  it('17.9/107 a grants table is drawn exactly as upstream draws it', () => {
    assert.equal(
      renderTable(['Grant Type', 'Status'], [['ssh', 'Enabled']]),
      '┌────────────┬─────────┐\n│ GRANT TYPE │ STATUS  │\n├────────────┼─────────┤\n│ ssh        │ Enabled │\n└────────────┴─────────┘\n',
    );
  });
  it('no rows: nothing at all', () => assert.equal(renderTable(['A'], []), ''));
  it('headers: words, upper case, and the spellings upstream shows', () => {
    const cases: [string, string][] = [
      ['User Agent', 'USER AGENT'],
      ['MOM-ID', 'MOM - ID'],
      ['Color (Hex)', 'COLOR  ( HEX )'],
      ['ICS Path', 'ICS PATH'],
      ['Subscribed Tokens', 'SUBSCRIBED TOKENS'],
      ['snake_case', 'SNAKE CASE'],
      ['SSH Key Fingerprint', 'SSH KEY FINGERPRINT'],
    ];
    for (const [input, want] of cases) assert.equal(headerText(input), want, input);
  });
  it('headers are centred (extra space on the right), cells left-aligned and trimmed', () => {
    const t = renderTable(['Name', 'Created'], [['  job  ', '2024-01-02 03:04:05']]).split('\n');
    assert.equal(t[1], '│ NAME │       CREATED       │');
    assert.equal(t[3], '│ job  │ 2024-01-02 03:04:05 │');
  });
  it('colour escapes do not count, wide characters count twice', () => {
    assert.equal(displayWidth('\x1b[3mabc\x1b[0m'), 3);
    assert.equal(displayWidth('日本'), 4);
    const t = renderTable(['A'], [['日本'], ['\x1b[3mx\x1b[0m']]).split('\n');
    assert.equal(displayWidth(t[3]!), displayWidth(t[4]!));
  });
  it('a cell with a line break takes two lines', () => {
    assert.equal(renderTable(['A', 'B'], [['x\ny', 'z']]).split('\n').length, 7);
  });
});

describe('colours (cli.md 12.3)', () => {
  it('CLICOLOR_FORCE wins over a pipe, --no-color over everything', () => {
    assert.equal(colorsEnabled({ CLICOLOR_FORCE: '1' }, false, false), true);
    assert.equal(colorsEnabled({ CLICOLOR_FORCE: '1' }, true, true), false);
    assert.equal(colorsEnabled({ NO_COLOR: '1' }, false, true), false);
    assert.equal(colorsEnabled({ CLICOLOR: '0' }, false, true), false);
    assert.equal(colorsEnabled({}, false, true), true);
    assert.equal(colorsEnabled({}, false, false), false);
  });
  it('tags in their colours, swatches, and [?] for a colour that is not RRGGBB', () => {
    const on = new Style(true);
    assert.equal(on.tag('ci', '#3357ff'), '\x1b[38;2;51;87;255mci\x1b[0m');
    assert.equal(on.tag('ci', 'blue'), 'ci');
    assert.equal(on.swatch('FF0000'), '\x1b[48;2;255;0;0m  \x1b[0m');
    assert.equal(on.swatch('red'), '[?]');
    assert.equal(new Style(false).swatch('FF0000'), '');
    assert.equal(on.italic('x'), '\x1b[3mx\x1b[0m');
  });
});

describe('list-mytokens table (cli.md 6.5)', () => {
  const forest = [
    { token: { mom_id: 'm1', name: 'job', created: 0, ip: '10.0.0.1' }, children: [{ token: { mom_id: 'm2', created: 0, expires_at: 1 } }] },
  ];
  it('unnamed and non-expiring tokens, the tree marker, the mom id column', () => {
    const t = mytokensTable(forest, true, new Style(false), 1000);
    assert.match(t, /│ MOM - ID │/);
    assert.match(t, /does not expire/);
    assert.match(t, /└─ unnamed token/);
  });
  it('expired rows are gray except IP and mom id', () => {
    const t = mytokensTable(forest, true, new Style(true), 1000);
    assert.match(t, /\x1b\[38;2;128;128;128m {2}└─ \x1b\[3munnamed token/);
  });
});

describe('listings', () => {
  it('17.8/102, 103 capabilities are aligned like tabwriter', () => {
    assert.equal(capabilitiesListing([{ read_write_capability: { name: 'AT', description: 'd' } }]), 'NAME  DESCRIPTION\n----  -----------\nAT    d\n');
    const text = capabilitiesListing([
      { read_write_capability: { name: 'settings', description: 's' }, read_only_capability: { name: 'x', description: 'r' }, children: [{ read_write_capability: { name: 'settings:email', description: 'e' } }] },
    ]);
    assert.deepEqual(text.split('\n').slice(2, 5), ['settings          s', 'read@settings     r', '  settings:email  e']);
  });
  it('17.8/104 providers with short names and the default, arrows aligned', () => {
    const text = providersListing('https://mt', [{ issuer: 'https://long.example.org' }, { issuer: 'https://a.org' }], { egi: 'https://long.example.org', a: 'https://a.org' }, 'egi');
    assert.equal(
      text,
      "The connected mytoken instance ('https://mt') supports the following providers:\nhttps://long.example.org -> egi (default)\nhttps://a.org            -> a\n",
    );
  });
  it('tags table: swatch, name, the colour as stored', () => {
    assert.match(tagsTable([{ tag: 'ci', color: '3357FF' }], new Style(false)), /│ COLOR BLOCK │ TAG │ COLOR  \( HEX \) │/);
  });
});

describe('JSON output (cli.md 12.2)', () => {
  it('verbatim: key order, number spelling and escapes are kept', () => {
    assert.equal(reindentVerbatim('{"b":1.50,"a":[],"c":{"x":"\\u00e9\\"}"},"d":[1,{}]}'), '{\n  "b": 1.50,\n  "a": [],\n  "c": {\n    "x": "\\u00e9\\"}"\n  },\n  "d": [\n    1,\n    {}\n  ]\n}\n');
  });
  it('typed: model order, omitempty, null for absent lists, unknown keys dropped or kept last', () => {
    const model: Model = ['a', 'b?', ['c', ['y', 'x']], 'd', 'e??'];
    const v = { z: 1, c: { x: 1, y: 2, w: 3 }, a: 'A', b: '', e: 0 };
    assert.deepEqual(Object.entries(typed(v, model)), [['a', 'A'], ['c', { y: 2, x: 1 }], ['d', null], ['e', 0]]);
    assert.deepEqual(Object.keys(typed(v, model, true)), ['a', 'c', 'd', 'e', 'z']);
  });
  it('<, > and & are escaped as upstream writes them', () => {
    assert.equal(prettyJson({ a: '<&>' }), '{\n  "a": "\\u003c\\u0026\\u003e"\n}\n');
  });
});

describe('input', () => {
  it('colours: names, #RRGGBB, #RGB; anything else is refused', () => {
    assert.equal(normalizeColor(' Red '), 'FF0000');
    assert.equal(normalizeColor('#abc'), 'AABBCC');
    assert.equal(normalizeColor('3357ff'), '3357FF');
    for (const bad of ['nonsense', 'zzz', '#12345', '']) assert.throws(() => normalizeColor(bad), /not a colour/);
  });
  it('edited lists keep the current order, drop removed ones, append new ones once', () => {
    assert.deepEqual(edited(['a', 'c'], ['b', 'c'], ['a']), ['c', 'b']);
    assert.deepEqual(edited([], ['x'], ['x']), []);
    assert.deepEqual(commaNames(' a, ,b ,'), ['a', 'b']);
  });
});

describe('which commands are built in full', () => {
  it('the first positional, and the topic after help; root flag values are skipped', async () => {
    const { commandWords } = await import('../../src/cli/program.js');
    assert.deepEqual([...commandWords(['config', '--url', 'x'])], ['config']);
    assert.deepEqual([...commandWords(['--config', 'AT', 'MT'])], ['MT']);
    assert.deepEqual([...commandWords(['-url', 'u', '--no-color', 'help', 'calendars', 'list'])], ['help', 'calendars']);
    assert.deepEqual([...commandWords(['--url=u', 'info'])], ['info']);
  });
});
