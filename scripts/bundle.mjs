// Bundles the client into dist/mytoken.cjs, which bin/mytoken loads. The heavy packages that only
// some runs need (undici behind a proxy, yaml with a config file, uqr for a login's QR code) go
// into bundles of their own under dist/vendor/, loaded on first use, so that start-up does not
// pay for parsing them.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const lazy = ['undici', 'yaml', 'uqr'];
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', legalComments: 'none', logLevel: 'warning' };

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/main.ts'],
    outfile: 'dist/mytoken.cjs',
    define: { __MYTOKEN_VERSION__: JSON.stringify(pkg.version) },
    plugins: [
      {
        name: 'lazy-vendor',
        setup(b) {
          b.onResolve({ filter: new RegExp(`^(${lazy.join('|')})$`) }, (args) => ({ path: `./vendor/${args.path}.cjs`, external: true }));
        },
      },
    ],
  }),
  ...lazy.map((name) => build({ ...common, entryPoints: [name], outfile: `dist/vendor/${name}.cjs` })),
]);
