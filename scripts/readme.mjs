// `npm run readme`: rewrites the flag tables of README.md (the sections between
// `<!-- flags: NAME -->` and `<!-- /flags -->`) from the commands' flag tables, using the built
// client in build/ (npm run readme builds it first when it is stale).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { buildProgram } = await import(join(root, 'build', 'src', 'cli', 'program.js'));
const { rewriteReadme } = await import(join(root, 'build', 'src', 'cli', 'reference.js'));

const file = join(root, 'README.md');
const before = readFileSync(file, 'utf8');
const after = rewriteReadme(
  before,
  buildProgram(() => {
    throw new Error('no command runs here');
  }),
);
if (after === before) {
  console.log('README.md: flag tables are up to date');
} else {
  writeFileSync(file, after);
  console.log('README.md: flag tables rewritten');
}
