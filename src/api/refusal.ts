// What to do when a server refuses a mytoken (invalid_token, server-api 1.4): the hint says why,
// as far as the client can tell (the server's error_description, the JWT's own exp and nbf, read
// without verification), and how to get a new one.

export interface RefusedToken {
  /** the server's error_description */
  description?: string;
  /** HTTP status of the refusal (400 for a parent without a refresh token) */
  status: number;
  /** the mytoken's `exp` and `nbf` claims (Unix seconds) when it is a JWT that has them */
  exp?: number;
  nbf?: number;
  /** whether the mytoken rotates (so a newer version may have replaced it) */
  rotates: boolean;
  /** the file the mytoken came from, as the user named it */
  file?: string;
  /** now, in Unix seconds */
  now: number;
}

const two = (n: number) => String(n).padStart(2, '0');

/** Unix seconds as local `YYYY-MM-DD HH:MM:SS` (as in tables). */
function localTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A file name as a shell word: quoted when it holds anything but the usual characters. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** The hint for a mytoken the server refused with invalid_token. */
export function refusedTokenHint(r: RefusedToken): string {
  const newOne = `log in for a new one: mytoken MT --oidc -o ${r.file ? shellWord(r.file) : 'FILE'}`;
  const d = r.description ?? '';
  const expired = r.exp !== undefined && r.exp <= r.now;
  if (/expired/i.test(d) || (expired && !/not valid yet/i.test(d))) {
    return `${expired ? `the mytoken expired on ${localTime(r.exp!)}` : 'the mytoken has expired'}; ${newOne}`;
  }
  if (/not valid yet/i.test(d)) {
    const from = r.nbf !== undefined && r.nbf > r.now ? ` before ${localTime(r.nbf)}` : ' yet';
    return `the mytoken is not valid${from}: use it then, or check this computer's clock and the server's`;
  }
  if (/refresh token/i.test(d) || (r.status === 400 && !d)) {
    return `the mytoken's login at the OpenID provider has ended (the provider revoked or expired it); ${newOne}`;
  }
  if (/not valid|no mytoken found/i.test(d)) {
    return `the server does not know this mytoken: check that it is whole and that it is one of this server's; otherwise ${newOne}`;
  }
  const why = r.rotates ? 'it was revoked, or it rotates and a newer version has replaced it (another run or copy used it)' : 'it was revoked (by you, with a token above it, or by the server)';
  return `the server no longer accepts this mytoken: ${why}; ${newOne}`;
}

/** The hint for a request refused with insufficient_capabilities, made with a mytoken. */
export function capabilityHint(capability: string): string {
  return `this needs a mytoken with the capability ${capability}; log in for one that has it: mytoken MT --oidc -o FILE --capability ${capability} (and the others it should have)`;
}
