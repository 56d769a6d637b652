// What every command action gets: environment, global flags, config, the server to talk to, the
// mytoken (found, locked and kept current while used), and the operations on it.
import type { Command } from 'commander';
import { httpOperations, type Operations } from '../api/operations.js';
import { refusedTokenHint } from '../api/refusal.js';
import type { MytokenServer } from '../api/server.js';
import { sshOperations } from '../ssh/operations.js';
import { type Config, loadConfig } from '../config/config.js';
import { MytokenServerError, UsageError } from '../errors.js';
import { promptSecret } from '../output/prompt.js';
import { euid } from '../safefs.js';
import { isTerminal, reportWriteBack, warn } from '../output/terminal.js';
import { rotatingWaitMs } from '../api/http.js';
import { type TokenSession, withMytoken } from '../tokens/rotation.js';
import { decodeJwtPayload, mayRotate } from '../tokens/jwt.js';
import { checkOutputTarget, findMytoken, type FoundToken, noTokenHint } from '../tokens/source.js';
import { readFlags } from './flags.js';
import { globalFlags } from './options/global.js';
import { instanceUrl, serverFor } from './servers.js';
import { sshTarget, type TokenFlags } from './options/token-source.js';
import { colorsEnabled, Style } from '../output/style.js';

type Env = Record<string, string | undefined>;

export class Context {
  readonly env: Env;
  private readonly root: Command;
  private cfg?: Config;
  /** aborted by Ctrl-C */
  readonly signal: AbortSignal;
  /** Set when a rotated mytoken could not be stored where it came from: the command then exits 1. */
  writeBackFailed = false;
  /** Set when the command did its main work but not all of it (said on stderr): it then exits 1. */
  partialFailure = false;

  constructor(root: Command, env: Env, signal: AbortSignal) {
    this.root = root;
    this.env = env;
    this.signal = signal;
  }

  private globals() {
    return readFlags(this.root, globalFlags, this.env);
  }

  config(): Config {
    if (!this.cfg) this.cfg = loadConfig(this.globals().config, this.env);
    return this.cfg;
  }

  /** --url / MYTOKEN_URL, else instance from the config. */
  instance(): string {
    return instanceUrl(this.globals().url, () => this.config());
  }

  /** The server for this mytoken: the one its `iss` names when it is a JWT, else the configured one. */
  serverFor(token?: string): MytokenServer {
    return serverFor(token, () => this.instance(), this.env);
  }

  /** The mytoken from the sources the user gave, or discovered; undefined when there is none. */
  async findMytoken(src: TokenFlags): Promise<FoundToken | undefined> {
    return findMytoken(src, {
      env: this.env,
      wlcgDiscovery: this.config().useWlcgTokenDiscovery,
      defaultKeyringEntry: this.config().defaultKeyringEntry || undefined,
      prompt: () => promptSecret('Mytoken: '),
      onRefused: (file, why) => warn(`not using ${file} (WLCG token discovery): it ${why}`),
    });
  }

  /**
   * Runs `use` with the mytoken (locked and re-read when it may rotate); every rotated version is
   * written back, and the user told, as soon as a reply carries it.
   */
  async useMytoken<T>(found: FoundToken, use: (session: TokenSession) => Promise<T>): Promise<T> {
    let used: TokenSession | undefined;
    try {
      return await this.withSession(found, (session) => use((used = session)));
    } catch (e) {
      // a refused mytoken: why, as far as the client can tell, and how to get a new one
      if (!(e instanceof MytokenServerError && e.aboutMytoken && e.error === 'invalid_token' && !e.hint)) throw e;
      const claims = decodeJwtPayload(used?.token ?? found.token) ?? {};
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
      throw e.withHint(
        refusedTokenHint({
          description: e.errorDescription,
          status: e.status,
          exp: num(claims.exp),
          nbf: num(claims.nbf),
          rotates: used?.mayRotate ?? mayRotate(found.token),
          file: found.store?.file,
          now: Date.now() / 1000,
        }),
      );
    }
  }

  private withSession<T>(found: FoundToken, use: (session: TokenSession) => Promise<T>): Promise<T> {
    return withMytoken(found, use, {
      signal: this.signal,
      // a holder may wait for a rotating request's answer that long, and a little more
      lockTimeoutMs: rotatingWaitMs(this.env) + 60_000,
      onWriteBack: (wb) => {
        if (!reportWriteBack(wb)) this.writeBackFailed = true;
      },
      onSlow: (seconds) =>
        warn(`no answer from the server within ${seconds} s; still waiting, because the request may have rotated the mytoken and the new version comes only with the answer`),
      onRecovered: (file, wb) => {
        warn(`used the newer mytoken that an earlier run received but did not store in ${file} (it was kept ${found.store?.file ? 'beside the file' : 'in the rotation journal'})`);
        if (!reportWriteBack(wb)) this.writeBackFailed = true;
      },
    });
  }

  /**
   * Runs `use` with the operations of the mytoken the flags name (or `found`, when the command has
   * looked for it already), over HTTP against its server; with --ssh, over ssh (no mytoken is read).
   * `output`: the file the command will write (-o), refused when it is where the mytoken lives.
   */
  async operate<T>(source: TokenFlags, use: (ops: Operations) => Promise<T>, opts: { found?: FoundToken; output?: string } = {}): Promise<T> {
    const target = sshTarget(source, this.env);
    if (target) return use(sshOperations(target, this.signal));
    const found = opts.found ?? (await this.requireMytoken(source));
    checkOutputTarget(opts.output, found);
    return this.atItsServer(found, (server, session) => use(httpOperations(server, session)));
  }

  /** Runs `use` with the mytoken the flags name and its server, for what the ssh grant cannot do. */
  async withServer<T>(source: TokenFlags, use: (server: MytokenServer, cred: TokenSession) => Promise<T>): Promise<T> {
    if (source.ssh !== undefined) throw new UsageError('this command does not work over ssh in this version', 'leave out --ssh and pass the mytoken (--MT-file ...)');
    return this.atItsServer(await this.requireMytoken(source), use);
  }

  /** Runs `use` with the mytoken's server (its issuer's, or the configured one) and the mytoken in use. */
  private atItsServer<T>(found: FoundToken, use: (server: MytokenServer, cred: TokenSession) => Promise<T>): Promise<T> {
    const server = this.serverFor(found.token);
    return this.useMytoken(found, (session) => use(server, session));
  }

  /** Colours and text styles for stdout. */
  style(): Style {
    return new Style(colorsEnabled(this.env, this.globals().noColor, isTerminal(1)));
  }

  /** Like findMytoken, but no mytoken at all is a usage error. */
  async requireMytoken(src: TokenFlags): Promise<FoundToken> {
    const found = await this.findMytoken(src);
    if (!found) {
      const cfg = this.config();
      throw new UsageError('no mytoken given', noTokenHint({ env: this.env, uid: euid(), wlcgDiscovery: cfg.useWlcgTokenDiscovery, configFile: cfg.file }));
    }
    return found;
  }
}
