// Mytokens: minting (ES512 JWTs), representations (short tokens, transfer codes), validation,
// usage counters, rotation, revocation and the per-token event log (spec sections 3, 5.1, 5.6-5.9).
import { randomUUID } from 'node:crypto';
import { SignJWT, compactVerify, exportJWK, generateKeyPair, calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import { hasCapability } from './capabilities.mjs';
import { clauseKey, restrictionsExp, restrictionsNbf, selectClause } from './restrictions.mjs';
import type { Clause, Counter, NetInfo, UsageKind } from './restrictions.mjs';
import {
  ApiError,
  CODE_LEN,
  SHORT_ALPHABET,
  SHORT_TOKEN_LEN,
  goDuration,
  invalidToken,
  isUUID,
  momIdOf,
  nowMs,
  nowSeconds,
  randomString,
  subjectHash,
} from './util.mjs';

export interface Rotation {
  on_AT?: boolean;
  on_other?: boolean;
  lifetime?: number;
  auto_revoke?: boolean;
}

export type Representation = 'token' | 'short_token' | 'transfer_code';

/** Who made a request (for event logs, `this` in hosts, restriction checks). */
export interface RequestInfo {
  ip: string;
  userAgent: string;
}

export interface TokenEvent {
  event: string;
  time: number;
  /** store-wide sequence number: orders events logged within the same second */
  seq: number;
  comment?: string;
  ip: string;
  user_agent: string;
}

/** The OP refresh token, shared by a token and all sub-tokens derived from it. */
export interface RefreshTokenHolder {
  rt?: string;
}

export interface TokenRecord {
  jti: string;
  momId: string;
  oidcSub: string;
  oidcIss: string;
  email?: string;
  authTime: number;
  name?: string;
  capabilities: string[];
  restrictions: Clause[];
  rotation?: Rotation;
  /** current version */
  seqNo: number;
  iat: number;
  nbf: number;
  exp?: number;
  jwt: string;
  parent?: string;
  children: Set<string>;
  created: number;
  ip: string;
  userAgent: string;
  refresh: RefreshTokenHolder;
  /** per-clause usage counters, keyed by clause content */
  counters: Map<string, Counter>;
  /** newest last */
  events: TokenEvent[];
  /** access tokens issued under this token (the comment is stored, never returned) */
  accessTokens: { time: number; comment?: string; scope?: string; audience?: string[] }[];
}

export interface ShortTokenEntry {
  jti: string;
  jwt: string;
}

export interface TransferCodeEntry {
  jti: string;
  expiresAt: number; // ms
  /** issued as response_type=transfer_code for a new token: revoking the code revokes the token */
  boundNew: boolean;
}

/** The mytoken response object of section 4.1.7. */
export type MytokenResponse = Record<string, unknown>;

export interface ResolvedToken {
  record: TokenRecord;
  claims: Record<string, unknown>;
  presented: 'token' | 'short_token';
}

/** JWT detection of utils IsJWT: >= 3 dot-separated parts whose third decodes as PADDED base64url. */
export function looksLikeJWT(s: string): boolean {
  const parts = s.split('.');
  if (parts.length < 3) return false;
  const sig = parts[2]!;
  return sig.length % 4 === 0 && /^[A-Za-z0-9_-]*={0,2}$/.test(sig);
}

export class TokenStore {
  readonly tokens = new Map<string, TokenRecord>();
  readonly byMomId = new Map<string, string>();
  readonly shortTokens = new Map<string, ShortTokenEntry>();
  readonly transferCodes = new Map<string, TransferCodeEntry>();
  /** Called with OP refresh tokens that no remaining mytoken uses (the server revokes them at the OP). */
  onUnusedRefreshTokens?: (rts: string[]) => void;
  /** Called after a token was created (its `created` event is logged, it is in its parent's children). */
  onTokenCreated?: (r: TokenRecord) => void;
  /** Called with the tokens a revocation deleted (per-user state drops its links to them). */
  onTokensRevoked?: (rs: TokenRecord[]) => void;
  private eventSeq = 0;

  private constructor(
    readonly issuer: string,
    private readonly privateKey: CryptoKey,
    readonly publicKey: CryptoKey,
    readonly publicJwk: JWK,
    /** lifetime (s) of transfer codes */
    readonly codeLifetime: number,
  ) {}

  static async create(issuer: string, codeLifetime: number): Promise<TokenStore> {
    const { privateKey, publicKey } = await generateKeyPair('ES512', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    const publicJwk: JWK = { ...jwk, kid, alg: 'ES512', use: 'sig' };
    return new TokenStore(issuer, privateKey, publicKey, publicJwk, codeLifetime);
  }

  // -------------------------------------------------------------------------------------------
  // minting

  claimsOf(r: TokenRecord): Record<string, unknown> {
    const c: Record<string, unknown> = {
      ver: '0.7',
      token_type: 'mytoken',
      iss: this.issuer,
      sub: subjectHash(r.oidcSub, r.oidcIss),
    };
    if (r.exp) c.exp = r.exp;
    c.nbf = r.nbf;
    c.iat = r.iat;
    if (r.authTime) c.auth_time = r.authTime;
    c.jti = r.jti;
    c.seq_no = r.seqNo;
    if (r.name) c.name = r.name;
    c.aud = this.issuer;
    c.oidc_sub = r.oidcSub;
    c.oidc_iss = r.oidcIss;
    if (r.restrictions.length) c.restrictions = r.restrictions;
    c.capabilities = r.capabilities;
    if (r.rotation) c.rotation = r.rotation;
    return c;
  }

  private async sign(r: TokenRecord): Promise<string> {
    return new SignJWT(this.claimsOf(r)).setProtectedHeader({ alg: 'ES512', typ: 'MT+JWT' }).sign(this.privateKey);
  }

  async createToken(input: {
    oidcSub: string;
    oidcIss: string;
    authTime: number;
    capabilities: string[];
    restrictions: Clause[];
    rotation?: Rotation;
    name?: string;
    email?: string;
    parent?: TokenRecord;
    refresh: RefreshTokenHolder;
    info: RequestInfo;
    createdComment: string;
  }): Promise<TokenRecord> {
    const now = nowSeconds();
    const jti = randomUUID();
    const r: TokenRecord = {
      jti,
      momId: momIdOf(jti),
      oidcSub: input.oidcSub,
      oidcIss: input.oidcIss,
      email: input.email,
      authTime: input.authTime,
      name: input.name || undefined,
      capabilities: input.capabilities,
      restrictions: input.restrictions,
      rotation: normalizeRotation(input.rotation),
      seqNo: 1,
      iat: now,
      nbf: restrictionsNbf(input.restrictions, now),
      exp: restrictionsExp(input.restrictions),
      jwt: '',
      parent: input.parent?.jti,
      children: new Set(),
      created: now,
      ip: input.info.ip,
      userAgent: input.info.userAgent,
      refresh: input.refresh,
      counters: new Map(),
      events: [],
      accessTokens: [],
    };
    r.jwt = await this.sign(r);
    this.tokens.set(jti, r);
    this.byMomId.set(r.momId, jti);
    input.parent?.children.add(jti);
    this.logEvent(r, 'created', input.info, input.createdComment);
    this.onTokenCreated?.(r);
    return r;
  }

  logEvent(r: TokenRecord, event: string, info: RequestInfo, comment?: string): void {
    const e: TokenEvent = { event, time: nowSeconds(), seq: ++this.eventSeq, ip: info.ip, user_agent: info.userAgent };
    if (comment) e.comment = comment;
    r.events.push(e);
  }

  // -------------------------------------------------------------------------------------------
  // representations

  newShortToken(r: TokenRecord): string {
    let s: string;
    do s = randomString(SHORT_TOKEN_LEN, SHORT_ALPHABET);
    while (this.shortTokens.has(s));
    this.shortTokens.set(s, { jti: r.jti, jwt: r.jwt });
    return s;
  }

  newTransferCode(r: TokenRecord, boundNew: boolean): { code: string; expiresIn: number } {
    let code: string;
    do code = randomString(CODE_LEN, SHORT_ALPHABET);
    while (this.transferCodes.has(code));
    this.transferCodes.set(code, { jti: r.jti, expiresAt: nowMs() + this.codeLifetime * 1000, boundNew });
    return { code, expiresIn: this.codeLifetime };
  }

  /** Representation per section 3.6 (`max_token_len` overrides `response_type`). */
  chooseRepresentation(r: TokenRecord, responseType: unknown, maxTokenLen: unknown): Representation {
    if (typeof maxTokenLen === 'number' && maxTokenLen > 0) {
      if (r.jwt.length <= maxTokenLen) return 'token';
      if (maxTokenLen >= SHORT_TOKEN_LEN) return 'short_token';
      return 'transfer_code';
    }
    return responseType === 'short_token' || responseType === 'transfer_code' ? responseType : 'token';
  }

  /** Mytoken response object (4.1.7) for the current version of `r`. */
  respond(r: TokenRecord, rep: Representation): MytokenResponse {
    const out: MytokenResponse = {};
    let expiresIn = r.exp ? Math.max(0, r.exp - nowSeconds()) : 0;
    if (rep === 'token') {
      out.mytoken = r.jwt;
      out.mytoken_type = 'token';
    } else if (rep === 'short_token') {
      out.mytoken = this.newShortToken(r);
      out.mytoken_type = 'short_token';
    } else {
      const { code, expiresIn: codeLifetime } = this.newTransferCode(r, true);
      out.mytoken_type = 'transfer_code';
      out.transfer_code = code;
      expiresIn = codeLifetime;
    }
    out.mom_id = r.momId;
    if (expiresIn) out.expires_in = expiresIn;
    if (r.restrictions.length) out.restrictions = r.restrictions;
    if (r.capabilities.length) out.capabilities = r.capabilities;
    if (r.rotation) out.rotation = r.rotation;
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // validation

  /** Classifies and resolves a presented string (1.3): JWT or short token. */
  lookupPresented(raw: string, inJsonMember: boolean): { jwt: string; presented: 'token' | 'short_token' } {
    if (raw.length < 32) {
      throw inJsonMember ? new ApiError(400, 'invalid_request', 'token not valid') : invalidToken('token not valid');
    }
    if (looksLikeJWT(raw)) return { jwt: raw, presented: 'token' };
    const entry = this.shortTokens.get(raw);
    if (!entry) throw invalidToken('token not valid');
    return { jwt: entry.jwt, presented: 'short_token' };
  }

  /** Signature and claim validation of a mytoken JWT (3.1); throws 401 with the validator message. */
  async verifyJWT(jwt: string): Promise<Record<string, unknown>> {
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(jwt, this.publicKey, { algorithms: ['ES512'] }));
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw invalidToken(code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'signature is invalid' : 'token is malformed');
    }
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      if (typeof claims !== 'object' || claims === null) throw new Error();
    } catch {
      throw invalidToken('token is malformed');
    }
    const now = nowSeconds();
    const num = (v: unknown) => (typeof v === 'number' ? v : 0);
    if (num(claims.exp) && now >= num(claims.exp)) throw invalidToken(`token is expired by ${goDuration(now - num(claims.exp))}`);
    if (num(claims.iat) && now < num(claims.iat)) throw invalidToken('Token used before issued');
    if (num(claims.nbf) && now < num(claims.nbf)) throw invalidToken('token is not valid yet');
    if (claims.iss !== this.issuer) throw invalidToken('token has invalid issuer');
    if (claims.aud !== this.issuer) throw invalidToken('token has invalid audience');
    if (!isUUID(claims.jti)) throw invalidToken('invalid jti');
    if (typeof claims.oidc_sub !== 'string' || typeof claims.oidc_iss !== 'string' || claims.sub !== subjectHash(claims.oidc_sub, claims.oidc_iss)) {
      throw invalidToken('invalid subject');
    }
    return claims;
  }

  /** Database state (5.1 step 5): existing, current version, lifetime; auto-revoke on misuse. */
  checkCurrent(claims: Record<string, unknown>): TokenRecord {
    const r = this.tokens.get(String(claims.jti));
    if (!r) throw invalidToken();
    const outdated = claims.seq_no !== r.seqNo;
    const lifetime = r.rotation?.lifetime;
    const tooOld = !!lifetime && nowSeconds() - Number(claims.iat) > lifetime;
    if (outdated || tooOld) {
      if (r.rotation?.auto_revoke) this.revoke(r, true);
      throw invalidToken();
    }
    return r;
  }

  /** Full validation of a presented mytoken string. */
  async resolve(raw: string, inJsonMember: boolean): Promise<ResolvedToken> {
    const { jwt, presented } = this.lookupPresented(raw, inJsonMember);
    const claims = await this.verifyJWT(jwt);
    return { record: this.checkCurrent(claims), claims, presented };
  }

  requireCapability(r: TokenRecord, capability: string): void {
    if (!hasCapability(r.capabilities, capability)) {
      throw new ApiError(403, 'insufficient_capabilities', 'The provided token does not have the required capability for this operation');
    }
  }

  counter(r: TokenRecord, c: Clause): Counter {
    const key = clauseKey(c);
    let counter = r.counters.get(key);
    if (!counter) r.counters.set(key, (counter = { at: 0, other: 0 }));
    return counter;
  }

  /** Restriction check (5.2): the charged clause (null: unrestricted) or 403 usage_restricted. */
  chargedClause(
    r: TokenRecord,
    kind: UsageKind,
    info: RequestInfo,
    net: NetInfo,
    scopes?: string[],
    audiences?: string[],
  ): Clause | null {
    const clause = selectClause(r.restrictions, {
      kind,
      ip: info.ip,
      net,
      now: nowSeconds(),
      scopes,
      audiences,
      counter: (c) => this.peekCounter(r, c),
    });
    if (clause === undefined) {
      throw new ApiError(403, 'usage_restricted', 'The restrictions of this token does not allow this usage');
    }
    return clause;
  }

  private peekCounter(r: TokenRecord, c: Clause): Counter {
    return r.counters.get(clauseKey(c)) ?? { at: 0, other: 0 };
  }

  countUsage(r: TokenRecord, clause: Clause | null, kind: UsageKind): void {
    if (!clause) return;
    const counter = this.counter(r, clause);
    if (kind === 'AT') counter.at++;
    else counter.other++;
  }

  /** `usages_AT_done`/`usages_other_done` view of the clauses (for introspection). */
  restrictionsWithUsage(r: TokenRecord): Record<string, unknown>[] {
    return r.restrictions.map((c) => {
      const counter = r.counters.get(clauseKey(c));
      return counter ? { ...c, usages_AT_done: counter.at, usages_other_done: counter.other } : { ...c };
    });
  }

  // -------------------------------------------------------------------------------------------
  // rotation

  /**
   * Rotates `r` if its policy has the trigger; returns the `token_update` for the presented
   * representation, or undefined if it did not rotate.
   */
  async maybeRotate(
    r: TokenRecord,
    trigger: 'on_AT' | 'on_other',
    presented: 'token' | 'short_token',
    info: RequestInfo,
  ): Promise<MytokenResponse | undefined> {
    if (!r.rotation?.[trigger] || !this.tokens.has(r.jti)) return undefined;
    const now = nowSeconds();
    r.seqNo += 1;
    r.iat = now;
    r.nbf = now;
    r.exp = r.rotation.lifetime ? now + r.rotation.lifetime : restrictionsExp(r.restrictions);
    r.jwt = await this.sign(r);
    this.logEvent(r, 'token_rotated', info);
    return this.respond(r, presented);
  }

  // -------------------------------------------------------------------------------------------
  // queries

  /** The living token with this `mom_id`, if any. */
  byMom(momId: string): TokenRecord | undefined {
    const jti = this.byMomId.get(momId);
    return jti ? this.tokens.get(jti) : undefined;
  }

  /** All living descendants of `r` (not `r` itself), depth first, oldest child first. */
  descendants(r: TokenRecord): TokenRecord[] {
    const out: TokenRecord[] = [];
    const walk = (t: TokenRecord) => {
      for (const c of t.children) {
        const ct = this.tokens.get(c);
        if (ct) {
          out.push(ct);
          walk(ct);
        }
      }
    };
    walk(r);
    return out;
  }

  /** The living tokens of one user (same `oidc_sub` and `oidc_iss`), oldest first. */
  ofUser(oidcSub: string, oidcIss: string): TokenRecord[] {
    return [...this.tokens.values()].filter((t) => t.oidcSub === oidcSub && t.oidcIss === oidcIss);
  }

  // -------------------------------------------------------------------------------------------
  // revocation

  isAncestorOrSelf(ancestor: TokenRecord, r: TokenRecord): boolean {
    for (let cur: TokenRecord | undefined = r; cur; cur = cur.parent ? this.tokens.get(cur.parent) : undefined) {
      if (cur.jti === ancestor.jti) return true;
    }
    return false;
  }

  /**
   * Revokes (deletes) a token, with `recursive` its whole subtree. Refresh tokens no longer used by
   * any remaining mytoken are handed to `onUnusedRefreshTokens`.
   */
  revoke(r: TokenRecord, recursive: boolean): void {
    const victims: TokenRecord[] = [];
    const collect = (t: TokenRecord) => {
      victims.push(t);
      if (recursive) for (const c of t.children) { const ct = this.tokens.get(c); if (ct) collect(ct); }
    };
    collect(r);
    const holders = new Set<RefreshTokenHolder>();
    for (const t of victims) {
      this.tokens.delete(t.jti);
      this.byMomId.delete(t.momId);
      holders.add(t.refresh);
      if (t.parent) this.tokens.get(t.parent)?.children.delete(t.jti);
      for (const c of t.children) {
        const ct = this.tokens.get(c);
        if (ct) ct.parent = undefined; // non-recursive: children become roots
      }
    }
    this.onTokensRevoked?.(victims);
    const gone = new Set(victims.map((t) => t.jti));
    for (const [s, e] of this.shortTokens) if (gone.has(e.jti)) this.shortTokens.delete(s);
    for (const [c, e] of this.transferCodes) if (gone.has(e.jti)) this.transferCodes.delete(c);
    const stillUsed = new Set([...this.tokens.values()].map((t) => t.refresh));
    const unused = [...holders].filter((h) => !stillUsed.has(h) && h.rt).map((h) => h.rt!);
    if (unused.length) this.onUnusedRefreshTokens?.(unused);
  }
}

export function normalizeRotation(r: Rotation | undefined): Rotation | undefined {
  if (!r) return undefined;
  const out: Rotation = {};
  if (r.on_AT) out.on_AT = true;
  if (r.on_other) out.on_other = true;
  if (r.lifetime) out.lifetime = r.lifetime;
  if (r.auto_revoke) out.auto_revoke = true;
  return Object.keys(out).length ? out : undefined;
}
