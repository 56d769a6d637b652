// A mytoken server: its configuration document, its user-settings document, and requests to the
// endpoints they name.
import { AnswerLostError, MytokenServerError, NoAnswerError } from '../errors.js';
import { discover, endpoint } from './discovery.js';
import { type HttpRequest, rotatingWaitMs } from './http.js';
import { capabilityHint } from './refusal.js';
import { requestJSON } from './reply.js';
import type { Credential, ServerConfiguration, SettingsEndpoints, WithTokenUpdate } from './types.js';

type Env = Record<string, string | undefined>;
type StringKeys<D> = { [K in keyof D]-?: D[K] extends string | undefined ? K : never }[keyof D] & string;
export type EndpointKey = StringKeys<ServerConfiguration>;
export type SettingsKey = StringKeys<SettingsEndpoints>;

export interface CallOptions extends Omit<HttpRequest, 'url' | 'env'> {
  /** appended to the endpoint URL: `/calendars`, `/` + an escaped id */
  path?: string;
  /** the capability the request needs: named in the error when the server says it is missing */
  capability?: string;
  /** the mytoken the request is made with: a `token_update` in the reply goes to it */
  credential?: Credential;
}

/** One URL path segment: ids, tag names and group names are escaped, whatever they contain. */
export const segment = (s: string): string => `/${encodeURIComponent(s)}`;

export class MytokenServer {
  readonly instance: string;
  readonly env: Env;
  private discovered?: { config: ServerConfiguration; cached: boolean };
  private settings?: SettingsEndpoints;

  constructor(instance: string, env: Env) {
    this.instance = instance;
    this.env = env;
  }

  async configuration(fresh = false): Promise<ServerConfiguration> {
    if (!this.discovered || fresh) this.discovered = await discover(this.instance, this.env, { fresh });
    return this.discovered.config;
  }

  /**
   * Sends a request to the endpoint named `key` in the configuration document. If the document
   * came from the cache and the server says the endpoint does not exist, the document is fetched
   * again once (the server may have moved its endpoints).
   */
  async call<T>(key: EndpointKey, what: string, req: CallOptions): Promise<T | undefined> {
    const config = await this.configuration();
    const url = endpoint(config, key, what, this.instance);
    try {
      return await send<T>(url, req, this.env);
    } catch (e) {
      if (!(e instanceof MytokenServerError && e.status === 404 && e.error === 'not_found' && this.discovered?.cached)) throw e;
      const again = endpoint(await this.configuration(true), key, what, this.instance);
      if (again === url) throw e;
      return send<T>(again, req, this.env);
    }
  }

  /** The user-settings document (grant, e-mail and tag endpoints), fetched once per run. */
  async settingsEndpoints(): Promise<SettingsEndpoints> {
    this.settings ??= (await this.call<SettingsEndpoints>('usersettings_endpoint', 'user settings', { method: 'GET' })) ?? {};
    return this.settings;
  }

  /** Sends a request to an endpoint named in the user-settings document. */
  async callSettings<T>(key: SettingsKey, what: string, req: CallOptions): Promise<T | undefined> {
    const url = endpoint(await this.settingsEndpoints(), key, what, this.instance);
    return send<T>(url, req, this.env);
  }
}

async function send<T>(base: string, req: CallOptions, env: Env): Promise<T | undefined> {
  const { path, capability, credential, ...http } = req;
  // once a request with a rotating mytoken is sent, its answer carries the only copy of the new version
  const patientAfterSend = credential?.mayRotate ? { waitMs: rotatingWaitMs(env), onSlow: (s: number) => credential.onSlow?.(s) } : undefined;
  try {
    const json = (await requestJSON<T>({ ...http, url: base + (path ?? ''), env, patientAfterSend })).json;
    await credential?.update(json as WithTokenUpdate | undefined);
    return json;
  } catch (e) {
    if (credential?.mayRotate && e instanceof NoAnswerError && e.sent) {
      throw new AnswerLostError(
        `${e.message}. The request used a mytoken that rotates: the server may have rotated it, and the new version came only with the answer`,
        'if the next use of this mytoken is refused, that request used it up: log in again for a new mytoken (mytoken MT)',
      );
    }
    if (capability && e instanceof MytokenServerError && e.error === 'insufficient_capabilities') {
      throw e.withHint(capabilityHint(capability));
    }
    // what to do about it depends on where the mytoken came from: the caller adds the hint
    if (credential && e instanceof MytokenServerError && e.error === 'invalid_token') throw e.onMytoken();
    throw e;
  }
}
