// Runs `npm run build` only when the build is not current, for `npm run server` and `npm run demo`.
// Current means: every output the build makes exists, and none is older than any input. Inputs are
// the TypeScript sources tsc compiles (src/**/*.ts, test/**/*.ts|mts), tsconfig.json, package.json,
// package-lock.json and scripts/bundle.mjs; outputs are their compiled files under build/ and the
// bundles under dist/. tsc (not incremental) rewrites every output, so after a build every output is
// newer than the inputs it was made from; a source saved later, a failed bundle step (tsc emits,
// the bundle stays old) or a deleted output make the build stale again.
//
//   node scripts/build-if-stale.mjs            build when stale (build output goes to stderr)
//   node scripts/build-if-stale.mjs --check    exit 0 when current, 1 when stale (the reason on stderr)
//   --root DIR                                 another project folder (for tests)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const check = args.includes('--check');
const rootAt = args.indexOf('--root');
const root = rootAt >= 0 ? args[rootAt + 1] : new URL('..', import.meta.url).pathname;

/** Files below `dir` (relative to root) whose names match `re`; none when the folder is missing. */
function walk(dir, re) {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : walk(path, re);
    return re.test(e.name) ? [path] : [];
  });
}

const mtime = (path) => {
  try {
    return statSync(join(root, path)).mtimeMs;
  } catch {
    return undefined;
  }
};

const sources = [...walk('src', /\.ts$/), ...walk('test', /\.m?ts$/)].filter((f) => !f.endsWith('.d.ts'));
const inputs = [...sources, 'tsconfig.json', 'package.json', 'package-lock.json', 'scripts/bundle.mjs'];
// the bundles of scripts/bundle.mjs: the client and its lazily loaded packages
const outputs = [
  ...sources.map((f) => join('build', f.replace(/\.mts$/, '.mjs').replace(/\.ts$/, '.js'))),
  'dist/mytoken.cjs',
  ...['undici', 'yaml', 'uqr'].map((name) => `dist/vendor/${name}.cjs`),
];

function staleness() {
  let oldest;
  for (const f of outputs) {
    const t = mtime(f);
    if (t === undefined) return `${f} is missing`;
    if (!oldest || t < oldest.t) oldest = { f, t };
  }
  for (const f of inputs) {
    const t = mtime(f);
    if (t !== undefined && t > oldest.t) return `${f} is newer than ${oldest.f}`;
  }
  return undefined;
}

const why = staleness();
if (check) {
  if (why) process.stderr.write(`the build is not current: ${why}\n`);
  process.exit(why ? 1 : 0);
}
if (why) {
  process.stderr.write(`building (${why})\n`);
  // stdout of the build goes to stderr: `npm run --silent server` prints only its JSON line
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  process.exit(r.status ?? 1);
}
