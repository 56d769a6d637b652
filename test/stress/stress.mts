// `npm run stress`: the rotation lock and write-back under kill -9 and contention, against the
// local server with auto-revoking rotating mytokens (one old version presented again kills the
// whole family). Prints its counts and exits 1 when a family was lost to a double use of one
// version, or to a kill after the reply had reached the client.
//   A. lock holder killed: a run holds the lock, 8 more queue, the holder is killed with -9
//   B. random kills: one run killed at a random moment in its first 200 ms, then a normal run
//   C. parallel runs: 500 ATs in rounds of 2, 8 and 32 concurrent runs on one token file
// STRESS_TRIALS scales A and B (default 200), STRESS_PARALLEL the ATs per round size (default 500).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalServer } from '../server/index.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'mytoken');
const TRIALS = Number(process.env.STRESS_TRIALS ?? 200);
const PARALLEL = Number(process.env.STRESS_PARALLEL ?? 500);
/** every reply of the server waits this long: a request is in flight for a while */
const DELAY = 30;

const S = await startLocalServer({ interval: 1, replyDelayMs: DELAY });
const work = mkdtempSync(join(tmpdir(), 'mytoken-stress-'));
const home = join(work, 'home');
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: join(home, 'cache'), MYTOKEN_URL: S.url };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `mytoken AT --MT-file file [who]`: `who`, the comment, tells the server's records which run sent a request. */
function start(file: string, who?: string): { child: ChildProcess; done: Promise<{ status: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, 'AT', '--MT-file', file, ...(who ? [who] : [])], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ status: number | null; stderr: string }>((r) => child.on('close', (status) => r({ status, stderr })));
  return { child, done };
}

let fileNo = 0;
async function freshTokenFile(): Promise<string> {
  const res = await S.mint({ capabilities: ['AT'], rotation: { on_AT: true, auto_revoke: true } });
  const file = join(work, `mt${++fileNo}`);
  writeFileSync(file, res.mytoken as string, { mode: 0o600 });
  return file;
}

interface Sent {
  token: string;
  /** the comment of the run that sent it */
  who?: string;
  answered?: number;
}

/** The access-token requests since request number `from`: the version each sent, who sent it, when it was answered. */
function atRequests(from: number): Sent[] {
  return S.requests
    .slice(from)
    .filter((q) => q.path.endsWith('/token/access'))
    .map((q) => {
      const body = JSON.parse(q.body || '{}') as { mytoken: string; comment?: string };
      return { token: body.mytoken, who: body.comment, answered: q.answered };
    });
}

function duplicates(tokens: string[]): Map<string, number> {
  const count = new Map<string, number>();
  for (const t of tokens) count.set(t, (count.get(t) ?? 0) + 1);
  return new Map([...count].filter(([, n]) => n > 1));
}

/** The token file still holds a whole token (never truncated or mixed). */
function whole(file: string): boolean {
  return /^[\x21-\x7e]+$/.test(readFileSync(file, 'utf8'));
}

async function alive(file: string): Promise<boolean> {
  return (await start(file).done).status === 0;
}

/**
 * Why a family died: the first request that presented a version already presented before (with
 * auto-revoke, that one killed it), and who had presented it first: the killed run (its answer
 * was lost with it, before or after the server handed it over) or a run that lived (a double use).
 */
function cause(sent: Sent[], killedAt: number): { why: Cause; gapMs?: number } {
  const seen = new Map<string, Sent>();
  for (const s of sent) {
    const earlier = seen.get(s.token);
    if (!earlier) {
      seen.set(s.token, s);
      continue;
    }
    if (earlier.who !== KILLED) return { why: 'doubleUse' };
    if (earlier.answered !== undefined && earlier.answered < killedAt) return { why: 'afterReply', gapMs: killedAt - earlier.answered };
    return { why: 'inFlight' };
  }
  return { why: 'other' };
}

type Cause = 'doubleUse' | 'inFlight' | 'afterReply' | 'other';
const KILLED = 'killed-run';

const lockCounts = () => ({ trials: 0, lost: 0, doubleUse: 0, inFlight: 0, afterReply: 0, other: 0, broken: 0, gapsMs: [] as number[] });
const counts = {
  /** A, the holder a process that only holds the lock (as `sleep 30 & echo $! > .F.lock`) */
  fakeHolder: lockCounts(),
  /** A, the holder a real run of the client */
  realHolder: lockCounts(),
  B: lockCounts(),
  C: [] as { size: number; runs: number; failed: number; doubleUse: number; lost: boolean }[],
};

