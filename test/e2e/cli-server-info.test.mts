// e2e: the server information commands config, capabilities, list providers and profiles against
// the scripted stub server (spec cli.md 6.9-6.12, 12.2, 17.8 statements 101-106, Appendix B.1),
// with the project's exit statuses and `mytoken: ` messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONFIG_PATH,
  type RecordedRequest,
  homeWithConfig,
  stubConfiguration,
  unsignedJwt,
  assertFailed,
  runAgainst,
  stubServerForFile,
} from './stub-server.mjs';

const PT = '/api/v0/pt';
const CAPS = '/api/v0/capabilities';

const stub = stubServerForFile();

const cli = (args: string[], opts?: Parameters<typeof runAgainst>[2]) => runAgainst(stub, args, opts);

/** Serves `doc` as the stub's configuration document (not cacheable). */
function serveConfiguration(doc: Record<string, unknown>): void {
  stub.on('GET', CONFIG_PATH, { status: 200, headers: { 'cache-control': 'no-store' }, body: doc });
}

/** Go's JSON encoder escapes <, > and & in strings. */
const goEscape = (json: string) => json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);

const paths = (got: RecordedRequest[]) => got.map((q) => `${q.method} ${q.path}`);

// ---- config ------------------------------------------------------------------------------------

describe('config', () => {
  it('17.8/101 config prints the configuration document re-indented: "{", then "  \\"issuer\\": ...", B.1 order', async () => {
    const r = await cli(['config']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], '{');
    assert.equal(lines[1], `  "issuer": "${stub.url}",`);
    // the stub's document has only B.1 keys, in B.1 order, and every non-optional list
    assert.equal(r.stdout, `${JSON.stringify(stubConfiguration(stub.url), null, 2)}\n`);
    assert.ok(paths(r.got).includes(`GET ${CONFIG_PATH}`));
  });

  it('6.9 config: B.1 order whatever the server order, absent lists as null, unknown keys last in server order, <>& escaped', async () => {
    const base = stub.url;
    serveConfiguration({
      token_endpoint: 'https://op.example.org/token',
      version: '0.10.1',
      jwks_uri: `${base}/jwks`,
      issuer: base,
      providers_supported: [
        { issuer: 'https://op.example.org', name: 'Example OP', scopes_supported: ['openid', 'profile'], oidfed: false },
        { scopes_supported: ['openid'], issuer: 'https://fed.example.org', oidfed: true },
      ],
      mytoken_endpoint: `${base}/api/v0/token/my`,
      access_token_endpoint: `${base}/api/v0/token/access`,
      revocation_endpoint: `${base}/api/v0/token/revoke`,
      tokeninfo_endpoint: `${base}/api/v0/tokeninfo`,
      usersettings_endpoint: `${base}/api/v0/settings`,
      profiles_endpoint: `${base}/api/v0/pt`,
      notifications_endpoint: `${base}/api/v0/notifications`,
      ssh_keys: [{ fingerprint: 'SHA256:abc', type: 'ssh-ed25519' }],
      token_signing_alg_value: 'ES512',
      tokeninfo_endpoint_actions_supported: ['introspect', 'event_history'],
      access_token_endpoint_grant_types_supported: ['mytoken'],
      mytoken_endpoint_grant_types_supported: ['oidc_flow', 'mytoken'],
      mytoken_endpoint_oidc_flows_supported: ['authorization_code'],
      response_types_supported: ['token'],
      service_documentation: 'https://docs.example.org/?a=1&b=<2>',
      x_extra: 42,
    });
    const expected = {
      issuer: base,
      access_token_endpoint: `${base}/api/v0/token/access`,
      mytoken_endpoint: `${base}/api/v0/token/my`,
      tokeninfo_endpoint: `${base}/api/v0/tokeninfo`,
      revocation_endpoint: `${base}/api/v0/token/revoke`,
      usersettings_endpoint: `${base}/api/v0/settings`,
      notifications_endpoint: `${base}/api/v0/notifications`,
      profiles_endpoint: `${base}/api/v0/pt`,
      jwks_uri: `${base}/jwks`,
      ssh_keys: [{ type: 'ssh-ed25519', fingerprint: 'SHA256:abc' }],
      providers_supported: [
        { issuer: 'https://op.example.org', name: 'Example OP', scopes_supported: ['openid', 'profile'] },
        { issuer: 'https://fed.example.org', scopes_supported: ['openid'], oidfed: true },
      ],
      token_signing_alg_value: 'ES512',
      tokeninfo_endpoint_actions_supported: ['introspect', 'event_history'],
      access_token_endpoint_grant_types_supported: ['mytoken'],
      mytoken_endpoint_grant_types_supported: ['oidc_flow', 'mytoken'],
      mytoken_endpoint_oidc_flows_supported: ['authorization_code'],
      response_types_supported: ['token'],
      service_documentation: 'https://docs.example.org/?a=1&b=<2>',
      restriction_claims_supported: null,
      version: '0.10.1',
      token_endpoint: 'https://op.example.org/token',
      x_extra: 42,
    };
    const r = await cli(['config']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, `${goEscape(JSON.stringify(expected, null, 2))}\n`);
    assert.ok(r.stdout.includes('\\u0026b=\\u003c2\\u003e'));
  });

  it('6.9 config does not read a mytoken: a JWT from another issuer in BEARER_TOKEN changes nothing', async () => {
    const r = await cli(['config'], { env: { BEARER_TOKEN: unsignedJwt({ iss: 'http://127.0.0.1:9/' }) } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[1], `  "issuer": "${stub.url}",`);
  });
});

