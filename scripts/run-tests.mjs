// Runs every compiled test file with node:test: unit tests, the server API tests (the local
// server's HTTP interface) and the e2e tests of the command-line client.
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const dirs = ['unit', 'server-api', 'e2e'];
const files = dirs.flatMap((d) => {
  try {
    return readdirSync(join('build/test', d))
      .filter((f) => f.endsWith('.test.mjs'))
      // a compiled file whose source is gone (moved or deleted) is a leftover of an older build
      .filter((f) => existsSync(join('test', d, f.replace(/\.mjs$/, '.mts'))))
      .sort()
      .map((f) => join('build/test', d, f));
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
// Three files at a time on two cores: most of a command-line test's time is waiting (for the
// client's polls, timeouts and locks, for spawned processes), not computing. Measured on two
// shared cores: the eight slowest e2e files took 58 s and 56 s with 2, 44 s and 44 s with 3
// (36 s with 4, which keeps both cores busy on the server API files and leaves less room for the
// tests that bound a wait).
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=3', '--test-timeout=120000', ...selected], { stdio: 'inherit' });
process.exit(r.status ?? 1);
