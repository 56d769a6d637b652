// Mytokens in the system keyring: one entry per NAME under the service `mytoken`, through
// @napi-rs/keyring (keyring-rs). On Linux that is the Secret Service (GNOME Keyring, KWallet) on the
// D-Bus session bus; on macOS the Keychain, on Windows the Credential Manager.
//
// - Entries are pinned to the Secret Service: the library's default on Linux falls back, silently,
//   to the kernel keyring (keyutils), which lives in memory and is gone at reboot. Every entry is
//   made with { linux: { store: 'secret-service' } }, so a missing Secret Service is an error.
//   (The package's keytar-compatible module, keytar.js, cannot pass that option, so it is not used.)
//   Listing goes through findCredentialsAsync, which has no store option but only ever asks the
//   Secret Service (over zbus); it never falls back either.
// - In the Secret Service an entry is an item with the attributes service=mytoken, username=NAME
//   (label "keyring:NAME@mytoken"): `secret-tool lookup service mytoken username NAME` finds it.
// - The native module is loaded on first use, never at start-up: from node_modules for bin/mytoken,
//   from the binary's own asset for the single binary (src/native-addon.ts).
// - The environment: the library reads DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR from the process
//   environment itself (libdbus and zbus call getenv); it cannot be handed another one. `env` serves
//   the checks made here (the session bus, before anything is loaded) and the private cache folder
//   of the single binary; callers pass the process's environment, so both see the same.
// - Timeouts: every call is bounded by `timeoutMs`. Making an entry object already talks to the
//   Secret Service, synchronously; that and the library's other D-Bus calls give up by themselves
//   after about 2 s without an answer. What can wait longer is a prompt to unlock the keyring on a
//   desktop, whose user may be away. Node 20 cannot end a native call that is still waiting: the
//   error comes at the timeout, but process.exit then waits until the call returns (it joins the
//   threads that run native work): on a desktop until the prompt is answered or dismissed; with a
//   prompter that never answers, about 25 s, when gnome-keyring gives up on it.
import { lstatSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type * as NapiKeyring from '@napi-rs/keyring';
import { KeyringUnavailable, MytokenError, UsageError } from '../errors.js';
import { AddonProblem, type EmbeddedAddon, loadEmbeddedAddon } from '../native-addon.js';
import { LIMITS, isTokenText } from '../safefs.js';

type Env = Record<string, string | undefined>;
type Binding = typeof NapiKeyring;
type Entry = InstanceType<Binding['AsyncEntry']>;

/** The keyring service under which every mytoken entry is kept. */
export const KEYRING_SERVICE = 'mytoken';
/** How long one keyring call may take by default (a prompt to unlock the keyring waits for the user). */
export const DEFAULT_KEYRING_TIMEOUT_MS = 30_000;

/** Entry names: ASCII that needs no quoting in a shell, is no flag and no path, and fits a table. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
export const ENTRY_NAME_RULE = '1 to 64 characters: letters, digits and . _ - @ +, the first a letter or digit';

const PINNED: NapiKeyring.EntryOptions = { linux: { store: 'secret-service' } };

/** Put in by the single binary's bundler: the keyring module carried as an asset. */
declare const __MYTOKEN_KEYRING_ADDON__: EmbeddedAddon | undefined;

export interface KeyringOptions {
  /** the service the entries are kept under; default KEYRING_SERVICE */
  service?: string;
  /** the longest one call may take, in milliseconds; default DEFAULT_KEYRING_TIMEOUT_MS */
  timeoutMs?: number;
}

export interface KeyringListing {
  /** the entry names, sorted */
  names: string[];
  /** entries of the service whose names this client does not accept (made by other tools) */
  skipped: number;
}

/** A name for messages: printable ASCII, anything else escaped, long ones cut. */
function shown(name: string): string {
  const cut = name.length > 70 ? `${name.slice(0, 64)}...` : name;
  return `"${cut.replace(/[^\x20-\x7e]|["\\]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))}"`;
}

/** `name` if it is a valid entry name; else a UsageError that says what a name may hold. */
export function checkEntryName(name: string): string {
  if (typeof name === 'string' && NAME.test(name)) return name;
  throw new UsageError(`${shown(String(name))} is not a keyring entry name`, `an entry name has ${ENTRY_NAME_RULE}`);
}

/** The system keyring's mytoken entries. Nothing is loaded or asked until the first call. */
export class Keyring {
  private readonly env: Env;
  private readonly timeoutMs: number;
  readonly service: string;

  constructor(env: Env, opts: KeyringOptions = {}) {
    this.env = env;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_KEYRING_TIMEOUT_MS;
    this.service = opts.service ?? KEYRING_SERVICE;
  }

  /** The mytoken in entry `name`, or undefined when there is no such entry. */
  async get(name: string): Promise<string | undefined> {
    const n = checkEntryName(name);
    const entry = this.entry(n);
    const secret = await this.call(`reading entry ${n}`, (signal) => entry.getSecret(signal));
    return secret === null ? undefined : tokenOf(n, secret, this.service);
  }

  /** Stores `token` in entry `name`, replacing what it held. */
  async set(name: string, token: string): Promise<void> {
    const n = checkEntryName(name);
    if (!isTokenText(token)) throw new UsageError(`refusing to store something that is not a mytoken in keyring entry ${n}`);
    const entry = this.entry(n);
    await this.call(`storing entry ${n}`, (signal) => entry.setPassword(token, signal));
  }

  /** Removes entry `name`: true when there was one. */
  async delete(name: string): Promise<boolean> {
    const n = checkEntryName(name);
    const entry = this.entry(n);
    return this.call(`removing entry ${n}`, (signal) => entry.deletePassword(signal));
  }

  /** The names of the entries (never their values). */
  async list(): Promise<KeyringListing> {
    // findCredentialsAsync talks over a second D-Bus client that has no reply timeout of its own:
    // making a pinned entry first (it opens a session with the Secret Service, and gives up after
    // about 2 s) shows that the service answers before that client is used.
    this.entry('list');
    const b = binding(this.env);
    const found = await this.call('listing the entries', (signal) => b.findCredentialsAsync(this.service, undefined, signal));
    const names = new Set<string>();
    let skipped = 0;
    for (const c of found) {
      if (NAME.test(c.account)) names.add(c.account);
      else skipped++;
    }
    return { names: [...names].sort(), skipped };
  }

  /** An entry object for `name` (this already connects to the Secret Service on Linux). */
  private entry(name: string): Entry {
    const b = binding(this.env);
    try {
      return new b.AsyncEntry(this.service, name, PINNED);
    } catch (e) {
      throw classify(e, `opening entry ${name}`);
    }
  }

  /** Runs one call of the library within the timeout, its failures turned into the client's errors. */
  private async call<T>(what: string, op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        const s = Math.round(this.timeoutMs / 100) / 10;
        reject(new KeyringUnavailable(`the Secret Service did not finish ${what} within ${s} s (is it waiting for the keyring to be unlocked?)`));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([op(abort.signal), late]);
    } catch (e) {
      throw e instanceof MytokenError ? e : classify(e, what);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The text of an entry's value if it is a mytoken (one trailing line break is allowed); else a UsageError. */
function tokenOf(name: string, secret: number[], service: string): string {
  const hint = `replace it with a mytoken, or remove it: secret-tool clear service ${service} username ${name}`;
  let len = secret.length;
  if (len > LIMITS.token + 2) throw new UsageError(`keyring entry ${name} holds ${len} bytes, more than a mytoken (at most ${LIMITS.token})`, hint);
  if (len > 0 && secret[len - 1] === 0x0a) len -= len > 1 && secret[len - 2] === 0x0d ? 2 : 1;
  const text = Buffer.from(secret).toString('latin1', 0, len);
  if (!isTokenText(text)) {
    const why = len === 0 ? 'it is empty' : 'it holds binary data, spaces or more than one line';
    throw new UsageError(`keyring entry ${name} does not hold a mytoken (${why})`, hint);
  }
  return text;
}

/** The first line of a library error's text, cut to a sane length. */
function libraryText(e: unknown): string {
  const text = String((e as Error)?.message ?? e).split('\n')[0];
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** A library error as one of the client's: KeyringUnavailable saying what is missing, where it can tell. */
function classify(e: unknown, context: string): MytokenError {
  const text = libraryText(e);
  if (/matched by \d+ credentials|ambiguous/i.test(text)) {
    return new UsageError(`the keyring holds more than one item for one entry (${context})`, `look with: secret-tool search --all service ${KEYRING_SERVICE}; remove the ones you do not want with secret-tool clear`);
  }
  if (/autolaunch|DBUS_SESSION_BUS_ADDRESS|Failed to connect to address|Connection refused|No such file or directory/i.test(text)) {
    return new KeyringUnavailable(`the D-Bus session bus cannot be reached (${text})`);
  }
  if (/org\.freedesktop\.secrets|ServiceUnknown|NameHasNoOwner|No DBus session or Secret Service/i.test(text)) {
    return new KeyringUnavailable(
      'no Secret Service (GNOME Keyring, KWallet) answers on the D-Bus session bus',
      'start one in your desktop session, or keep the mytoken in a file instead: --MT-file FILE',
    );
  }
  if (/Did not receive a reply|timed? ?out|NoReply/i.test(text)) {
    return new KeyringUnavailable('the Secret Service did not answer on the D-Bus session bus');
  }
  if (/prompt was dismissed|IsLocked|\blocked\b/i.test(text)) {
    return new KeyringUnavailable(
      'the keyring is locked and was not unlocked (no prompt to unlock it could be shown, or it was dismissed)',
      'unlock it in your desktop session, or keep the mytoken in a file instead: --MT-file FILE',
    );
  }
  if (/no result found/i.test(text)) {
    return new KeyringUnavailable('the Secret Service has no default keyring (collection) to keep entries in', 'create or unlock a login keyring in your desktop session, or keep the mytoken in a file instead: --MT-file FILE');
  }
  return new KeyringUnavailable(`the keyring failed at ${context}: ${text}`);
}

let loaded: Binding | undefined;

/** The library, loaded once per process, after the session bus is known to be there. */
function binding(env: Env): Binding {
  if (process.platform === 'linux' || process.platform === 'freebsd') checkSessionBus(env);
  loaded ??= loadBinding(env);
  return loaded;
}

/** Throws KeyringUnavailable, before anything is loaded, when no session bus can be found. */
function checkSessionBus(env: Env): void {
  if (env.DBUS_SESSION_BUS_ADDRESS) return;
  // what libdbus tries when the variable is unset (a systemd user session's bus)
  const runtime = env.XDG_RUNTIME_DIR && isAbsolute(env.XDG_RUNTIME_DIR) ? env.XDG_RUNTIME_DIR : undefined;
  try {
    if (runtime && lstatSync(join(runtime, 'bus')).isSocket()) return;
  } catch {
    /* no socket there */
  }
  const where = runtime ? `, and there is no socket ${join(runtime, 'bus')}` : '';
  throw new KeyringUnavailable(
    `there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set${where})`,
    'the keyring is reached through a desktop session (GNOME Keyring, KWallet); on a server or in a batch job keep the mytoken in a file instead: --MT-file FILE',
  );
}

function loadBinding(env: Env): Binding {
  try {
    if (typeof __MYTOKEN_KEYRING_ADDON__ !== 'undefined') {
      const addon = __MYTOKEN_KEYRING_ADDON__;
      const { getRawAsset } = require('node:sea') as typeof import('node:sea');
      return loadEmbeddedAddon(env, addon, () => new Uint8Array(getRawAsset(addon.asset) as ArrayBuffer)) as Binding;
    }
    return platformPackage();
  } catch (e) {
    if (e instanceof AddonProblem) {
      throw new KeyringUnavailable(`its native module ${e.message}`, 'make the cache folder your own (or set XDG_CACHE_HOME to one), or keep the mytoken in a file instead: --MT-file FILE');
    }
    throw new KeyringUnavailable(`its native module could not be loaded (${libraryText(e)})`);
  }
}

/** The prebuilt modules of @napi-rs/keyring for each platform, in the order they are tried. */
const PREBUILT: Readonly<Record<string, string[]>> = {
  'linux-x64': ['linux-x64-gnu', 'linux-x64-musl'],
  'linux-arm64': ['linux-arm64-gnu', 'linux-arm64-musl'],
  'darwin-arm64': ['darwin-arm64'],
  'darwin-x64': ['darwin-x64'],
  'win32-x64': ['win32-x64-msvc'],
  'win32-arm64': ['win32-arm64-msvc'],
};

/**
 * The prebuilt module for this platform, required directly (found where @napi-rs/keyring itself
 * would find it) rather than through the package's index.js, which would also load any file named
 * by NAPI_RS_NATIVE_LIBRARY_PATH: a credential tool does not run code an environment variable names.
 */
function platformPackage(): Binding {
  const key = `${process.platform}-${process.arch}`;
  const names = PREBUILT[key];
  if (!names) throw new Error(`there is no prebuilt keyring module for ${key}`);
  const { createRequire } = require('node:module') as typeof import('node:module');
  const fromPackage = createRequire(require.resolve('@napi-rs/keyring'));
  let first: unknown;
  for (const name of names) {
    try {
      return fromPackage(`@napi-rs/keyring-${name}`) as Binding;
    } catch (e) {
      first ??= e; // the first (glibc) error says more than the musl one
    }
  }
  throw first;
}
