// Capabilities (spec sections 3.4 and 5.5).

export const DEFAULT_CAPABILITIES = ['AT', 'tokeninfo'];

/** The known capabilities (2026 list), including the read-only variants. */
export const KNOWN_CAPABILITIES = [
  'AT',
  'create_mytoken',
  'tokeninfo',
  'tokeninfo:introspect',
  'tokeninfo:history',
  'tokeninfo:subtokens',
  'tokeninfo:notify',
  'tokeninfo:tags',
  'manage_mytokens',
  'manage_mytokens:list',
  'manage_mytokens:revoke',
  'manage_mytokens:history',
  'manage_mytokens:notify',
  'read@manage_mytokens:notify',
  'manage_mytokens:tags',
  'settings',
  'read@settings',
  'settings:grants',
  'read@settings:grants',
  'settings:grants:ssh',
  'read@settings:grants:ssh',
  'settings:email',
  'read@settings:email',
  'settings:tags',
  'read@settings:tags',
];

const READ = 'read@';

/** Does the held capability `held` satisfy the required capability `required`? */
export function satisfies(held: string, required: string): boolean {
  const heldRead = held.startsWith(READ);
  const reqRead = required.startsWith(READ);
  if (heldRead && !reqRead) return false;
  const h = (heldRead ? held.slice(READ.length) : held).split(':');
  const r = (reqRead ? required.slice(READ.length) : required).split(':');
  if (h.length > r.length) return false;
  return h.every((seg, i) => seg === r[i]);
}

export const hasCapability = (held: readonly string[], required: string) => held.some((h) => satisfies(h, required));

/** A capability is acceptable at consent approval iff it is known or lies below a known one. */
export const isKnownCapability = (c: string) => hasCapability(KNOWN_CAPABILITIES, c);

/** Capabilities of a sub-token: the requested ones the parent satisfies (all parent ones if none requested). */
export function tightenCapabilities(parent: readonly string[], requested: readonly string[] | undefined): string[] {
  if (!requested || requested.length === 0) return [...parent];
  return requested.filter((c) => hasCapability(parent, c));
}
