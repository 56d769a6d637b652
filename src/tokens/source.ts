// Where the mytoken comes from: --MT, --MT-prompt, --MT-env, --MT-file, then WLCG discovery.
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { euid, FileProblem, LIMITS, readLimited } from '../safefs.js';
import { firstLine } from './file-format.js';
import { foreignJwt } from './jwt.js';

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
  /**
   * the real path (symlinks resolved once) of the file the token came from: where it is locked
   * and where a rotated token is written back, whichever name the user gave
   */
  file?: string;
  /** the file as the user or discovery named it, for messages */
  path?: string;
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
  /** told about each WLCG file that exists but is not used, and why */
  onRefused?: (file: string, why: string) => void;
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

/**
 * What keeps `token` from being a mytoken as text (one word of printable ASCII, at most 16 KiB),
 * said exactly ("ends with a space", "has a tab at character 12"), or undefined when nothing does.
 * The token itself is never part of the answer.
 */
export function tokenTextProblem(token: string): string | undefined {
  if (token.length > LIMITS.token) return `is longer than ${LIMITS.token / 1024} KiB, too long for a mytoken`;
  const i = token.search(/[^\x21-\x7e]/);
  if (i < 0) return undefined;
  const c = token.charCodeAt(i);
  const what =
    c === 0x20 ? 'a space' : c === 0x09 ? 'a tab' : c === 0x0a ? 'a line break' : c === 0x0d ? 'a carriage return (CR)' : c < 0x20 || c === 0x7f ? 'a control character' : 'a character that is not ASCII';
  if (i === 0) return `starts with ${what}`;
  if (i === token.length - 1) return `ends with ${what}`;
  return `has ${what} at character ${i + 1}`;
}

/** What to do about a token text problem: `file` is the token file, when the token came from one. */
export function tokenTextHint(problem: string, file?: string): string {
  const quoted = file && `'${file.replaceAll("'", `'\\''`)}'`;
  const fix = quoted && /^ends with (a space|a tab)/.test(problem) ? `; to drop the end of the first line: sed -i '1s/[[:space:]]*$//' ${quoted}` : '';
  return `a mytoken is one word of printable characters and nothing else${fix}`;
}

/** The token in a token file's text, or why there is none (and the text problem, if that is why). */
export function tokenIn(text: string, format: TokenFileFormat): { token: string } | { why: string; problem?: string } {
  const token = format === 'first-line' ? firstLine(text) : text.trim();
  if (!token) return { why: format === 'first-line' ? 'holds no mytoken (its first line is empty)' : 'holds no mytoken (it is empty)' };
  const problem = tokenTextProblem(token);
  if (problem) return { why: `holds no usable mytoken: its ${format === 'first-line' ? 'first line' : 'text'} ${problem}`, problem };
  return { token };
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

/** The real path of an existing file: every name (symlink) of one file gives the same answer. */
export function realFile(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
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
  if (opts.mtFile !== undefined) {
    if (!opts.mtFile) throw new UsageError('--MT-file was given an empty path');
    const token = readTokenFile(opts.mtFile, 'first-line', '--MT-file');
    return { token, file: realFile(opts.mtFile), path: opts.mtFile, format: 'first-line', origin: `--MT-file ${opts.mtFile}` };
  }
  return undefined;
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
    return { token: got.token, file: got.real, path: file, format: 'trimmed', origin: file };
  }
  return undefined;
}

/** Reads the token again from the file it came from (after taking the file's lock). */
export function rereadToken(found: FoundToken): FoundToken {
  if (!found.file || !found.format) return found;
  try {
    const got = tokenIn(readLimited(found.file, { maxBytes: LIMITS.tokenFile }), found.format);
    return 'token' in got ? { ...found, token: got.token } : found;
  } catch {
    return found;
  }
}

/** Whether `out` names the file `real` (an existing real path): by inode, or by its real folder. */
export function sameFile(out: string, real: string): boolean {
  try {
    const a = statSync(out);
    const b = statSync(real);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    /* `out` does not exist (yet): compare where it would be */
  }
  try {
    return join(realpathSync(dirname(out)), basename(out)) === real;
  } catch {
    return false;
  }
}

/** Refuses an output file that is the file the mytoken came from: writing there would lose it. */
export function checkOutputTarget(out: string | undefined, found: FoundToken | undefined): void {
  if (!out || !found?.file || out === '-' || out === '/dev/stdout') return;
  if (sameFile(out, found.file)) {
    throw new UsageError(`-o ${out} is the file the mytoken comes from; writing there would lose the mytoken`, 'write the new token to another file');
  }
}
