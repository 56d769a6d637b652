// Runs every compiled unit and e2e test file with node:test.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const dirs = ['build/test/unit', 'build/test/e2e'];
const files = dirs.flatMap((d) => {
  try {
    return readdirSync(d).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join(d, f));
  } catch {
    return [];
  }
});
const extra = process.argv.slice(2);
const selected = extra.length ? files.filter((f) => extra.some((e) => f.includes(e))) : files;
if (selected.length === 0) {
  console.error(`no test file matches ${extra.join(' ')}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...selected], { stdio: 'inherit' });
process.exit(r.status ?? 1);
