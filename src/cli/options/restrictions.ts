// The restriction flags ("R flags"): --restrictions and the single-clause flags (spec cli.md 4.2).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { NewTokenOptions } from '../../request/mytoken.js';
import { addFlags, type FlagSpec, type FlagValue, list, parseGoInt, readFlags, str } from '../flags.js';

const RESTRICTIONS_ENV = ['MYTOKEN_RESTRICTIONS', 'MYTOKEN_RESTRICTION'];

export const restrictionFlags: FlagSpec[] = [
  {
    key: 'restrictions',
    names: ['--restrictions', '--restriction'],
    value: 'RESTRICTIONS',
    env: RESTRICTIONS_ENV,
    description:
      'restrictions of the new mytoken: a JSON clause or array of clauses, a JSON file (./f.json, ~/f.json, /abs/f.json), or restriction template names separated by spaces; times may be "+1d" strings',
  },
  { key: 'scope', names: ['-s', '--scope', '--scopes'], value: 'SCOPE', repeatable: true, description: 'allow access tokens with only this scope' },
  { key: 'aud', names: ['--aud', '--audience', '--audiences'], value: 'AUD', repeatable: true, description: 'allow access tokens for only this audience' },
  { key: 'exp', names: ['--exp', '--naf'], value: 'EXP', description: 'not usable after this time: a Unix timestamp, "YYYY-MM-DD HH:MM" (local time) or +<duration> such as +1d12h' },
  { key: 'nbf', names: ['--nbf'], value: 'NBF', description: 'not usable before this time (same forms as --exp)' },
  {
    key: 'host',
    names: ['--host', '--ip', '--ips', '--ip-allow', '--hosts'],
    value: 'HOST',
    repeatable: true,
    description: 'usable only from this IP address, network (10.0.0.0/8), host name or *.domain; "this" is the address the request comes from',
  },
  { key: 'geoAllow', names: ['--geo-ip-allow'], value: 'COUNTRY', repeatable: true, description: 'usable only from this country (ISO code, e.g. DE)' },
  { key: 'geoDisallow', names: ['--geo-ip-disallow'], value: 'COUNTRY', repeatable: true, description: 'not usable from this country (ISO code)' },
  { key: 'usagesAT', names: ['--usages-AT', '--usages-at'], value: 'N', description: 'how many access tokens it may give', defaultText: 'infinite' },
  { key: 'usagesOther', names: ['--usages-other'], value: 'N', description: 'how many other uses it allows', defaultText: 'infinite' },
];

/** --force of MT and settings grants ssh add: ask for what looks like a mistake all the same. */
export const forceFlag: FlagSpec = {
  key: 'force',
  names: ['--force'],
  description: 'ask for the mytoken even when a restriction ended before now or a capability name is unknown to this client',
};

export function addRestrictionFlags(cmd: Command): Command {
  return addFlags(cmd, restrictionFlags);
}

function usages(v: FlagValue | undefined, flag: string): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  const n = parseGoInt(s);
  if (n === undefined) throw new UsageError(`${flag}: "${s}" is not a whole number`);
  if (n < 0) throw new UsageError(`${flag}: ${n} is negative`, 'give 0 to forbid that kind of usage, or leave the flag out for no limit');
  return n;
}

/** The restriction parts of a new-token request. */
export function readRestrictionFlags(cmd: Command, env: Record<string, string | undefined>): Pick<NewTokenOptions, 'restrictions' | 'clause'> {
  const v = readFlags(cmd, restrictionFlags, env);
  const value = str(v.restrictions);
  const fromFlag = readFlags(cmd, restrictionFlags, {}).restrictions !== undefined;
  const source = fromFlag ? '--restrictions' : (RESTRICTIONS_ENV.find((e) => env[e] !== undefined) ?? '--restrictions');
  return {
    restrictions: value ? { value, source } : undefined,
    clause: {
      nbf: str(v.nbf),
      exp: str(v.exp),
      scopes: list(v.scope),
      audiences: list(v.aud),
      hosts: list(v.host),
      geoipAllow: list(v.geoAllow),
      geoipDisallow: list(v.geoDisallow),
      usagesAT: usages(v.usagesAT, '--usages-AT'),
      usagesOther: usages(v.usagesOther, '--usages-other'),
    },
  };
}
