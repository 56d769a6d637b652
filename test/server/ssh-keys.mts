// ssh keys of the ssh grant (spec 4.7.2, 6.1, 6.2): parsing `authorized_keys` lines, OpenSSH
// SHA256 fingerprints, and the per-user key store. The store keeps, per key, a hash of the ssh
// user name and the key's own mytoken encrypted with that name, so the name is needed to use the
// token, as on the real server. `sshLogin` is the check an ssh server makes at authentication.
import { createCipheriv, createDecipheriv, createHash, createPublicKey, hkdfSync, randomBytes } from 'node:crypto';
import type { ServerContext } from './context.mjs';
import type { TokenRecord } from './tokens.mjs';
import { nowSeconds, randomString } from './util.mjs';

/** Key types the server accepts. */
export const SSH_KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'] as const;
export type SshKeyType = (typeof SSH_KEY_TYPES)[number];

/** Length and alphabet of ssh user names (spec 8). */
export const SSH_USER_LEN = 16;
const SSH_USER_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface ParsedSshKey {
  type: SshKeyType;
  /** the decoded key blob (SSH wire format) */
  blob: Buffer;
  /** `SHA256:` + unpadded standard base64 of SHA-256 over the blob */
  fingerprint: string;
  comment?: string;
}

/** The OpenSSH fingerprint of a key blob. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

// ---------------------------------------------------------------------------------------------
// parsing

/** Reads the length-prefixed strings of an SSH wire blob; undefined if the blob is malformed. */
function wireStrings(blob: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < blob.length) {
    if (pos + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(pos);
    pos += 4;
    if (pos + len > blob.length) return undefined;
    out.push(blob.subarray(pos, pos + len));
    pos += len;
  }
  return out;
}

/** An SSH mpint as unsigned big-endian bytes without leading zeros (JWK wants those). */
function unsignedBytes(mpint: Buffer): Buffer {
  let i = 0;
  while (i < mpint.length - 1 && mpint[i] === 0) i++;
  return mpint.subarray(i);
}

const b64url = (b: Buffer) => b.toString('base64url');

const CURVES: Record<string, { curve: string; crv: string; size: number }> = {
  'ecdsa-sha2-nistp256': { curve: 'nistp256', crv: 'P-256', size: 32 },
  'ecdsa-sha2-nistp384': { curve: 'nistp384', crv: 'P-384', size: 48 },
  'ecdsa-sha2-nistp521': { curve: 'nistp521', crv: 'P-521', size: 66 },
};

/**
 * Whether a blob is a well-formed public key of `type`: the blob names the same type, has no
 * trailing data, and the key material is accepted by node:crypto (points on the curve etc.).
 */
function validBlob(type: SshKeyType, blob: Buffer): boolean {
  const parts = wireStrings(blob);
  if (!parts || parts[0]?.toString('latin1') !== type) return false;
  try {
    if (type === 'ssh-ed25519') {
      if (parts.length !== 2 || parts[1]!.length !== 32) return false;
      createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(parts[1]!) }, format: 'jwk' });
      return true;
    }
    if (type === 'ssh-rsa') {
      if (parts.length !== 3) return false;
      const [, e, n] = parts as [Buffer, Buffer, Buffer];
      if (!e.length || !n.length || (e[0]! & 0x80) || (n[0]! & 0x80)) return false; // negative mpints
      createPublicKey({ key: { kty: 'RSA', e: b64url(unsignedBytes(e)), n: b64url(unsignedBytes(n)) }, format: 'jwk' });
      return true;
    }
    const curve = CURVES[type]!;
    if (parts.length !== 3 || parts[1]!.toString('latin1') !== curve.curve) return false;
    const point = parts[2]!;
    if (point.length !== 1 + 2 * curve.size || point[0] !== 0x04) return false;
    createPublicKey({
      key: {
        kty: 'EC',
        crv: curve.crv,
        x: b64url(point.subarray(1, 1 + curve.size)),
        y: b64url(point.subarray(1 + curve.size)),
      },
      format: 'jwk',
    });
    return true;
  } catch {
    return false;
  }
}

