// Capability names a new mytoken may ask for (spec cli.md 9.6, server-api.md 3.4 and 5.5), checked
// before anything is sent: a mistyped name would otherwise be dropped or kept by the server without
// a word, and the mytoken would lack what the user meant it to have.
import { UsageError } from '../errors.js';
import { closest } from '../suggest.js';

/** The capabilities a mytoken server knows (the 2026 list), with their read-only variants. */
export const KNOWN_CAPABILITIES: readonly string[] = [
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

/**
 * Whether a name may be asked for: a known capability, `read@` before a known one (the read-only
 * variant; names are case-sensitive), or `@NAME`, a server-side capability template the server
 * expands. A name below a known one that is not itself known (`tokeninfo:introspec`, `AT:x`) is
 * taken for a typo, though a server would store it.
 */
export function isCapabilityName(name: string): boolean {
  if (name.startsWith('@')) return name.length > 1;
  const bare = name.startsWith(READ) ? name.slice(READ.length) : name;
  return KNOWN_CAPABILITIES.includes(bare) && !bare.startsWith(READ);
}

/**
 * Refuses a list with a name that is not a capability (see isCapabilityName), naming it and the
 * nearest known one; `where` names the flag or member it came from. With `force` every name passes
 * (a server newer than this list may know more).
 */
export function checkCapabilities(names: readonly string[], where: string, force = false): void {
  if (force) return;
  const bad = names.find((n) => !isCapabilityName(n));
  if (bad === undefined) return;
  const near = closest(bad, KNOWN_CAPABILITIES);
  throw new UsageError(
    `${where}: unknown capability '${bad}'${near ? `; did you mean ${near}?` : ''}`,
    'the capabilities are listed by mytoken capabilities (a server-side template is @NAME); --force sends the name anyway',
  );
}
