// The rotation flags ("ROT flags", spec cli.md 4.4).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { NewTokenOptions } from '../../request/mytoken.js';
import { addFlags, bool, type FlagSpec, parseGoInt, readFlags, str } from '../flags.js';

export const rotationFlags: FlagSpec[] = [
  {
    key: 'rotation',
    names: ['--rotation', '--rotate'],
    value: 'ROTATION',
    env: ['MYTOKEN_ROTATION'],
    description: 'rotation of the new mytoken: a JSON object, a JSON file (./f.json ...) or rotation template names separated by spaces',
  },
  { key: 'onAT', names: ['--rotation-on-AT', '--rotate-on-AT', '--rotate-on-at', '--rotation-on-at'], description: 'replace the mytoken each time it gives an access token' },
  { key: 'onOther', names: ['--rotation-on-other', '--rotate-on-other'], description: 'replace the mytoken on each other use' },
  { key: 'autoRevoke', names: ['--rotation-auto-revoke'], description: 'revoke the mytoken when an old version of it is used' },
  { key: 'lifetime', names: ['--rotation-lifetime'], value: 'SECONDS', description: 'each version of the mytoken is valid this long', defaultText: 'infinite' },
];

export function addRotationFlags(cmd: Command): Command {
  return addFlags(cmd, rotationFlags);
}

export function readRotationFlags(cmd: Command, env: Record<string, string | undefined>): Pick<NewTokenOptions, 'rotation' | 'rotationFlags'> {
  const v = readFlags(cmd, rotationFlags, env);
  let lifetime: number | undefined;
  const l = str(v.lifetime);
  if (l !== undefined) {
    lifetime = parseGoInt(l);
    if (lifetime === undefined || lifetime < 0) throw new UsageError(`--rotation-lifetime: "${l}" is not a whole number of seconds`);
  }
  return {
    rotation: str(v.rotation),
    rotationFlags: { onAT: bool(v.onAT), onOther: bool(v.onOther), autoRevoke: bool(v.autoRevoke), lifetime },
  };
}
