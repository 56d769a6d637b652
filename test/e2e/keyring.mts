// A real Secret Service for tests: gnome-keyring-daemon on a private D-Bus session bus, one per test
// file. The bus is a dbus-daemon of its own (a config without service folders, so nothing is
// started on demand: a bus without the daemon really has no Secret Service), listening on a socket
// in a private folder. The keyring files live in a HOME of their own; the login keyring is made
// and unlocked with a known password. Both daemons are children of the test process, started
// under `setpriv --pdeathsig TERM`, so they end with it even if it is killed; stop() ends them and
// removes the folder.
//
//   const ss = await startSecretService();   // { daemon: false }: a bare bus; { unlock: false }: no keyring
//   spawn(cmd, args, { env: ss.env });       // HOME, XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS, PATH...
//   ss.secretTool(['lookup', 'service', 'mytoken', 'username', 'alice']);
//   ss.lock(); ss.freeze(); ss.thaw();
//   await ss.silencePrompts();               // prompts to unlock go to a prompter that never answers
//   await ss.stop();
//
// keyring-steps.mts runs the backend's operations in a child with such an environment.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseEnv } from './helpers.mjs';

/** The programs the harness runs, and the Debian packages that hold them (.ci/run installs them). */
export const KEYRING_TOOLS: Readonly<Record<string, string>> = {
  'dbus-daemon': 'dbus-daemon',
  'dbus-send': 'dbus-bin',
  'gnome-keyring-daemon': 'gnome-keyring',
  'secret-tool': 'libsecret-tools',
  setpriv: 'util-linux',
};

/** The Python that has D-Bus bindings (Debian's python3-dbus, python3-gi), for the silent prompter. */
const SYSTEM_PYTHON = '/usr/bin/python3';

/** Why prompts cannot be silenced here (no Python with D-Bus bindings), or false; see keyringSkip. */
export function promptSkip(): string | false {
  if (spawnSync(SYSTEM_PYTHON, ['-c', 'import dbus, dbus.service, dbus.mainloop.glib; from gi.repository import GLib']).status === 0) return false;
  const why = `${SYSTEM_PYTHON} with the modules dbus and gi is missing (apt-get install python3-dbus python3-gi; bash .ci/run does)`;
  if (process.env.MYTOKEN_REQUIRE_KEYRING === '1') throw new Error(why);
  return why;
}

/**
 * Why the keyring tests cannot run here (a program missing), or false. With
 * MYTOKEN_REQUIRE_KEYRING=1 (set by .ci/run) a missing program is an error instead of a skip.
 */
export function keyringSkip(): string | false {
  const missing = Object.keys(KEYRING_TOOLS).filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  if (missing.length === 0) return false;
  const why = `${missing.join(', ')} not installed (apt-get install ${[...new Set(missing.map((p) => KEYRING_TOOLS[p]))].join(' ')}; bash .ci/run does)`;
  if (process.env.MYTOKEN_REQUIRE_KEYRING === '1') throw new Error(why);
  return why;
}

export interface SecretService {
  /** the private folder (bus socket, bus config, HOME); removed by stop() */
  readonly dir: string;
  /** HOME of the keyring, with run/ as XDG_RUNTIME_DIR (the layout of helpers.tempHome) */
  readonly home: string;
  /** DBUS_SESSION_BUS_ADDRESS of the private bus */
  readonly address: string;
  /** the environment for a child: baseEnv(home) plus DBUS_SESSION_BUS_ADDRESS */
  readonly env: NodeJS.ProcessEnv;
  /** the pids of the bus and (unless started without one) the keyring daemon */
  readonly pids: number[];
  /** runs secret-tool against this keyring (input on stdin) */
  secretTool(args: string[], input?: string | Buffer): { status: number | null; stdout: string; stderr: string };
  /** locks the login collection (unlocking it again would need a prompt, which cannot be shown here) */
  lock(): void;
  /** stops the keyring daemon (SIGSTOP): the bus is there, the Secret Service no longer answers */
  freeze(): void;
  /** lets a frozen daemon go on (SIGCONT) */
  thaw(): void;
  /**
   * Plays the desktop's prompter (org.gnome.keyring.SystemPrompter) and never answers: a prompt to
   * unlock the keyring then waits as one on a desktop waits for its user (until gnome-keyring gives
   * up on the prompter after about 25 s). Needs promptSkip() to be false.
   */
  silencePrompts(): Promise<void>;
  /** ends the daemons and removes the folder */
  stop(): Promise<void>;
}

