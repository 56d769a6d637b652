// The restriction flags ("R flags"): --restrictions and the single-clause flags (spec cli.md 4.2).
import { UsageError } from '../../errors.js';
import type { NewTokenOptions } from '../../request/mytoken.js';
import { defineFlags, envSource, type FlagValues, parseGoInt } from '../flags.js';

export const restrictionFlags = defineFlags({
  restrictions: {
    names: ['--restrictions', '--restriction'],
    value: 'RESTRICTIONS',
    env: ['MYTOKEN_RESTRICTIONS', 'MYTOKEN_RESTRICTION'],
    description:
      'restrictions of the new mytoken: a JSON clause or array of clauses, a JSON file (./f.json, ~/f.json, /abs/f.json), or restriction template names separated by spaces; times may be "+1d" strings',
    doc:
      'all restrictions at once: a JSON clause (`\'{"exp":"+1d","usages_AT":10}\'`), a JSON array of clauses (the mytoken is usable when any one ' +
      'clause allows it), a JSON file (`./r.json`, `../r.json`, `~/r.json`, `/abs/r.json`), or server-side restriction template names separated ' +
      'by spaces (`"1d ip-this"`); cannot be combined with the single-clause flags below',
  },
  scope: {
    names: ['-s', '--scope', '--scopes'],
    value: 'SCOPE',
    repeatable: true,
    description: 'allow access tokens with only this scope',
    doc: 'access tokens with these scopes only',
  },
  aud: {
    names: ['--aud', '--audience', '--audiences'],
    value: 'AUD',
    repeatable: true,
    description: 'allow access tokens for only this audience',
    doc: 'access tokens for these audiences only',
  },
  exp: {
    names: ['--exp', '--naf'],
    value: 'EXP',
    description: 'not usable after this time: a Unix timestamp, "YYYY-MM-DD HH:MM" (local time) or +<duration> such as +1d12h',
    doc: 'not usable after this time (a time value, see below)',
  },
  nbf: { names: ['--nbf'], value: 'NBF', description: 'not usable before this time (same forms as --exp)', doc: 'not usable before this time (a time value)' },
  host: {
    names: ['--host', '--ip', '--ips', '--ip-allow', '--hosts'],
    value: 'HOST',
    repeatable: true,
    description: 'usable only from this IP address, network (10.0.0.0/8), host name or *.domain; "this" is the address the request comes from',
    doc: 'usable only from these IP addresses, networks (`10.0.0.0/8`), host names or `*.domain`; `this` is the address the request comes from',
  },
  geoAllow: { names: ['--geo-ip-allow'], value: 'COUNTRY', repeatable: true, description: 'usable only from this country (ISO code, e.g. DE)' },
  geoDisallow: { names: ['--geo-ip-disallow'], value: 'COUNTRY', repeatable: true, description: 'not usable from this country (ISO code)' },
  usagesAT: {
    names: ['--usages-AT', '--usages-at'],
    value: 'N',
    description: 'how many access tokens it may give',
    doc: 'how many access tokens it may give (0 forbids)',
    defaultText: 'infinite',
  },
  usagesOther: {
    names: ['--usages-other'],
    value: 'N',
    description: 'how many other uses it allows',
    doc: 'how many other uses it allows (0 forbids)',
    defaultText: 'infinite',
  },
});

/** --force of MT and settings grants ssh add: ask for what looks like a mistake all the same. */
export const forceFlags = defineFlags({
  force: {
    names: ['--force'],
    description: 'ask for the mytoken even when a restriction ended before now or a capability name is unknown to this client',
  },
});

function usages(s: string | undefined, flag: string): number | undefined {
  if (s === undefined) return undefined;
  const n = parseGoInt(s);
  if (n === undefined) throw new UsageError(`${flag}: "${s}" is not a whole number`);
  if (n < 0) throw new UsageError(`${flag}: ${n} is negative`, 'give 0 to forbid that kind of usage, or leave the flag out for no limit');
  return n;
}

/** The restriction parts of a new-token request, from the restriction flags' values. */
export function restrictionOptions(v: FlagValues<typeof restrictionFlags>): Pick<NewTokenOptions, 'restrictions' | 'clause'> {
  // the name the value came by, for messages: the flag, or the environment variable that gave it
  const source = envSource(v, 'restrictions') ?? '--restrictions';
  return {
    restrictions: v.restrictions ? { value: v.restrictions, source } : undefined,
    clause: {
      nbf: v.nbf,
      exp: v.exp,
      scopes: v.scope,
      audiences: v.aud,
      hosts: v.host,
      geoipAllow: v.geoAllow,
      geoipDisallow: v.geoDisallow,
      usagesAT: usages(v.usagesAT, '--usages-AT'),
      usagesOther: usages(v.usagesOther, '--usages-other'),
    },
  };
}
