// The ssh server's host key for ~/.ssh/known_hosts, so that the first `ssh mytoken-<name>` after
// `settings grants ssh add` can check whom it talks to. The configuration document (fetched over
// the server's own https) publishes the host keys' SHA256 fingerprints (`ssh_keys`, server-api
// 2.1); the keys themselves come from ssh-keyscan, and only a key whose fingerprint the server
// publishes is used. Everything is checked strictly before it is printed or written: a known key
// type, base64 that decodes to a key blob naming that type, a host and port of the host entry.
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { hostEntryProblem, showLine } from './host-entry.js';

/** Host key types a known_hosts line may name (a host key is never a security-key type). */
export const HOST_KEY_TYPES: Readonly<Record<string, string>> = {
  'ssh-ed25519': 'ed25519',
  'ecdsa-sha2-nistp256': 'ecdsa',
  'ecdsa-sha2-nistp384': 'ecdsa',
  'ecdsa-sha2-nistp521': 'ecdsa',
  'ssh-rsa': 'rsa',
};

/** A host key blob is a few hundred bytes (RSA 16384 bits: about 2 KiB). */
const MAX_BLOB = 8 * 1024;

export interface HostKey {
  type: string;
  /** the key blob in standard base64, as in known_hosts */
  base64: string;
}

export interface PublishedHostKey {
  type: string;
  fingerprint: string;
}