export interface SecretServiceOptions {
  /** start gnome-keyring-daemon on the bus (default true) */
  daemon?: boolean;
  /** make the login keyring (with `password`) and unlock it (default true); false leaves the daemon without any keyring */
  unlock?: boolean;
  /** the login keyring's password */
  password?: string;
}

/** Starts a private bus and (by default) an unlocked gnome-keyring on it. */
export async function startSecretService(opts: SecretServiceOptions = {}): Promise<SecretService> {
  const dir = mkdtempSync(join(tmpdir(), 'mytoken-keyring-'));
  const home = join(dir, 'home');
  mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
  const config = join(dir, 'bus.conf');
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${join(dir, 'bus')}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children.reverse()) await end(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const bus = spawn('setpriv', ['--pdeathsig', 'TERM', '--', 'dbus-daemon', `--config-file=${config}`, '--nofork', '--print-address=1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(bus);
    const address = await firstLine(bus, 'dbus-daemon');
    const env = baseEnv(home, { DBUS_SESSION_BUS_ADDRESS: address });
    if (opts.daemon !== false) {
      const unlock = opts.unlock === false ? [] : ['--unlock'];
      const daemon = spawn('setpriv', ['--pdeathsig', 'TERM', '--', 'gnome-keyring-daemon', '--foreground', ...unlock, '--components=secrets'], {
        env,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      children.push(daemon);
      daemon.stdin!.end(opts.unlock === false ? '' : (opts.password ?? 'test-keyring-password'));
      await secretsOnBus(env, daemon);
    }
    const dbusSend = (args: string[]) => {
      const r = spawnSync('dbus-send', ['--session', '--print-reply', ...args], { env, encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) throw new Error(`dbus-send ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const daemonPid = () => {
      const pid = children[1]?.pid;
      if (!pid) throw new Error('started without a keyring daemon');
      return pid;
    };
    return {
      dir,
      home,
      address,
      env,
      pids: children.map((c) => c.pid!),
      secretTool: (args, input) => {
        const r = spawnSync('secret-tool', args, { env, input: input ?? '', encoding: 'utf8', timeout: 10_000 });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      },
      lock: () => {
        dbusSend(['--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login']);
      },
      freeze: () => process.kill(daemonPid(), 'SIGSTOP'),
      thaw: () => process.kill(daemonPid(), 'SIGCONT'),
      silencePrompts: async () => {
        const prompter = spawn('setpriv', ['--pdeathsig', 'TERM', '--', SYSTEM_PYTHON, '-c', SILENT_PROMPTER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(prompter);
        await firstLine(prompter, 'the silent prompter');
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A prompter that takes org.gnome.keyring.SystemPrompter and leaves every call unanswered. */
const SILENT_PROMPTER = `
import dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
IFACE = 'org.gnome.keyring.internal.Prompter'
class Silent(dbus.service.Object):
    @dbus.service.method(IFACE, in_signature='o', out_signature='', async_callbacks=('ok', 'err'))
    def BeginPrompting(self, callback, ok, err): pass
    @dbus.service.method(IFACE, in_signature='osa{sv}s', out_signature='', async_callbacks=('ok', 'err'))
    def PerformPrompt(self, callback, kind, props, exchange, ok, err): pass
    @dbus.service.method(IFACE, in_signature='o', out_signature='')
    def StopPrompting(self, callback): pass
name = dbus.service.BusName('org.gnome.keyring.SystemPrompter', bus)
Silent(bus, '/org/gnome/keyring/Prompter')
print('ready', flush=True)
GLib.MainLoop().run()
`;

/** The first line a child prints (dbus-daemon's address), or an error when it exits first. */
function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => reject(new Error(`${what} printed no address within 10 s: ${err}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        resolve(out.slice(0, nl).trim());
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited (${code}): ${err}`));
    });
  });
}

/** Waits until the daemon owns org.freedesktop.secrets on the bus. */
async function secretsOnBus(env: NodeJS.ProcessEnv, daemon: ChildProcess): Promise<void> {
  let err = '';
  daemon.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 200; i++) {
    if (daemon.exitCode !== null) throw new Error(`gnome-keyring-daemon exited (${daemon.exitCode}): ${err}`);
    const r = spawnSync(
      'dbus-send',
      ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'],
      { env, encoding: 'utf8', timeout: 5_000 },
    );
    if (/boolean true/.test(r.stdout)) return;
    await new Promise((r2) => setTimeout(r2, 25));
  }
  throw new Error(`gnome-keyring-daemon did not take org.freedesktop.secrets within 5 s: ${err}`);
}

/** Ends a child (SIGCONT first, in case it was frozen; SIGKILL when SIGTERM is not enough) and waits for it. */
async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await gone;
  clearTimeout(t);
}
