// Pending OIDC flows, consent codes and polling codes (spec sections 4.1.2, 4.1.3, 4.2, 5.8).
import type { Clause } from './restrictions.mjs';
import type { ParsedSshKey } from './ssh-keys.mjs';
import type { RequestInfo, Rotation } from './tokens.mjs';
import { BASE64URL_ALPHABET, CODE_LEN, SHORT_ALPHABET, nowMs, randomString } from './util.mjs';

/** What the user approves on the consent page (and what the token will contain). */
export interface FlowContent {
  restrictions: Clause[];
  capabilities: string[];
  rotation?: Rotation;
  name?: string;
}

/** The key an ssh-key-add flow (4.7.2) registers once its token exists. */
export interface PendingSshKey {
  key: ParsedSshKey;
  name?: string;
}

export interface PendingFlow {
  consentCode: string;
  pollingCode?: string; // native flows only
  native: boolean;
  redirectUri?: string; // web flows
  oidcIssuer: string; // configured spelling
  request: FlowContent;
  responseType?: unknown;
  maxTokenLen?: unknown;
  applicationName?: string;
  /** set for ssh-key-add flows: their polling code works only at the ssh settings endpoint */
  sshKey?: PendingSshKey;
  created: number; // ms
  expiresAt: number; // ms
  info: RequestInfo;
  /** set once approved: the authorization request sent to the OP */
  approved?: FlowContent;
  state?: string;
  codeVerifier?: string;
}

export type PollingStatus = 'pending' | 'ready' | 'declined';

export interface PollingEntry {
  code: string;
  status: PollingStatus;
  expiresAt: number; // ms
  consentCode: string;
  jti?: string;
  responseType?: unknown;
  maxTokenLen?: unknown;
  /** the code of an ssh-key-add flow (5.8: accepted only at the ssh settings endpoint) */
  sshKey?: PendingSshKey;
}

export class FlowStore {
  readonly flows = new Map<string, PendingFlow>(); // by consent code
  readonly byState = new Map<string, string>(); // state -> consent code
  readonly polling = new Map<string, PollingEntry>();

  constructor(readonly lifetime: number) {}

  create(f: Omit<PendingFlow, 'consentCode' | 'pollingCode' | 'created' | 'expiresAt'>): PendingFlow {
    let consentCode: string;
    do consentCode = randomString(CODE_LEN, SHORT_ALPHABET);
    while (this.flows.has(consentCode));
    const created = nowMs();
    const flow: PendingFlow = { ...f, consentCode, created, expiresAt: created + this.lifetime * 1000 };
    if (f.native) {
      let code: string;
      do code = randomString(CODE_LEN, BASE64URL_ALPHABET);
      while (this.polling.has(code));
      flow.pollingCode = code;
      this.polling.set(code, {
        code,
        status: 'pending',
        expiresAt: flow.expiresAt,
        consentCode,
        responseType: f.responseType,
        maxTokenLen: f.maxTokenLen,
        ...(f.sshKey ? { sshKey: f.sshKey } : {}),
      });
    }
    this.flows.set(consentCode, flow);
    return flow;
  }

  /** A pending flow by consent code, undefined if unknown or expired. */
  get(consentCode: string): PendingFlow | undefined {
    const f = this.flows.get(consentCode);
    if (!f) return undefined;
    if (nowMs() > f.expiresAt) return undefined;
    return f;
  }

  setState(f: PendingFlow, state: string): void {
    if (f.state) this.byState.delete(f.state);
    f.state = state;
    this.byState.set(state, f.consentCode);
  }

  byOIDCState(state: string): PendingFlow | undefined {
    const code = this.byState.get(state);
    return code ? this.flows.get(code) : undefined;
  }

  /** Removes a flow; its polling code is marked declined, deleted, or kept (ready). */
  finish(f: PendingFlow, polling: 'declined' | 'delete' | 'keep'): void {
    this.flows.delete(f.consentCode);
    if (f.state) this.byState.delete(f.state);
    if (!f.pollingCode) return;
    if (polling === 'delete') this.polling.delete(f.pollingCode);
    else if (polling === 'declined') {
      const p = this.polling.get(f.pollingCode);
      if (p) p.status = 'declined';
    }
  }
}