// ---- capabilities ------------------------------------------------------------------------------

describe('capabilities', () => {
  it('17.8/102 capabilities sends GET <issuer>/api/v0/capabilities and prints the aligned listing', async () => {
    stub.on('GET', CAPS, { status: 200, body: [{ read_write_capability: { name: 'AT', description: 'd' } }] });
    const r = await cli(['capabilities']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'NAME  DESCRIPTION\n----  -----------\nAT    d\n');
    assert.equal(r.got.filter((q) => q.path === CAPS && q.method === 'GET').length, 1);
  });

  it('17.8/103 read_only_capability adds "read@<name>"; children are indented by two spaces per level', async () => {
    // an issuer with a trailing slash: no double slash in the capabilities URL
    serveConfiguration({ ...stubConfiguration(stub.url), issuer: `${stub.url}/` });
    stub.on('GET', CAPS, {
      status: 200,
      body: [
        { read_write_capability: { name: 'AT', description: 'get access tokens' } },
        {
          read_write_capability: { name: 'settings', description: 'all settings', capability_level: 2 },
          read_only_capability: { name: 'x', description: 'r', is_read_only: true },
          children: [
            {
              read_write_capability: { name: 'settings:grants', description: 'grants' },
              read_only_capability: { name: 'y', description: 'read grants' },
              children: [{ read_write_capability: { name: 'settings:grants:ssh', description: 'ssh keys' } }],
            },
          ],
        },
      ],
    });
    const r = await cli(['capabilities']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      'NAME                     DESCRIPTION\n' +
        '----                     -----------\n' +
        'AT                       get access tokens\n' +
        'settings                 all settings\n' +
        'read@settings            r\n' +
        '  settings:grants        grants\n' +
        '  read@settings:grants   read grants\n' +
        '    settings:grants:ssh  ssh keys\n',
    );
    assert.equal(r.got.filter((q) => q.path === CAPS).length, 1, paths(r.got).join(', '));
  });

  it('6.10 an error answer instead of a list: exit 1, nothing on stdout', async () => {
    stub.on('GET', CAPS, { status: 404, body: { error: 'not_found', error_description: CAPS } });
    const r = await cli(['capabilities']);
    assertFailed(r, 1, /capabilit/i);
  });
});

// ---- list providers ----------------------------------------------------------------------------

