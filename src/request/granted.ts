// What a server granted against what was asked: a new mytoken's restrictions, capabilities and
// rotation as the reply states them, compared with the request. A server narrows a sub-token to
// its parent silently (server-api 5.4: requested clauses that are not at least as strict as a
// parent clause are dropped, unsatisfied capabilities left out), so the client says so.
import type { MytokenRequest, MytokenResponse } from '../api/types.js';

type Clause = Record<string, unknown>;

/** A value as the comparison sees it: absent, empty and zero are alike; lists are sets. */
function norm(key: string, v: unknown): string | undefined {
  if (v === undefined || v === null || v === 0 || v === '' || v === false) return undefined;
  if (key === 'scope' && typeof v === 'string') return norm(key, v.split(' ').filter(Boolean));
  if (Array.isArray(v)) return v.length ? JSON.stringify([...new Set(v.map(String))].sort()) : undefined;
  return JSON.stringify(v);
}

/** Whether two clauses restrict alike. `this` in hosts stands for an address the server fills in. */
function sameClause(asked: Clause, got: Clause): boolean {
  for (const key of new Set([...Object.keys(asked), ...Object.keys(got)])) {
    if (key === 'hosts' && Array.isArray(asked.hosts) && asked.hosts.includes('this')) continue;
    if (norm(key, asked[key]) !== norm(key, got[key])) return false;
  }
  return true;
}

const isClause = (v: unknown): v is Clause => typeof v === 'object' && v !== null && !Array.isArray(v) && !('include' in v);
const shown = (v: unknown) => JSON.stringify(v);

/**
 * How the new mytoken differs from the request, one line each; empty when it is as asked or the
 * request cannot be compared (server-side templates, or nothing asked).
 */
export function grantedDifferences(req: MytokenRequest, res: MytokenResponse): string[] {
  const out: string[] = [];
  // a reply that does not describe the token (capabilities are never empty) tells nothing
  if (!res.capabilities) return out;
  if (req.include === undefined || req.include === '' || (Array.isArray(req.include) && !req.include.length)) {
    const asked = req.capabilities;
    if (asked?.length) {
      const missing = asked.filter((c) => !res.capabilities!.includes(c));
      if (missing.length) out.push(`capabilities: ${missing.join(', ')} left out (it has ${res.capabilities.join(', ') || 'none'})`);
    }
    const clauses = req.restrictions;
    if (clauses?.length && clauses.every(isClause)) {
      const got = (res.restrictions ?? []).filter(isClause);
      const dropped = clauses.filter((w) => !got.some((g) => sameClause(w, g)));
      if (dropped.length) {
        out.push(
          `restrictions: ${dropped.map(shown).join(', ')} not kept; it has ${got.length ? got.map(shown).join(', ') : 'no restrictions'}`,
        );
      }
    }
    if (req.rotation && isClause(req.rotation) && Object.keys(req.rotation).length && !sameClause(req.rotation, res.rotation ?? {})) {
      out.push(`rotation: ${shown(req.rotation)} asked, ${res.rotation ? shown(res.rotation) : 'none'} given`);
    }
  }
  return out;
}
