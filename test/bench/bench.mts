// `npm run bench`: start-up and request cost of the client, as ratios against `node -e 0` and
// against one curl request to the same local server, measured side by side in one run.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalServer } from '../server/index.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'mytoken');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

// Asynchronous on purpose: the local server runs in this process and must keep answering.
function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (status !== 0) reject(new Error(`${cmd} ${args.join(' ')} failed (${status}): ${stderr}`));
      else resolvePromise(ms);
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main() {
  const server = await startLocalServer({});
  const home = mkdtempSync(join(tmpdir(), 'mytoken-bench-'));
  try {
    mkdirSync(join(home, '.config', 'mytoken'), { recursive: true });
    writeFileSync(join(home, '.config', 'mytoken', 'config.yaml'), `instance: "${server.url}"\n`);
    const minted = await server.mint({ capabilities: ['AT'] });
    const file = join(home, 'mt.txt');
    writeFileSync(file, `${minted.mytoken}\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home };
    if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
    const atBody = JSON.stringify({ grant_type: 'mytoken', mytoken: minted.mytoken });
    const cases: [string, string, string[]][] = [
      ['node -e 0', process.execPath, ['-e', '0']],
      ['curl: one AT request', 'curl', ['-sf', '-o', '/dev/null', '-H', 'content-type: application/json', '-d', atBody, `${server.url}/api/v0/token/access`]],
      ['mytoken --version', process.execPath, [BIN, '--version']],
      ['mytoken AT --help', process.execPath, [BIN, 'AT', '--help']],
      ['mytoken AT --MT-file (warm cache)', process.execPath, [BIN, 'AT', '--MT-file', file]],
    ];
    // warm up: fills the discovery cache and the OS file cache
    for (const [, cmd, args] of cases) await time(cmd, args, env);
    const samples = new Map<string, number[]>(cases.map(([n]) => [n, []]));
    for (let i = 0; i < RUNS; i++) for (const [n, cmd, args] of cases) samples.get(n)!.push(await time(cmd, args, env));
    const base = median(samples.get('node -e 0')!);
    const curl = median(samples.get('curl: one AT request')!);
    const atPosts = server.requests.filter((r) => r.path.startsWith('/api/v0/token/access')).length;
    process.stdout.write(
      `mytoken bench: ${RUNS} runs each, interleaved, medians; Node ${process.version}; NODE_EXTRA_CA_CERTS ${env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'}\n\n`,
    );
    process.stdout.write(`${'case'.padEnd(36)} ${'ms'.padStart(8)} ${'x node -e 0'.padStart(12)} ${'x curl AT'.padStart(10)}\n`);
    for (const [n] of cases) {
      const m = median(samples.get(n)!);
      process.stdout.write(`${n.padEnd(36)} ${m.toFixed(1).padStart(8)} ${(m / base).toFixed(2).padStart(12)} ${(m / curl).toFixed(2).padStart(10)}\n`);
    }
    const discovery = server.requests.filter((r) => r.path.startsWith('/.well-known/')).length;
    process.stdout.write(`\nconfiguration documents fetched: ${discovery} for ${atPosts} access-token requests (warm runs make one request each)\n`);
  } finally {
    rmSync(home, { recursive: true, force: true });
    await server.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
