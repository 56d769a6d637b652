// Silences oidc-provider's runtime notices. oidc-provider prints "oidc-provider NOTICE: ..." with
// console.info (stdout!) and "oidc-provider WARNING: ..." with console.warn, e.g. the "Unsupported
// runtime" warning on Node 20 at import time. This module must be evaluated before oidc-provider is
// imported (op.mts imports it first). Only messages starting with "oidc-provider " are dropped.

const MARK = Symbol.for('mytoken-test-server.quiet');
type Con = Record<string | symbol, unknown>;

function isOidcProviderNotice(args: unknown[]): boolean {
  const first = args[0];
  // the notice may be wrapped in ANSI colour codes when the stream is a TTY
  return typeof first === 'string' && /^(?:\x1b\[[0-9;]*m)?oidc-provider (?:NOTICE|WARNING): /.test(first);
}

const con = console as unknown as Con;
if (!con[MARK]) {
  con[MARK] = true;
  for (const name of ['info', 'warn', 'log'] as const) {
    const original = console[name].bind(console);
    console[name] = (...args: unknown[]) => {
      if (isOidcProviderNotice(args)) return;
      original(...args);
    };
  }
}

export {};
