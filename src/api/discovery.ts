// The server's configuration document, fetched once and cached on disk per server.
import { cachePath, readCacheEntry, writeCacheEntry } from '../cache.js';
import { MytokenError, UnreachableError, UsageError } from '../errors.js';
import { requestJSON } from './reply.js';
import type { ServerConfiguration } from './types.js';

type Env = Record<string, string | undefined>;

/** The longest time a cached configuration document is trusted, whatever the server says. */
export const MAX_CACHE_SECONDS = 86_400;

export function configurationUrl(instance: string): string {
  return `${instance}${instance.endsWith('/') ? '' : '/'}.well-known/mytoken-configuration`;
}

/** Two issuer URLs name the same server when they differ at most by one trailing slash. */
export function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/$/, '') === b.replace(/\/$/, '');
}

/** max-age of a Cache-Control header, bounded; 0 when it forbids caching or is absent. */
export function cacheSeconds(cacheControl: string | undefined): number {
  if (!cacheControl) return 0;
  const cc = cacheControl.toLowerCase();
  if (/(^|,)\s*(no-store|no-cache|private)\b/.test(cc)) return 0;
  const m = /(^|,)\s*max-age\s*=\s*"?(\d+)/.exec(cc);
  return m ? Math.min(Number(m[2]), MAX_CACHE_SECONDS) : 0;
}

export interface CacheEntry {
  url: string;
  expires: number;
  document: ServerConfiguration;
}

/** The origin (scheme, host, port) of an http(s) URL, or undefined for anything else. */
function httpOrigin(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether every endpoint a configuration document names (each string member whose key ends in
 * `_endpoint`, and `jwks_uri`) is on the origin of the server at `instance`: same scheme, host and
 * port. Only such a document may be cached: an entry naming another origin could send the mytoken
 * there on every later run.
 */
export function endpointsOnOrigin(doc: object, instance: string): boolean {
  const origin = httpOrigin(instance);
  if (!origin) return false;
  return Object.entries(doc).every(([key, v]) => typeof v !== 'string' || !(key.endsWith('_endpoint') || key === 'jwks_uri') || httpOrigin(v) === origin);
}

/**
 * The document of a cache entry, when the entry is for `url`, has not expired, expires within the
 * cap from `now` (what the client itself writes) and names endpoints on the server's own origin.
 */
export function cachedDocument(entry: Partial<CacheEntry> | undefined, url: string, instance: string, now: number): ServerConfiguration | undefined {
  if (entry?.url !== url || typeof entry.expires !== 'number') return undefined;
  if (!(entry.expires > now && entry.expires <= now + MAX_CACHE_SECONDS * 1000)) return undefined;
  const doc = entry.document;
  return doc && typeof doc === 'object' && !Array.isArray(doc) && endpointsOnOrigin(doc, instance) ? doc : undefined;
}

export interface Discovered {
  config: ServerConfiguration;
  /** true when the document came from the disk cache */
  cached: boolean;
}

/** Fetches (or reads from the cache) the configuration document of the server at `instance`. */
export async function discover(instance: string, env: Env, opts: { fresh?: boolean } = {}): Promise<Discovered> {
  if (!instance) throw new UsageError('no mytoken server URL given', 'set instance in the config file, or pass --url');
  const url = configurationUrl(instance);
  const file = cachePath(env, 'discovery', url);
  if (!opts.fresh) {
    const hit = cachedDocument(readCacheEntry<CacheEntry>(file), url, instance, Date.now());
    if (hit) return { config: hit, cached: true };
  }
  const { res, json } = await requestJSON<ServerConfiguration>({ method: 'GET', url, env });
  const config = json;
  if (!config || typeof config !== 'object' || typeof config.issuer !== 'string' || typeof config.mytoken_endpoint !== 'string') {
    throw new UnreachableError(`${url} is not a mytoken server configuration document`, 'check the server URL');
  }
  const maxAge = cacheSeconds(res.headers['cache-control'] as string | undefined);
  // the document is used as the server gives it, but cached only if a later run could trust it
  if (maxAge > 0 && endpointsOnOrigin(config, instance)) writeCacheEntry(file, { url, expires: Date.now() + maxAge * 1000, document: config } satisfies CacheEntry);
  return { config, cached: false };
}

/** The URL of an endpoint a document must name, or a clear error when the server lacks it. */
export function endpoint<D extends object>(doc: D, key: keyof D & string, what: string, server: string): string {
  const v = doc[key];
  if (typeof v !== 'string' || !v) throw new MytokenError(`the server ${server} does not offer ${what} (no ${key} in its configuration)`);
  return v;
}
