// A mytoken server: its configuration document and requests to the endpoints it names.
import { MytokenServerError } from '../errors.js';
import { discover, endpoint } from './discovery.js';
import { type HttpRequest, requestJSON } from './http.js';
import type { ServerConfiguration } from './types.js';

type Env = Record<string, string | undefined>;
type EndpointKey = {
  [K in keyof ServerConfiguration]-?: ServerConfiguration[K] extends string | undefined ? K : never;
}[keyof ServerConfiguration];

export class MytokenServer {
  readonly instance: string;
  private readonly env: Env;
  private discovered?: { config: ServerConfiguration; cached: boolean };

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
  async call<T>(key: EndpointKey, what: string, req: Omit<HttpRequest, 'url'>): Promise<T | undefined> {
    const config = await this.configuration();
    const url = endpoint(config, key, what);
    try {
      return (await requestJSON<T>({ ...req, url })).json;
    } catch (e) {
      if (!(e instanceof MytokenServerError && e.status === 404 && e.error === 'not_found' && this.discovered?.cached)) throw e;
      const fresh = await this.configuration(true);
      const again = endpoint(fresh, key, what);
      if (again === url) throw e;
      return (await requestJSON<T>({ ...req, url: again })).json;
    }
  }
}
