// Shared helpers for end-to-end tests: run the built bin/mytoken (or the single binary, see
// BINARY) with a fresh HOME.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const BIN = join(ROOT, 'bin', 'mytoken');

/** The single binary under test: MYTOKEN_TEST_BINARY=1 selects dist/mytoken, another value names one. */
export const BINARY = process.env.MYTOKEN_TEST_BINARY
  ? process.env.MYTOKEN_TEST_BINARY === '1'
    ? join(ROOT, 'dist', 'mytoken')
    : resolve(process.env.MYTOKEN_TEST_BINARY)
  : undefined;

/** The program and arguments that run the client under test: bin/mytoken on this Node, or the binary. */
export function cliCommand(args: string[]): [string, string[]] {
  return BINARY ? [BINARY, args] : [process.execPath, [BIN, ...args]];
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  home?: string;
  /** added to (or, with undefined values, removed from) the base environment */
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

/** A fresh temporary HOME with an XDG_RUNTIME_DIR folder inside it. */
export function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'mytoken-e2e-'));
  mkdirSync(join(home, 'run'), { mode: 0o700 });
  return home;
}

/** Writes $HOME/.config/mytoken/config.yaml and returns its path. */
export function writeConfig(home: string, yaml: string): string {
  const dir = join(home, '.config', 'mytoken');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** The environment a test runs the CLI in: nothing of the developer's mytoken setup leaks in. */
export function baseEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'LANG', 'TZ', 'NODE_EXTRA_CA_CERTS', 'SYSTEMROOT']) if (process.env[k] !== undefined) env[k] = process.env[k];
  env.HOME = home;
  env.XDG_RUNTIME_DIR = join(home, 'run');
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts bin/mytoken without waiting for it (for flows a test has to take part in). */
export function spawnCli(args: string[], opts: RunOptions = {}): ChildProcess {
  const home = opts.home ?? tempHome();
  const child = spawn(...cliCommand(args), {
    cwd: opts.cwd ?? home,
    env: baseEnv(home, opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.end(opts.input ?? '');
  return child;
}

/** Collects a child's output until it exits. */
export function finished(child: ChildProcess, timeoutMs = 30_000): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolvePromise, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mytoken did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(t);
      resolvePromise({ status, signal, stdout, stderr });
    });
  });
}

/** A finished run for an assertion message: its status, stdout and stderr. */
/** Resolves when a file whose name passes `match` appears in `dir` (even for a moment). */
export function fileAppears(dir: string, match: (name: string) => boolean, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(dir, (_event, name) => {
      if (name && match(name)) done();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`no file like that appeared in ${dir} within ${timeoutMs} ms`));
    }, timeoutMs);
    function done() {
      clearTimeout(timer);
      watcher.close();
      resolve();
    }
  });
}

export function show(r: RunResult): string {
  return `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

/** The run succeeded (exit 0) and said nothing on stderr. */
export function ok(r: RunResult, label: string): RunResult {
  assert.equal(r.status, 0, `${label}: ${show(r)}`);
  assert.equal(r.stderr, '', `${label}: stderr`);
  return r;
}

/** Runs bin/mytoken to the end. */
export function run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return finished(spawnCli(args, opts), opts.timeoutMs);
}

/** Resolves with the first URL of the login the CLI prints on stderr. */
export function consentUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let buf = '';
    const onData = (d: Buffer | string) => {
      buf += d.toString();
      const m = /(https?:\/\/\S+\/c\/\S+)/.exec(buf);
      if (m) {
        child.stderr!.off('data', onData);
        resolvePromise(m[1]!);
      }
    };
    child.stderr!.on('data', onData);
    child.on('close', () => reject(new Error(`mytoken exited before printing a login URL:\n${buf}`)));
  });
}

export interface Started {
  child: ChildProcess;
  done: Promise<RunResult>;
  url: string;
  /** stdout collected up to the moment the URL appeared */
  stdoutAtUrl: string;
}

/** Starts `mytoken args` and waits until it shows the login URL. */
export async function startLogin(args: string[], opts: RunOptions & { home: string }, timeoutMs = 20_000): Promise<Started> {
  const child = spawnCli(args, opts);
  const done = finished(child, timeoutMs);
  let stdoutSoFar = '';
  child.stdout!.on('data', (d: string | Buffer) => (stdoutSoFar += d.toString()));
  let url: string;
  try {
    url = await consentUrl(child);
  } catch (e) {
    const r = await done;
    throw new Error(`${(e as Error).message}\nstatus ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return { child, done, url, stdoutAtUrl: stdoutSoFar };
}

/**
 * A folder `HOME/bin` holding only an `ssh` that runs the real OpenSSH with `HOME/.ssh/config` and
 * `keyFile` and without host-key checks (OpenSSH ignores $HOME, so tests cannot point it elsewhere).
 * Returns the folder and the shim.
 */
export function sshShim(home: string, keyFile: string): { bin: string; ssh: string } {
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  const ssh = join(bin, 'ssh');
  const realSsh = execFileSync('sh', ['-c', 'command -v ssh'], { encoding: 'utf8' }).trim();
  writeFileSync(
    ssh,
    `#!/bin/sh\nexec ${realSsh} -F "$HOME/.ssh/config" -i "${keyFile}" -o IdentitiesOnly=yes -o StrictHostKeyChecking=no ` +
      `-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR "$@"\n`,
  );
  chmodSync(ssh, 0o755);
  return { bin, ssh };
}

/** An unused uid that plays another local user (an attacker) in tests; tests run as root. */
export const OTHER_UID = 4242;

/**
 * Runs a shell script as OTHER_UID (uid and gid, no supplementary groups, no capabilities), the
 * way another local user would act on shared places: returns its stdout, throws when it fails.
 */
export function asOtherUser(script: string, cwd?: string): string {
  return execFileSync('setpriv', ['--reuid', String(OTHER_UID), '--regid', String(OTHER_UID), '--clear-groups', 'sh', '-c', script], {
    encoding: 'utf8',
    cwd,
  });
}
