// Command-line options of `npm run server` and `npm run demo`: fixed ports, so that a config file
// written for the local servers stays valid across restarts.

export interface PortOptions {
  port?: number;
  opPort?: number;
  sshPort?: number;
}

export class ArgsError extends Error {}

const PORTS = [
  { flag: '--port', env: 'MYTOKEN_SERVER_PORT', key: 'port', what: 'the mytoken server (http://127.0.0.1:PORT)' },
  { flag: '--op-port', env: 'MYTOKEN_SERVER_OP_PORT', key: 'opPort', what: 'its OpenID provider (the issuer http://127.0.0.1:PORT)' },
  { flag: '--ssh-port', env: 'MYTOKEN_SERVER_SSH_PORT', key: 'sshPort', what: 'the SSH server of the ssh grant' },
] as const;

/** The lines of --help that describe the port options (each flag, its variable, what it sets). */
export function portHelp(): string {
  return (
    PORTS.map((p) => `  ${`${p.flag} PORT`.padEnd(17)} port of ${p.what}; env ${p.env}\n`).join('') +
    '                    default: a free port chosen at start (0); the flag wins over the variable\n'
  );
}

function port(text: string, where: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new ArgsError(`${where}: '${text}' is not a port number (0-65535)`);
  return Number(text);
}

/**
 * The port options from `args` and `env`; `extra` names other flags (without value) the caller
 * accepts, which are returned as seen. `--help`/`-h` gives `help: true`. Throws ArgsError.
 */
export function parseServerArgs(
  args: string[],
  env: Record<string, string | undefined>,
  extra: string[] = [],
): { ports: PortOptions; help: boolean; flags: Set<string> } {
  const ports: PortOptions = {};
  for (const p of PORTS) {
    const v = env[p.env];
    if (v !== undefined && v !== '') ports[p.key] = port(v, p.env);
  }
  const flags = new Set<string>();
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (extra.includes(a)) {
      flags.add(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const p = PORTS.find((x) => x.flag === name);
    if (!p) throw new ArgsError(`unknown option '${a}'`);
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new ArgsError(`${p.flag} needs a port number`);
    ports[p.key] = port(value, p.flag);
  }
  return { ports, help, flags };
}

/** A listen error as a sentence with the next step; other errors unchanged. */
export function describeStartError(e: unknown, ports: PortOptions): string {
  const err = e as NodeJS.ErrnoException & { port?: number };
  if (err?.code === 'EADDRINUSE' || err?.code === 'EACCES') {
    const used = err.port ?? /:(\d+)\b/.exec(err.message)?.[1];
    const which = PORTS.find((p) => ports[p.key] !== undefined && String(ports[p.key]) === String(used));
    const reason = err.code === 'EADDRINUSE' ? 'is in use' : 'may not be used by this user';
    return `port ${used ?? '?'} ${reason}${which ? ` (${which.flag} or ${which.env})` : ''}: choose another one, or 0 for a free one`;
  }
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