const isKeyType = (s: string): s is SshKeyType => (SSH_KEY_TYPES as readonly string[]).includes(s);

/**
 * Skips the options field of an `authorized_keys` line (e.g. `command="a b",no-pty`): everything
 * up to the first whitespace outside double quotes. Returns the rest, or undefined if a quote is
 * left open.
 */
function skipOptions(line: string): string | undefined {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && quoted && i + 1 < line.length) {
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ' ' || ch === '\t')) return line.slice(i).trimStart();
  }
  return undefined;
}

function parseKeyLine(line: string): ParsedSshKey | undefined {
  let rest = line;
  const first = rest.split(/[ \t]/, 1)[0]!;
  if (!isKeyType(first)) {
    const afterOptions = skipOptions(rest);
    if (afterOptions === undefined) return undefined;
    rest = afterOptions;
  }
  const m = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(rest);
  if (!m || !isKeyType(m[1]!)) return undefined;
  const type = m[1];
  const b64 = m[2]!;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  const blob = Buffer.from(b64, 'base64');
  if (!validBlob(type, blob)) return undefined;
  const comment = m[3]?.trim();
  return { type, blob, fingerprint: sshFingerprint(blob), ...(comment ? { comment } : {}) };
}

/**
 * The first public key in `authorized_keys` text (`[options] <type> <base64> [comment]` lines;
 * blank lines, `#` comments and lines that do not parse are skipped); undefined if there is none.
 */
