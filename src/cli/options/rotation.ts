// The rotation flags ("ROT flags", spec cli.md 4.4).
import { UsageError } from '../../errors.js';
import type { NewTokenOptions } from '../../request/mytoken.js';
import { defineFlags, type FlagValues, parseGoInt } from '../flags.js';

export const rotationFlags = defineFlags({
  rotation: {
    names: ['--rotation', '--rotate'],
    value: 'ROTATION',
    env: ['MYTOKEN_ROTATION'],
    description: 'rotation of the new mytoken: a JSON object, a JSON file (./f.json ...) or rotation template names separated by spaces',
    doc: 'rotation of the new mytoken: a JSON object (`\'{"on_AT":true,"lifetime":86400}\'`), a JSON file, or rotation template names; the flags below add to it, and also work alone',
  },
  onAT: { names: ['--rotation-on-AT', '--rotate-on-AT', '--rotate-on-at', '--rotation-on-at'], description: 'replace the mytoken each time it gives an access token' },
  onOther: { names: ['--rotation-on-other', '--rotate-on-other'], description: 'replace the mytoken on each other use' },
  autoRevoke: { names: ['--rotation-auto-revoke'], description: 'revoke the mytoken when an old version of it is used' },
  lifetime: { names: ['--rotation-lifetime'], value: 'SECONDS', description: 'each version of the mytoken is valid this long', defaultText: 'infinite' },
});

/** The rotation parts of a new-token request, from the rotation flags' values. */
export function rotationOptions(v: FlagValues<typeof rotationFlags>): Pick<NewTokenOptions, 'rotation' | 'rotationFlags'> {
  let lifetime: number | undefined;
  const l = v.lifetime;
  if (l !== undefined) {
    lifetime = parseGoInt(l);
    if (lifetime === undefined || lifetime < 0) throw new UsageError(`--rotation-lifetime: "${l}" is not a whole number of seconds`);
  }
  return {
    rotation: v.rotation,
    rotationFlags: { onAT: v.onAT, onOther: v.onOther, autoRevoke: v.autoRevoke, lifetime },
  };
}
