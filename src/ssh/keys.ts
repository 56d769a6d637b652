// ssh public keys as `settings grants ssh add|delete` take them: a key line, or a file holding one.
import { UsageError } from '../errors.js';
import { FileProblem, readLimited } from '../safefs.js';

const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/** Whether one line is an OpenSSH public key (authorized_keys format: options, type, base64, comment). */
export function isPublicKeyLine(line: string): boolean {
  const words = line.trim().split(/\s+/);
  const i = words.findIndex((w) => KEY_TYPES.has(w));
  if (i < 0 || i + 1 >= words.length) return false;
  const blob = Buffer.from(words[i + 1]!, 'base64');
  if (blob.length < 4) return false;
  // the key blob starts with its own type name
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1') === words[i];
}

/** The key to send: the argument itself when it is a key line, else the content of the file it names. */
export function publicKeyFrom(arg: string): string {
  if (isPublicKeyLine(arg)) return arg;
  let text: string;
  try {
    // a public key file is a few KB at most (an RSA key with a long comment)
    text = readLimited(arg, { maxBytes: 64 * 1024 });
  } catch (e) {
    if (!(e instanceof FileProblem)) throw e;
    const why = e.code === 'ENOENT' ? 'there is no such file' : `it ${e.why}`;
    throw new UsageError(`'${arg}' is neither an ssh public key nor a file holding one (${why})`, 'give the key file, e.g. ~/.ssh/id_ed25519.pub');
  }
  if (!text.split('\n').some(isPublicKeyLine)) {
    throw new UsageError(`${arg} holds no ssh public key`, 'give the .pub file, not the private key');
  }
  return text;
}
