// Reading a secret from the terminal without echo.
import { UsageError } from '../errors.js';

/** Asks on stderr and reads one line from the terminal without echoing it. */
export function promptSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    return Promise.reject(
      new UsageError('--MT-prompt needs a terminal to read the mytoken from', 'in scripts use --MT-file FILE or --MT-env VAR instead'),
    );
  }
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (fn: () => void) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      fn();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(() => resolve(value));
        if (ch === '\u0003') return done(() => reject(Object.assign(new Error('interrupted'), { code: 'SIGINT' })));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

type Env = Record<string, string | undefined>;

/**
 * Whether questions can be asked: on a terminal (stdin and stderr), or from piped stdin when
 * GO_PROMPTER_USE_PIPE is set (scripts and tests answer one line per question).
 */
export function canAsk(env: Env = process.env): boolean {
  if (env.GO_PROMPTER_USE_DEFAULT) return true;
  return (!!process.stdin.isTTY && !!process.stderr.isTTY) || !!env.GO_PROMPTER_USE_PIPE;
}

let lines: { queue: string[]; waiters: ((l: string | undefined) => void)[]; ended: boolean } | undefined;

async function readAnswer(): Promise<string | undefined> {
  if (!lines) {
    const state = { queue: [] as string[], waiters: [] as ((l: string | undefined) => void)[], ended: false };
    lines = state;
    const { createInterface } = require('node:readline') as typeof import('node:readline');
    const rl = createInterface({ input: process.stdin, terminal: false });
    rl.on('line', (l) => {
      const w = state.waiters.shift();
      if (w) w(l);
      else state.queue.push(l);
    });
    rl.on('close', () => {
      state.ended = true;
      for (const w of state.waiters.splice(0)) w(undefined);
    });
  }
  const state = lines;
  if (state.queue.length) return state.queue.shift();
  if (state.ended) return undefined;
  return new Promise((resolve) => state.waiters.push(resolve));
}

export interface AskOptions {
  /** the only accepted answers */
  choices?: string[];
  /** accept the choices in any case */
  ignoreCase?: boolean;
  /** the answer to an empty line, end of input, or GO_PROMPTER_USE_DEFAULT */
  default?: string;
}

/** Asks on stderr and reads one line; call canAsk() first. */
export async function ask(question: string, opts: AskOptions = {}, env: Env = process.env): Promise<string> {
  const text = `${question}${opts.choices ? ` (${opts.choices.join('/')})` : ''}${opts.default ? ` [${opts.default}]` : ''}: `;
  for (;;) {
    process.stderr.write(text);
    if (env.GO_PROMPTER_USE_DEFAULT && opts.default !== undefined) {
      process.stderr.write('\n');
      return opts.default;
    }
    const line = await readAnswer();
    if (!process.stdin.isTTY) process.stderr.write('\n');
    const answer = (line ?? '').replace(/\r$/, '');
    if (answer === '' && opts.default !== undefined) return opts.default;
    if (line === undefined) return '';
    const norm = (s: string) => (opts.ignoreCase ? s.toLowerCase() : s);
    const hit = opts.choices?.find((c) => norm(c) === norm(answer));
    if (!opts.choices) return answer;
    if (hit) return hit;
    process.stderr.write(`  answer ${opts.choices.map((c) => `'${c}'`).join(' or ')}\n`);
  }
}

/** A yes/no question; y and n in either case. */
export async function confirm(question: string, defaultYes: boolean, env: Env = process.env): Promise<boolean> {
  return (await ask(question, { choices: ['y', 'n'], ignoreCase: true, default: defaultYes ? 'y' : 'n' }, env)) === 'y';
}
