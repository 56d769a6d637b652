// Where the mytoken comes from: --MT, --MT-prompt, --MT-env, --MT-file, then WLCG discovery.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { firstLine } from './files.js';

type Env = Record<string, string | undefined>;

export interface TokenSourceOptions {
  /** --MT */
  mt?: string;
  /** --MT-prompt */
  mtPrompt?: boolean;
  /** --MT-env */
  mtEnv?: string;
  /** --MT-file */
  mtFile?: string;
}

/** How a token file is laid out: the first line (--MT-file) or the whole file trimmed (WLCG). */
export type TokenFileFormat = 'first-line' | 'trimmed';

export interface FoundToken {
  token: string;
  /** the file the token came from: where a rotated token is written back */
  file?: string;
  format?: TokenFileFormat;
  /** for messages: where the token came from, e.g. "--MT-file tok.txt" */
  origin: string;
}

export interface FindOptions {
  env: Env;
  wlcgDiscovery: boolean;
  /** asks the user for the token without echo; throws if it cannot */
  prompt: () => Promise<string>;
  /** effective user id, for the WLCG file names */
  uid?: number;
}

export const NO_TOKEN_HINT =
  'pass one with --MT-file FILE, --MT-env VAR or --MT-prompt, or put it where WLCG token discovery finds it ' +
  '($BEARER_TOKEN, $BEARER_TOKEN_FILE, $XDG_RUNTIME_DIR/bt_u<uid>, /tmp/bt_u<uid>)';

/** Reads a token file the user named; every way it can fail is a usage error naming the file. */
export function readTokenFile(path: string, format: TokenFileFormat, flag: string): string {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${flag} ${path} is a directory, not a token file`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? (e as Error).message})`;
    throw new UsageError(`${flag} ${path} ${why}`);
  }
  const token = format === 'first-line' ? firstLine(text) : text.trim();
  if (!token) throw new UsageError(`${flag} ${path} holds no mytoken (its first line is empty)`);
  return token;
}

/**
 * The mytoken to use, or undefined when no source gave one. A source the user named (a flag) that
 * is missing or empty is an error, never a silent fall-through to the next source.
 */
export async function findMytoken(opts: TokenSourceOptions, find: FindOptions): Promise<FoundToken | undefined> {
  if (opts.mt !== undefined) {
    if (!opts.mt) throw new UsageError('--MT was given an empty mytoken');
    return { token: opts.mt, origin: '--MT' };
  }
  if (opts.mtPrompt) {
    const token = await find.prompt();
    if (!token) throw new UsageError('no mytoken was entered at the prompt');
    return { token, origin: '--MT-prompt' };
  }
  if (opts.mtEnv !== undefined) {
    if (!opts.mtEnv) throw new UsageError('--MT-env was given an empty variable name');
    const v = find.env[opts.mtEnv];
    if (v === undefined) throw new UsageError(`--MT-env ${opts.mtEnv}: the environment variable ${opts.mtEnv} is not set`);
    if (!v) throw new UsageError(`--MT-env ${opts.mtEnv}: the environment variable ${opts.mtEnv} is empty`);
    return { token: v, origin: `--MT-env ${opts.mtEnv}` };
  }
  if (opts.mtFile !== undefined) {
    if (!opts.mtFile) throw new UsageError('--MT-file was given an empty path');
    const token = readTokenFile(opts.mtFile, 'first-line', '--MT-file');
    return { token, file: opts.mtFile, format: 'first-line', origin: `--MT-file ${opts.mtFile}` };
  }
  if (find.wlcgDiscovery) return discoverWlcg(find.env, find.uid ?? effectiveUid());
  return undefined;
}

export function effectiveUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : -1;
}

/** The files WLCG bearer token discovery looks at, in order (mytoken's own mt_u names first). */
export function wlcgFiles(env: Env, uid: number): string[] {
  const out: string[] = [];
  if (env.BEARER_TOKEN_FILE) out.push(env.BEARER_TOKEN_FILE);
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, `mt_u${uid}`), join(env.XDG_RUNTIME_DIR, `bt_u${uid}`));
  out.push(`/tmp/mt_u${uid}`, `/tmp/bt_u${uid}`);
  return out;
}

/** WLCG bearer token discovery: $BEARER_TOKEN, then the files of wlcgFiles; missing files are skipped. */
export function discoverWlcg(env: Env, uid: number): FoundToken | undefined {
  if (env.BEARER_TOKEN) return { token: env.BEARER_TOKEN, origin: '$BEARER_TOKEN' };
  for (const file of wlcgFiles(env, uid)) {
    let token = '';
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch {
      continue;
    }
    if (token) return { token, file, format: 'trimmed', origin: file };
  }
  return undefined;
}

/** Reads the token again from the file it came from (after taking the file's lock). */
export function rereadToken(found: FoundToken): FoundToken {
  if (!found.file || !found.format) return found;
  try {
    const text = readFileSync(found.file, 'utf8');
    const token = found.format === 'first-line' ? firstLine(text) : text.trim();
    return token ? { ...found, token } : found;
  } catch {
    return found;
  }
}

/** Refuses an output file that is the file the mytoken came from: writing there would lose it. */
export function checkOutputTarget(out: string | undefined, found: FoundToken | undefined): void {
  if (!out || !found?.file || out === '-' || out === '/dev/stdout') return;
  if (resolve(out) === resolve(found.file)) {
    throw new UsageError(`-o ${out} is the file the mytoken comes from; writing there would lose the mytoken`, 'write the new token to another file');
  }
}