export function parseSshPublicKey(text: string): ParsedSshKey | undefined {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const k = parseKeyLine(line);
    if (k) return k;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// the store

/** A registered key. The ssh user name itself is not kept. */
export interface SshKeyEntry {
  /** the user's `sub` claim (subject hash of oidc_sub and oidc_iss) */
  userKey: string;
  oidcSub: string;
  oidcIss: string;
  fingerprint: string;
  type: SshKeyType;
  name?: string;
  /** hash of the ssh user name (sshUserHash) */
  sshUserHash: string;
  /** the key's own mytoken */
  jti: string;
  momId: string;
  /** the mytoken JWT, AES-256-GCM encrypted with a key derived from the ssh user name */
  sealedToken: { iv: Buffer; data: Buffer; tag: Buffer };
  created: number;
  lastUsed?: number;
}

/** The JSON entry of `GET .../grants/ssh` (4.7.2); `ssh_key` is never returned. */
export interface SshKeyInfo {
  name?: string;
  ssh_key_fp: string;
  created: number;
  last_used?: number;
}

export const sshUserHash = (sshUser: string): string => createHash('sha512').update(sshUser).digest('base64');

function sealingKey(sshUser: string, fingerprint: string): Buffer {
  return Buffer.from(hkdfSync('sha256', sshUser, fingerprint, 'mytoken ssh grant token', 32));
}

function seal(jwt: string, sshUser: string, fingerprint: string): SshKeyEntry['sealedToken'] {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', sealingKey(sshUser, fingerprint), iv);
  const data = Buffer.concat([c.update(jwt, 'utf8'), c.final()]);
  return { iv, data, tag: c.getAuthTag() };
}

function unseal(e: SshKeyEntry, sshUser: string): string | undefined {
  try {
    const d = createDecipheriv('aes-256-gcm', sealingKey(sshUser, e.fingerprint), e.sealedToken.iv);
    d.setAuthTag(e.sealedToken.tag);
    return Buffer.concat([d.update(e.sealedToken.data), d.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

export class SshKeyStore {
  /** in registration order */
  private readonly keys: SshKeyEntry[] = [];

  /** The keys of one user, oldest first. */
  ofUser(userKey: string): SshKeyEntry[] {
    return this.keys.filter((k) => k.userKey === userKey);
  }

  find(userKey: string, fingerprint: string): SshKeyEntry | undefined {
    return this.keys.find((k) => k.userKey === userKey && k.fingerprint === fingerprint);
  }

  all(): SshKeyEntry[] {
    return [...this.keys];
  }

  /**
   * Registers a key for the owner of `token` (the key's own mytoken) and returns the new ssh
   * user name, which is not stored anywhere (only its hash).
   */
  add(key: ParsedSshKey, token: TokenRecord, userKey: string, name: string | undefined): { entry: SshKeyEntry; sshUser: string } {
    let sshUser: string;
    let hash: string;
    do {
      sshUser = randomString(SSH_USER_LEN, SSH_USER_ALPHABET);
      hash = sshUserHash(sshUser);
    } while (this.keys.some((k) => k.sshUserHash === hash));
    const entry: SshKeyEntry = {
      userKey,
      oidcSub: token.oidcSub,
      oidcIss: token.oidcIss,
      fingerprint: key.fingerprint,
      type: key.type,
      ...(name ? { name } : {}),
      sshUserHash: hash,
      jti: token.jti,
      momId: token.momId,
      sealedToken: seal(token.jwt, sshUser, key.fingerprint),
      created: nowSeconds(),
    };
    this.keys.push(entry);
    return { entry, sshUser };
  }

  remove(entry: SshKeyEntry): void {
    const i = this.keys.indexOf(entry);
    if (i >= 0) this.keys.splice(i, 1);
  }

  /** The key registered under this (ssh user name, fingerprint) pair, if any. */
  lookup(sshUser: string, fingerprint: string): SshKeyEntry | undefined {
    const hash = sshUserHash(sshUser);
    return this.keys.find((k) => k.sshUserHash === hash && k.fingerprint === fingerprint);
  }

  /** The key's mytoken JWT; undefined if `sshUser` is not the key's user name. */
  tokenOf(entry: SshKeyEntry, sshUser: string): string | undefined {
    return unseal(entry, sshUser);
  }
}

export const sshKeyInfo = (k: SshKeyEntry): SshKeyInfo => ({
  ...(k.name ? { name: k.name } : {}),
  ssh_key_fp: k.fingerprint,
  created: k.created,
  ...(k.lastUsed ? { last_used: k.lastUsed } : {}),
});

// ---------------------------------------------------------------------------------------------
// what an ssh server asks

/** Is the ssh grant of the user with this `sub` claim enabled? */
export function sshGrantEnabled(ctx: ServerContext, userKey: string): boolean {
  return ctx.users.find(userKey)?.grants.get('ssh') === true;
}

export interface SshLogin {
  key: SshKeyEntry;
  /** the key's mytoken JWT (signature and expiry verified) */
  jwt: string;
  claims: Record<string, unknown>;
  /** the token's record; undefined when it was revoked (the actions then answer invalid_token) */
  record: TokenRecord | undefined;
}

/**
 * Public-key authentication of the ssh server (6.2): the (user name, key fingerprint) pair must
 * be registered, the user's ssh grant enabled, and the stored mytoken must decrypt with the user
 * name and verify (signature, expiry). Revocation is not checked here but per action. Success
 * updates the key's `last_used` (not with `touch: false`: the client's "would you accept this
 * key?" probe before it signs); any failure gives undefined.
 */
export async function sshLogin(
  ctx: ServerContext,
  sshUser: string,
  fingerprint: string,
  opts: { touch?: boolean } = {},
): Promise<SshLogin | undefined> {
  const key = ctx.sshKeys.lookup(sshUser, fingerprint);
  if (!key || !sshGrantEnabled(ctx, key.userKey)) return undefined;
  const jwt = ctx.sshKeys.tokenOf(key, sshUser);
  if (!jwt) return undefined;
  let claims: Record<string, unknown>;
  try {
    claims = await ctx.tokens.verifyJWT(jwt);
  } catch {
    return undefined;
  }
  if (opts.touch !== false) key.lastUsed = nowSeconds();
  return { key, jwt, claims, record: ctx.tokens.tokens.get(key.jti) };
}
