// Runs keyring operations of the built backend (src/tokens/keyring.ts) in a child process,
// keyring-child.ts, with a given environment: the native library reads the process environment
// itself, so a test cannot hand it one in-process.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.mjs';

/** The child that runs keyring steps (see keyring-child.ts). */
export const KEYRING_CHILD = join(ROOT, 'build', 'test', 'e2e', 'keyring-child.js');

export interface Step {
  op: 'get' | 'set' | 'delete' | 'list' | 'plant' | 'unpinned-set' | 'unpinned-get' | 'unpinned-delete' | 'load-addon';
  name?: string;
  value?: string;
  bytes?: number[];
  /** with `count`: plant `count` bytes of this value */
  fill?: number;
  count?: number;
  timeoutMs?: number;
  file?: string;
  sha256?: string;
}

export interface StepResult {
  ok: boolean;
  value?: unknown;
  /** the error's class name, exit status, message and hint */
  error?: string;
  status?: number;
  message?: string;
  hint?: string;
  /** how long the step took inside the child */
  ms: number;
}

export interface StepsRun {
  results: StepResult[];
  /** whether the child had the keyring's native module mapped at its end */
  nativeLoaded: boolean;
  /** from the start to the child's answer, in milliseconds */
  wallMs: number;
  /** with `untilAnswer`: whether the child had exited by itself within a second of its answer */
  exited: boolean;
  stderr: string;
}

export interface StepsOptions {
  /** the program to run instead of node and keyring-child.js (a single executable built from it) */
  program?: string[];
  /** reject when there is no answer by then (default 30 s) */
  timeoutMs?: number;
  /** resolve at the answer, and end a child still running a second later (SIGKILL) */
  untilAnswer?: boolean;
}

/**
 * Runs `steps` in a child with environment `env` and returns what each gave; rejects when the
 * child fails or does not answer within the timeout.
 */
export function keyringSteps(env: NodeJS.ProcessEnv, steps: Step[], opts: StepsOptions = {}): Promise<StepsRun> {
  const [cmd, ...args] = opts.program ?? [process.execPath, KEYRING_CHILD];
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const start = performance.now();
  const child = spawn(cmd!, [...args, JSON.stringify(steps)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exited = false;
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`keyring steps did not finish within ${timeoutMs} ms: ${JSON.stringify(steps).slice(0, 300)}\nstderr: ${err}`));
    }, timeoutMs);
    const answer = (): void => {
      clearTimeout(t);
      const parsed = JSON.parse(out) as { results: StepResult[]; nativeLoaded: boolean };
      const run = { ...parsed, wallMs: performance.now() - start, exited, stderr: err };
      if (!opts.untilAnswer || exited) return resolve(run);
      setTimeout(() => {
        run.exited = exited;
        if (!exited) child.kill('SIGKILL');
        resolve(run);
      }, 1000);
    };
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (opts.untilAnswer && out.endsWith('\n')) answer();
    });
    child.on('close', (code) => {
      exited = true;
      if (opts.untilAnswer && out.endsWith('\n')) return;
      if (code !== 0) {
        clearTimeout(t);
        return reject(new Error(`keyring child exited ${code}\nstdout: ${out}\nstderr: ${err}`));
      }
      answer();
    });
  });
}
