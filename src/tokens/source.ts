// Where the mytoken comes from: --MT, --MT-prompt, --MT-env, --MT-keyring, --MT-file, then the
// config's default keyring entry, then WLCG discovery.
import { lstatSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { euid, FileProblem, LIMITS, readLimited } from '../safefs.js';
import { type TokenFileFormat, tokenIn, tokenTextProblem } from './file-format.js';
import { FileStore, realFile } from './file-store.js';
import { foreignJwt } from './jwt.js';
import { KeyringStore } from './keyring-store.js';
import type { TokenStore } from './store.js';

type Env = Record<string, string | undefined>;

export interface TokenSourceOptions {
  /** --MT */
  mt?: string;
  /** --MT-prompt */
  mtPrompt?: boolean;
  /** --MT-env */
  mtEnv?: string;
  /** --MT-keyring */
  mtKeyring?: string;
  /** --MT-file */
  mtFile?: string;
}

export interface FoundToken {
  token: string;
  /** for messages: where the token came from, e.g. "--MT-file tok.txt" */
  origin: string;
  /**
   * where the token lives, and a rotated version is written back (a file: --MT-file, WLCG
   * discovery); none for a token given as a value (--MT, --MT-env, --MT-prompt, $BEARER_TOKEN)
   */
  store?: TokenStore;
}

export interface FindOptions {
  env: Env;
  wlcgDiscovery: boolean;
  /** asks the user for the token without echo; throws if it cannot */
  prompt: () => Promise<string>;
  /** effective user id, for the WLCG file names */
  uid?: number;
  /** told about each WLCG file that exists but is not used, and why */
  onRefused?: (file: string, why: string) => void;
  /** the keyring entry to use when no flag names a mytoken (config default_keyring_entry) */
  defaultKeyringEntry?: string;
}

/**
 * What to do when no mytoken was given: log in for one and keep it in a file; with WLCG token
 * discovery on, the places it looks, in its order (the real ones: wlcgFiles); with it off, say so.
 */
export function noTokenHint(find: { env: Env; uid: number; wlcgDiscovery: boolean; configFile?: string }): string {
  const login = 'log in for one and keep it in a file: mytoken MT -o FILE, then pass --MT-file FILE (or --MT-env VAR, or --MT-prompt)';
  if (!find.wlcgDiscovery) return `${login}; WLCG token discovery is off (use_wlcg_token_discovery: false in ${find.configFile ?? 'the config file'})`;
  const file = find.env.BEARER_TOKEN_FILE;
  const places = ['$BEARER_TOKEN', ...(file ? [] : ['$BEARER_TOKEN_FILE']), ...wlcgFiles(find.env, find.uid).map((f, i) => (file && i === 0 ? `$BEARER_TOKEN_FILE (${f})` : f))];
  return `${login};\nor put it where WLCG token discovery looks, in this order: ${places.join(', ')}`;
}

/** What to do about a token text problem: `file` is the token file, when the token came from one. */
export function tokenTextHint(problem: string, file?: string): string {
  const quoted = file && `'${file.replaceAll("'", `'\\''`)}'`;
  const fix = quoted && /^ends with (a space|a tab)/.test(problem) ? `; to drop the end of the first line: sed -i '1s/[[:space:]]*$//' ${quoted}` : '';
  return `a mytoken is one word of printable characters and nothing else${fix}`;
}

/**
 * A mytoken given as a value (--MT, --MT-env, --MT-prompt, $BEARER_TOKEN): line breaks at its end
 * are dropped, as `$(cat FILE)` drops them (an environment variable filled from a file keeps
 * them); anything else that is not part of a token is refused, saying what and where.
 */
export function tokenValue(value: string, origin: string): string {
  const token = value.replace(/(\r?\n)+$/, '');
  if (!token) throw new UsageError(`${origin} is empty`);
  const problem = tokenTextProblem(token);
  if (problem) throw new UsageError(`${origin} ${problem}, so it is not a mytoken`, tokenTextHint(problem));
  return token;
}

/** Refuses a JWT that says it is something else (an access token ...): it would go to its OpenID provider. */
export function checkIsMytoken(token: string, origin: string): void {
  const other = foreignJwt(token);
  if (!other) return;
  throw new UsageError(
    `${origin} is not a mytoken: it looks like ${other.kind}${other.iss ? ` (issued by ${other.iss})` : ''}`,
    'give the mytoken it came from instead; a new mytoken comes from mytoken MT',
  );
}

/** Reads a token file the user named; every way it can fail is a usage error naming the file. */
export function readTokenFile(path: string, format: TokenFileFormat, flag: string): string {
  let text: string;
  try {
    text = readLimited(path, { maxBytes: LIMITS.tokenFile });
  } catch (e) {
    if (e instanceof FileProblem) throw new UsageError(`${flag} ${path} ${e.why}`);
    throw e;
  }
  const got = tokenIn(text, format);
  if ('why' in got) throw new UsageError(`${flag} ${path} ${got.why}`, got.problem && tokenTextHint(got.problem, path));
  return got.token;
}

/**
 * The mytoken to use, or undefined when no source gave one. A source the user named (a flag) that
 * is missing or empty is an error, never a silent fall-through to the next source.
 */
export async function findMytoken(opts: TokenSourceOptions, find: FindOptions): Promise<FoundToken | undefined> {
  const named = await namedMytoken(opts, find);
  if (named) {
    checkIsMytoken(named.token, named.origin);
    return named;
  }
  if (find.defaultKeyringEntry) return fromKeyring(find.defaultKeyringEntry, 'default_keyring_entry', find.env);
  if (find.wlcgDiscovery) return discoverWlcg(find.env, find.uid ?? euid(), find.onRefused);
  return undefined;
}

/** The mytoken from the source a flag names (--MT, --MT-prompt, --MT-env, --MT-file), if one does. */
async function namedMytoken(opts: TokenSourceOptions, find: FindOptions): Promise<FoundToken | undefined> {
  if (opts.mt !== undefined) {
    if (!opts.mt) throw new UsageError('--MT was given an empty mytoken');
    return { token: tokenValue(opts.mt, '--MT'), origin: '--MT' };
  }
  if (opts.mtPrompt) {
    const token = await find.prompt();
    if (!token) throw new UsageError('no mytoken was entered at the prompt');
    return { token: tokenValue(token, 'what was entered at the prompt'), origin: '--MT-prompt' };
  }
  if (opts.mtEnv !== undefined) {
    if (!opts.mtEnv) throw new UsageError('--MT-env was given an empty variable name');
    const v = find.env[opts.mtEnv];
    if (v === undefined) throw new UsageError(`--MT-env ${opts.mtEnv}: the environment variable ${opts.mtEnv} is not set`);
    if (!v) throw new UsageError(`--MT-env ${opts.mtEnv}: the environment variable ${opts.mtEnv} is empty`);
    return { token: tokenValue(v, `the value of ${opts.mtEnv} (--MT-env)`), origin: `--MT-env ${opts.mtEnv}` };
  }
  if (opts.mtKeyring !== undefined) return fromKeyring(opts.mtKeyring, '--MT-keyring', find.env);
  if (opts.mtFile !== undefined) {
    if (!opts.mtFile) throw new UsageError('--MT-file was given an empty path');
    const token = readTokenFile(opts.mtFile, 'first-line', '--MT-file');
    return { token, origin: `--MT-file ${opts.mtFile}`, store: new FileStore(opts.mtFile, 'first-line', '--MT-file') };
  }
  return undefined;
}

/** The mytoken in keyring entry `entry` (named by `by`); no entry is an error, naming the entries there are. */
async function fromKeyring(entry: string, by: string, env: Env): Promise<FoundToken> {
  if (!entry) throw new UsageError(`${by} was given an empty keyring entry name`);
  const store = new KeyringStore(entry, env);
  const token = await store.read();
  if (token === undefined) {
    throw new UsageError(`${by} ${entry}: the keyring has no such entry`, 'see the entries with mytoken keyring list; a new one comes from mytoken MT --keyring NAME');
  }
  return { token, origin: `${by} ${entry}`, store };
}

/** The files WLCG bearer token discovery looks at, in order (mytoken's own mt_u names first). */
export function wlcgFiles(env: Env, uid: number): string[] {
  const out: string[] = [];
  if (env.BEARER_TOKEN_FILE) out.push(env.BEARER_TOKEN_FILE);
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, `mt_u${uid}`), join(env.XDG_RUNTIME_DIR, `bt_u${uid}`));
  out.push(`/tmp/mt_u${uid}`, `/tmp/bt_u${uid}`);
  return out;
}

/**
 * Why a folder is no safe home for a token of ours: another user could replace or remove files
 * in it. Shared folders with the sticky bit (/tmp) are fine: there only a file's owner may.
 */
function folderProblem(dir: string, uid: number): string | undefined {
  try {
    const st = statSync(dir);
    if (uid >= 0 && st.uid !== uid && st.uid !== 0) return `lies in ${dir}, a folder of another user (uid ${st.uid})`;
    if (st.mode & 0o022 && !(st.mode & 0o1000)) return `lies in ${dir}, which other users can change`;
    return undefined;
  } catch {
    return `lies in ${dir}, which cannot be checked`;
  }
}

/**
 * Reads a file WLCG discovery found, if it is safely the user's: a regular file of the user's own
 * that others cannot change, in a folder others cannot change (or a sticky one), and not a
 * symlink another user made. Anyone can put a file at /tmp/bt_u<uid>, so nothing else is used.
 */
function readDiscovered(file: string, uid: number): { token: string; real: string } | { why: string } | undefined {
  let link;
  try {
    link = lstatSync(file);
  } catch {
    return undefined; // not there: the next place
  }
  if (link.isSymbolicLink() && uid >= 0 && link.uid !== uid) return { why: `is a symbolic link made by another user (uid ${link.uid})` };
  let text: string;
  try {
    text = readLimited(file, { maxBytes: LIMITS.tokenFile, own: true });
  } catch (e) {
    if (e instanceof FileProblem) return e.code === 'ENOENT' ? { why: 'is a symbolic link to nothing' } : { why: e.why };
    throw e;
  }
  const real = realFile(file);
  const where = folderProblem(dirname(real), uid);
  if (where) return { why: where };
  if (!text.trim()) return undefined; // empty: the next place, as the WLCG rules say
  const got = tokenIn(text, 'trimmed');
  if ('why' in got) return got;
  const other = foreignJwt(got.token);
  return other ? { why: `holds ${other.kind}, not a mytoken` } : { token: got.token, real };
}

/**
 * WLCG bearer token discovery: $BEARER_TOKEN, then the files of wlcgFiles that are safely the
 * user's (missing and empty ones are skipped; refused ones are told to `onRefused`).
 */
export function discoverWlcg(env: Env, uid: number, onRefused?: (file: string, why: string) => void): FoundToken | undefined {
  const bearer = env.BEARER_TOKEN?.replace(/(\r?\n)+$/, '');
  if (bearer) {
    // the variable may hold an access token of the WLCG tools: then the places below are looked at
    const problem = tokenTextProblem(bearer);
    const other = problem ? undefined : foreignJwt(bearer);
    if (problem) onRefused?.('$BEARER_TOKEN', `${problem}, so it is not a mytoken`);
    else if (other) onRefused?.('$BEARER_TOKEN', `holds ${other.kind}, not a mytoken`);
    else return { token: bearer, origin: '$BEARER_TOKEN' };
  }
  for (const file of wlcgFiles(env, uid)) {
    const got = readDiscovered(file, uid);
    if (!got) continue;
    if ('why' in got) {
      onRefused?.(file, got.why);
      continue;
    }
    return { token: got.token, origin: file, store: new FileStore(file, 'trimmed', 'the token file', got.real) };
  }
  return undefined;
}

/** Refuses an output file that is the file the mytoken came from: writing there would lose it. */
export function checkOutputTarget(out: string | undefined, found: FoundToken | undefined): void {
  if (!out || !found?.store || out === '-' || out === '/dev/stdout') return;
  if (found.store.isTarget(out)) {
    throw new UsageError(`-o ${out} is the file the mytoken comes from; writing there would lose the mytoken`, 'write the new token to another file');
  }
}