describe('list providers', () => {
  const EGI = 'https://aai.egi.eu/auth/realms/egi';
  const WLCG = 'https://wlcg.cloud.cnaf.infn.it/';
  const OTHER = 'https://op.example.org';
  const providersConfig = `default_provider: egi\nproviders:\n  egi: "${EGI}"\n  wlcg: "${WLCG}"\n`;

  it('17.8/104 list providers: the header line, "<issuer> -> egi (default)", aligned arrows, unmapped issuers bare', async () => {
    serveConfiguration({
      ...stubConfiguration(stub.url),
      providers_supported: [
        { issuer: EGI, name: 'EGI Check-in', scopes_supported: ['openid'] },
        { issuer: OTHER, scopes_supported: ['openid'] },
        { issuer: WLCG, name: 'WLCG IAM', scopes_supported: ['openid'] },
      ],
    });
    const expected =
      `The connected mytoken instance ('${stub.url}') supports the following providers:\n` +
      `${EGI} -> egi (default)\n` +
      `${OTHER}\n` +
      `${WLCG}   -> wlcg\n`;
    for (const cmd of ['providers', 'issuers']) {
      const r = await cli(['list', cmd], { home: homeWithConfig(stub.url, providersConfig) });
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      assert.equal(r.stderr, '', cmd);
      assert.equal(r.stdout, expected, cmd);
    }
  });

  it('6.11 the instance named in the first line is the --url value', async () => {
    const r = await cli(['list', 'providers', '--url', stub.url], { home: homeWithConfig('http://127.0.0.1:9') });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `The connected mytoken instance ('${stub.url}') supports the following providers:\n`);
  });
});

// ---- profiles ----------------------------------------------------------------------------------

const entries = (...names: string[]) => names.map((name, i) => ({ id: `id-${name}-${i}`, name, payload: { capabilities: ['AT'] } }));