async function lockHolderKilled(real: boolean): Promise<void> {
  const file = await freshTokenFile();
  const lock = join(work, `.${file.split('/').pop()}.lock`);
  const from = S.requests.length;
  let holder: { child: ChildProcess; done: Promise<unknown> };
  if (real) {
    holder = start(file, KILLED);
    for (let i = 0; i < 1500 && !existsSync(lock); i++) await sleep(2);
  } else {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    holder = { child, done: new Promise((r) => child.on('close', r)) };
    writeFileSync(lock, `${child.pid}\n`);
  }
  const waiters = Array.from({ length: 8 }, () => start(file));
  await sleep(real ? Math.random() * DELAY * 3 : 300 + Math.random() * 300);
  const killedAt = Date.now();
  holder.child.kill('SIGKILL');
  await Promise.all([holder.done, ...waiters.map((w) => w.done)]);
  const c = real ? counts.realHolder : counts.fakeHolder;
  c.trials++;
  if (!whole(file)) c.broken++;
  if (await alive(file)) return;
  c.lost++;
  tally(c, cause(atRequests(from), killedAt));
}

function tally(c: ReturnType<typeof lockCounts>, found: { why: Cause; gapMs?: number }): void {
  c[found.why]++;
  if (found.gapMs !== undefined) c.gapsMs.push(found.gapMs);
}

async function randomKill(file: string): Promise<string> {
  const from = S.requests.length;
  const run = start(file, KILLED);
  await sleep(Math.random() * 200);
  const killedAt = Date.now();
  run.child.kill('SIGKILL');
  await run.done;
  const c = counts.B;
  c.trials++;
  if (!whole(file)) c.broken++;
  if (await alive(file)) return file;
  c.lost++;
  tally(c, cause(atRequests(from), killedAt));
  return freshTokenFile();
}

async function parallelRounds(size: number): Promise<void> {
  const file = await freshTokenFile();
  const from = S.requests.length;
  let runs = 0;
  let failed = 0;
  while (runs < PARALLEL) {
    const round = Array.from({ length: Math.min(size, PARALLEL - runs) }, () => start(file));
    runs += round.length;
    for (const r of await Promise.all(round.map((x) => x.done))) if (r.status !== 0) failed++;
  }
  const doubleUse = duplicates(atRequests(from).map((s) => s.token)).size;
  counts.C.push({ size, runs, failed, doubleUse, lost: !(await alive(file)) });
}

try {
  const t0 = Date.now();
  for (let i = 0; i < TRIALS; i++) await lockHolderKilled(i % 2 === 1);
  let file = await freshTokenFile();
  for (let i = 0; i < TRIALS; i++) file = await randomKill(file);
  for (const size of [2, 8, 32]) await parallelRounds(size);
  const b = counts.B;
  const line = (label: string, c: ReturnType<typeof lockCounts>) =>
    `${label}: ${c.trials} trials, ${c.lost} families lost: ${c.doubleUse} to a double use of one version by runs that lived, ` +
    `${c.inFlight} with the killed run's reply not yet sent by the server, ${c.afterReply} with it sent but not yet stored by the client` +
    `${c.gapsMs.length ? ` (killed ${c.gapsMs.sort((x, y) => x - y).join(', ')} ms after the server sent it)` : ''}, ` +
    `${c.other} otherwise; ${c.broken} token files not whole\n`;
  process.stdout.write(
    line('A. lock held by a bare process, killed with -9 while 8 runs wait', counts.fakeHolder) +
      line('A. lock held by a run of the client, killed with -9 while 8 runs wait', counts.realHolder) +
      line('B. random kill -9 in the first 200 ms of an AT', b) +
      counts.C.map((c) => `C. ${c.runs} ATs in rounds of ${c.size}: ${c.failed} failed, ${c.doubleUse} versions sent twice, family ${c.lost ? 'LOST' : 'alive'}\n`).join('') +
      `(${Math.round((Date.now() - t0) / 1000)} s; server replies delayed ${DELAY} ms)\n`,
  );
  const all = [counts.fakeHolder, counts.realHolder, b];
  const bad =
    all.reduce((n, c) => n + c.doubleUse + c.other + c.broken, 0) + counts.fakeHolder.lost +
    counts.C.reduce((n, c) => n + c.doubleUse + c.failed + (c.lost ? 1 : 0), 0);
  process.exitCode = bad > 0 ? 1 : 0;
} finally {
  await S.close();
  rmSync(work, { recursive: true, force: true });
}
