// Reading a mytoken JWT without verifying it: enough to pick its server and see its rotation.

/**
 * A mytoken is taken as a JWT when it has three dot-separated parts whose first two decode as
 * base64url JSON objects. (Upstream only checks the padding of the signature part, which misses
 * every RS256 or HS256 token; this checks what we actually need.)
 */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return undefined;
    return payload;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isJwt(token: string): boolean {
  return decodeJwtPayload(token) !== undefined;
}

/** The `iss` claim of a JWT mytoken, if it has one. */
export function issuerOf(token: string): string | undefined {
  const iss = decodeJwtPayload(token)?.iss;
  return typeof iss === 'string' && iss ? iss : undefined;
}

/**
 * Whether using this mytoken may make the server rotate it. For a JWT the `rotation` claim says
 * so; a short token does not tell, so it may.
 */
export function mayRotate(token: string): boolean {
  const payload = decodeJwtPayload(token);
  if (!payload) return true;
  const r = payload.rotation;
  return isObject(r) && (r.on_AT === true || r.on_other === true);
}

/** The payload of a JWT mytoken as the text it encodes (key order and number spelling kept). */
export function payloadText(token: string): string | undefined {
  if (!isJwt(token)) return undefined;
  return Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8');
}

function headerOf(token: string): Record<string, unknown> | undefined {
  try {
    const h = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as unknown;
    return isObject(h) ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a JWT is when its claims say it is not a mytoken (a mytoken's payload has `token_type`
 * "mytoken", spec server-api.md 3.1), e.g. "an OpenID Connect access token"; undefined for a
 * mytoken, a token that is not a JWT, and a JWT that does not say what it is. Told apart by the
 * claims OpenID providers put into their tokens: `nonce`/`at_hash` (ID tokens), `scope`,
 * `client_id`, `azp`, `wlcg.ver` or the header type `at+jwt` (access tokens), Keycloak's `typ`.
 */
export function foreignJwt(token: string): { kind: string; iss?: string } | undefined {
  const p = decodeJwtPayload(token);
  if (!p || p.token_type === 'mytoken') return undefined;
  const iss = typeof p.iss === 'string' && p.iss ? p.iss : undefined;
  const typ = typeof p.typ === 'string' ? p.typ.toLowerCase() : '';
  const headerTyp = String(headerOf(token)?.typ ?? '').toLowerCase();
  let kind: string | undefined;
  if ('nonce' in p || 'at_hash' in p || typ === 'id') kind = 'an OpenID Connect ID token';
  else if (typ === 'refresh' || typ === 'offline') kind = 'an OpenID Connect refresh token';
  else if (['scope', 'scp', 'client_id', 'azp', 'wlcg.ver'].some((k) => k in p) || typ === 'bearer' || headerTyp === 'at+jwt' || headerTyp === 'application/at+jwt') {
    kind = 'an OpenID Connect access token';
  } else if (typeof p.token_type === 'string') kind = /^[\w.:+-]{1,40}$/.test(p.token_type) ? `a token of type '${p.token_type}'` : 'a token of another type';
  return kind ? { kind, iss } : undefined;
}