describe('profiles', () => {
  it('17.8/105 profiles groups prints each group of GET <profiles_endpoint> on its own line', async () => {
    stub.on('GET', PT, { status: 200, body: ['_', 'wlcg'] });
    const r = await cli(['profiles', 'groups']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '_\nwlcg\n');
    assert.equal(r.stderr, '');
  });

  it('17.8/106 profiles list --groups g prints exactly "\\nGroup: g\\n----------\\n  p1\\n"; a failing group prints nothing', async () => {
    stub.on('GET', `${PT}/g/profiles`, { status: 200, body: entries('p1') });
    stub.on('GET', `${PT}/bad/profiles`, { status: 404, body: { error: 'not_found' } });
    stub.on('GET', `${PT}/empty/profiles`, { status: 200, body: null });
    const r = await cli(['profiles', 'list', '--groups', 'g']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\nGroup: g\n----------\n  p1\n');
    assert.equal(r.stderr, '');
    assert.ok(!r.got.some((q) => q.path === PT), 'fetched the group list although --groups was given');

    const b = await cli(['profiles', 'profiles', '--groups', 'bad,g', '--groups', 'empty']);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(b.stdout, '\nGroup: g\n----------\n  p1\n');
    assert.deepEqual(
      b.got.filter((q) => q.path.startsWith(`${PT}/`)).map((q) => q.path),
      [`${PT}/bad/profiles`, `${PT}/g/profiles`, `${PT}/empty/profiles`],
    );
  });

  it('6.12 without --groups all groups of GET <profiles_endpoint> are listed in server order', async () => {
    stub.on('GET', PT, { status: 200, body: ['zeta', '_', 'alpha'] });
    stub.on('GET', `${PT}/zeta/profiles`, { status: 200, body: entries('z1', 'z2') });
    stub.on('GET', `${PT}/_/profiles`, { status: 200, body: [] });
    stub.on('GET', `${PT}/alpha/profiles`, { status: 200, body: entries('a1') });
    const r = await cli(['profiles', 'list']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\nGroup: zeta\n----------\n  z1\n  z2\n\nGroup: alpha\n----------\n  a1\n');
  });

  it('6.12 capabilities, restrictions and rotation read <profiles_endpoint>/<group>/<type>', async () => {
    for (const type of ['capabilities', 'restrictions', 'rotation']) {
      stub.reset();
      stub.on('GET', `${PT}/g/${type}`, { status: 200, body: entries(`${type}-1`, `${type}-2`) });
      const r = await cli(['profiles', type, '--groups', 'g']);
      assert.equal(r.status, 0, `${type}: ${r.stderr}`);
      assert.equal(r.stdout, `\nGroup: g\n----------\n  ${type}-1\n  ${type}-2\n`, type);
      assert.deepEqual(
        r.got.filter((q) => q.path.startsWith(PT)).map((q) => `${q.method} ${q.path}`),
        [`GET ${PT}/g/${type}`],
        type,
      );
    }
  });

  it('6.12 group names are URL-escaped in paths (Q42 fixed)', async () => {
    stub.on('GET', `${PT}/a%20b/profiles`, { status: 200, body: entries('p') });
    const r = await cli(['profiles', 'list', '--groups', 'a b']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '\nGroup: a b\n----------\n  p\n');
    assert.deepEqual(
      r.got.filter((q) => q.path.startsWith(PT)).map((q) => q.path),
      [`${PT}/a%20b/profiles`],
    );
  });

  it('6.12 list-all (alias all): sections Profiles, Capabilities, Restrictions, Rotation; empty sections left out', async () => {
    stub.on('GET', `${PT}/g/profiles`, { status: 200, body: entries('agent') });
    stub.on('GET', `${PT}/g/capabilities`, { status: 404, body: { error: 'not_found' } });
    stub.on('GET', `${PT}/g/restrictions`, { status: 200, body: entries('1d', 'ip-this') });
    stub.on('GET', `${PT}/g/rotation`, { status: 200, body: [] });
    const expected =
      '\nProfiles:\n========\n\n  Group: g\n  ----------\n    - agent\n' +
      '\nRestrictions:\n============\n\n  Group: g\n  ----------\n    - 1d\n    - ip-this\n';
    for (const cmd of ['list-all', 'all']) {
      const r = await cli(['profiles', cmd, '--groups', 'g']);
      assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
      assert.equal(r.stderr, '', cmd);
      assert.equal(r.stdout, expected, cmd);
    }
  });

  it('6.12 list-all with two groups: groups in the order given (Q35 fixed: deterministic)', async () => {
    stub.on('GET', PT, { status: 200, body: ['zeta', 'alpha'] });
    for (const g of ['zeta', 'alpha']) stub.on('GET', `${PT}/${g}/profiles`, { status: 200, body: entries(`${g}-p`) });
    for (let i = 0; i < 3; i++) {
      const r = await cli(['profiles', 'list-all']);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.startsWith('\nProfiles:\n========\n\n  Group: zeta\n  ----------\n    - zeta-p\n'), r.stdout);
      assert.match(r.stdout, /- zeta-p\n\n?  Group: alpha\n  ----------\n    - alpha-p\n$/);
    }
  });

  it('6.12 a configuration without profiles_endpoint: exit 1 naming it, no request but the configuration document', async () => {
    const doc = stubConfiguration(stub.url);
    delete doc.profiles_endpoint;
    serveConfiguration(doc);
    for (const args of [
      ['profiles', 'groups'],
      ['profiles', 'list', '--groups', 'g'],
    ]) {
      const r = await cli(args);
      assertFailed(r, 1, /profile/i, args.join(' '));
      assert.deepEqual(
        r.got.filter((q) => q.path !== CONFIG_PATH).map((q) => `${q.method} ${q.path}`),
        [],
        args.join(' '),
      );
    }
  });

  it('6.12 profiles groups with a 500 answer: exit 4', async () => {
    stub.on('GET', PT, { status: 500, body: { error: 'internal_server_error' } });
    const r = await cli(['profiles', 'groups']);
    assertFailed(r, 4, /500|internal_server_error/);
  });
});