/** The OpenSSH fingerprint of a key blob: `SHA256:` and unpadded base64. */
export function sshFingerprint(blob: Buffer): string {
  // node:crypto is loaded here, when it is needed, not at every start
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The strings of an SSH wire blob, or undefined when it is not exactly a sequence of them. */
function wireStrings(blob: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  for (let off = 0; off < blob.length; ) {
    if (off + 4 > blob.length) return undefined;
    const n = blob.readUInt32BE(off);
    if (off + 4 + n > blob.length) return undefined;
    out.push(blob.subarray(off + 4, off + 4 + n));
    off += 4 + n;
  }
  return out;
}

/** Why `type` and `base64` are not a host key for known_hosts, or undefined when they are. */
export function hostKeyProblem(type: string, base64: string): string | undefined {
  if (!Object.hasOwn(HOST_KEY_TYPES, type)) return 'its type is not a known ssh host key type';
  if (base64.length > (MAX_BLOB * 4) / 3 + 4 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) return 'its key is not base64';
  const blob = Buffer.from(base64, 'base64');
  if (blob.toString('base64') !== base64) return 'its key is not base64';
  const parts = wireStrings(blob);
  if (!parts || parts.length < 2) return 'its key is not an ssh key blob';
  if (parts[0]!.toString('latin1') !== type) return `its key blob is not of the type ${type}`;
  if (type === 'ssh-ed25519' && (parts.length !== 2 || parts[1]!.length !== 32)) return 'its key is not an ed25519 key';
  if (type.startsWith('ecdsa-sha2-') && (parts.length !== 3 || parts[1]!.toString('latin1') !== type.slice('ecdsa-sha2-'.length))) return 'its key is not an ecdsa key of its curve';
  if (type === 'ssh-rsa' && parts.length !== 3) return 'its key is not an rsa key';
  return undefined;
}

/**
 * The `ssh_keys` of a configuration document, checked: a list of objects, each with a known host
 * key type and an OpenSSH SHA256 fingerprint; or why not (nothing of the values is repeated).
 */
export function publishedHostKeys(sshKeys: unknown): { keys: PublishedHostKey[] } | { why: string } {
  if (!Array.isArray(sshKeys) || sshKeys.length === 0 || sshKeys.length > 32) return { why: 'it is not a list of host keys' };
  const keys: PublishedHostKey[] = [];
  for (const [i, k] of sshKeys.entries()) {
    const { type, fingerprint } = (k ?? {}) as Record<string, unknown>;
    if (typeof type !== 'string' || !Object.hasOwn(HOST_KEY_TYPES, type)) return { why: `entry ${i + 1} has no known ssh host key type` };
    if (typeof fingerprint !== 'string' || !/^SHA256:[A-Za-z0-9+/]{43}$/.test(fingerprint)) return { why: `entry ${i + 1} has no SHA256 fingerprint` };
    keys.push({ type, fingerprint });
  }
  return { keys };
}

/** How known_hosts names a host: `host`, or `[host]:port` for a port other than 22 (host names in lower case, as ssh looks them up). */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** One known_hosts line for the host key `key` of `host`:`port`; throws when the key is not one. */
export function knownHostsLine(host: string, port: number, key: HostKey): string {
  const problem = hostKeyProblem(key.type, key.base64);
  if (problem) throw new Error(`knownHostsLine: not a host key (${problem})`);
  if (!/^[A-Za-z0-9:][A-Za-z0-9.:-]*$/.test(host) || !(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error('knownHostsLine: not a host and port');
  return `${knownHostsName(host, port)} ${key.type} ${key.base64}`;
}

/** Where a host entry (checked with hostEntryProblem) connects: its HostName and Port (22 when it has none). */
export function hostOfEntry(entry: string): { host: string; port: number } | undefined {
  if (hostEntryProblem(entry)) return undefined;
  const value = (key: string) => new RegExp(`^[ \\t]*${key}(?:[ \\t]*=[ \\t]*|[ \\t]+)(\\S+)[ \\t]*$`, 'im').exec(entry)?.[1];
  const host = value('HostName');
  if (!host) return undefined;
  return { host, port: Number(value('Port') ?? 22) };
}

/** The host keys in ssh-keyscan's output (`name type base64` lines); lines that are not one are left out. */
export function parseKeyscan(output: string): HostKey[] {
  const keys: HostKey[] = [];
  for (const line of output.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words.length !== 3 || words[0]!.startsWith('#')) continue;
    const [, type, base64] = words as [string, string, string];
    if (!hostKeyProblem(type, base64)) keys.push({ type, base64 });
  }
  return keys;
}

/** The keys whose type and fingerprint the server publishes. */
export function publishedOnes(keys: HostKey[], published: PublishedHostKey[]): HostKey[] {
  return keys.filter((k) => published.some((p) => p.type === k.type && p.fingerprint === sshFingerprint(Buffer.from(k.base64, 'base64'))));
}

/** Whether a known_hosts host field names `name`: plainly (a pattern list) or hashed (`|1|salt|hash`). */
function namesHost(field: string, name: string): boolean {
  let hit = false;
  for (const pattern of field.split(',')) {
    const hashed = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(pattern);
    if (hashed) {
      const { createHmac } = require('node:crypto') as typeof import('node:crypto');
      const mac = createHmac('sha1', Buffer.from(hashed[1]!, 'base64')).update(name).digest('base64');
      if (mac === hashed[2]) hit = true;
      continue;
    }
    const negated = pattern.startsWith('!');
    const glob = new RegExp(`^${(negated ? pattern.slice(1) : pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    if (glob.test(name)) {
      if (negated) return false;
      hit = true;
    }
  }
  return hit;
}

/** Whether known_hosts text already has the key `key` for the host `name` (lines with markers do not count). */
export function knownHostsHas(text: string, name: string, key: HostKey): boolean {
  return text.split('\n').some((line) => {
    const words = line.trim().split(/\s+/);
    if (words.length < 3 || words[0]!.startsWith('#') || words[0]!.startsWith('@')) return false;
    return words[1] === key.type && words[2] === key.base64 && namesHost(words[0]!, name);
  });
}

/**
 * Appends the lines of `keys` for `host`:`port` that are not there yet to HOME/.ssh/known_hosts
 * (the folder created with 0700, the file with 0600). Returns the lines added; throws the file
 * system's error.
 */
export function addToKnownHosts(home: string, host: string, port: number, keys: HostKey[]): string[] {
  if (!isAbsolute(home)) throw new Error(`addToKnownHosts: HOME (${JSON.stringify(home)}) is not an absolute path`);
  const dir = join(home, '.ssh');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'known_hosts');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const name = knownHostsName(host, port);
  const lines = keys.filter((k) => !knownHostsHas(text, name, k)).map((k) => knownHostsLine(host, port, k));
  if (!lines.length) return [];
  const fd = openSync(file, 'a', 0o600);
  try {
    writeSync(fd, `${text && !text.endsWith('\n') ? '\n' : ''}${lines.join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
  return lines;
}

/**
 * The host keys of `host`:`port` of the types in `published`, as ssh-keyscan reads them; throws
 * an Error saying why there are none (no ssh-keyscan, no answer).
 */
export function scanHostKeys(host: string, port: number, published: PublishedHostKey[], signal?: AbortSignal): Promise<HostKey[]> {
  const { execFile } = require('node:child_process') as typeof import('node:child_process');
  const types = [...new Set(published.map((k) => HOST_KEY_TYPES[k.type]!))].join(',');
  return new Promise((resolve, reject) => {
    execFile('ssh-keyscan', ['-T', '5', '-p', String(port), '-t', types, host], { encoding: 'utf8', timeout: 20_000, maxBuffer: 256 * 1024, signal }, (e, stdout, stderr) => {
      if (e && (e as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error('ssh-keyscan was not found on PATH'));
      const keys = parseKeyscan(stdout ?? '');
      if (keys.length) return resolve(keys);
      const said = String(stderr ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).pop();
      reject(new Error(`ssh-keyscan got no host key from ${knownHostsName(host, port)}${said ? `: ${showLine(said)}` : e?.killed ? ': no answer in time' : ''}`));
    });
  });
}
