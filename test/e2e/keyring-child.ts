// Runs keyring operations of the built backend in a process of its own, with the environment it was
// started with (the native library reads the process environment itself). Tests start it as
//   node build/test/e2e/keyring-child.js '<JSON list of steps>'
// and get on stdout one JSON line: the result of each step, and whether the native module was
// loaded. The same file, bundled into a single executable, is the keyring test of the binary
// (keyring-binary.test.mts): CommonJS, no top-level await.
//
// Steps: {op: 'get'|'set'|'delete'|'list', name?, value?, timeoutMs?} through src/tokens/keyring.ts;
// {op: 'plant', name, bytes | fill and count} stores raw bytes with the library directly (pinned to the Secret
// Service), for values the backend itself refuses to write; {op: 'unpinned-set'|'unpinned-get'|
// 'unpinned-delete', name, value?} use the library's default store (no pinning), to show what the
// pinning prevents; {op: 'load-addon', file, sha256} loads a `.node` file the way the single binary
// does (src/native-addon.ts), with `file`'s bytes as the asset.
import { readFileSync } from 'node:fs';
import { MytokenError } from '../../src/errors.js';
import { loadEmbeddedAddon } from '../../src/native-addon.js';
import { Keyring } from '../../src/tokens/keyring.js';

interface Step {
  op: string;
  name?: string;
  value?: string;
  bytes?: number[];
  fill?: number;
  count?: number;
  timeoutMs?: number;
  file?: string;
  sha256?: string;
}

const PINNED = { linux: { store: 'secret-service' as const } };

/** Whether a keyring shared object is mapped into this process (the native module was loaded). */
function nativeLoaded(): boolean {
  try {
    return /keyring[^/\n]*\.node|\/proc\/self\/fd/.test(readFileSync('/proc/self/maps', 'utf8'));
  } catch {
    return false;
  }
}

async function step(s: Step): Promise<unknown> {
  const keyring = new Keyring(process.env, { timeoutMs: s.timeoutMs });
  const lib = () => require('@napi-rs/keyring') as typeof import('@napi-rs/keyring');
  switch (s.op) {
    case 'get':
      return keyring.get(s.name!);
    case 'set':
      return keyring.set(s.name!, s.value!);
    case 'delete':
      return keyring.delete(s.name!);
    case 'list':
      return keyring.list();
    case 'plant':
      return new (lib().AsyncEntry)('mytoken', s.name!, PINNED).setSecret(s.bytes ? Uint8Array.from(s.bytes) : new Uint8Array(s.count!).fill(s.fill!));
    case 'unpinned-set':
      return new (lib().AsyncEntry)('mytoken', s.name!).setPassword(s.value!);
    case 'unpinned-get':
      return new (lib().AsyncEntry)('mytoken', s.name!).getPassword();
    case 'unpinned-delete':
      return new (lib().AsyncEntry)('mytoken', s.name!).deletePassword();
    case 'load-addon': {
      const bytes = readFileSync(s.file!);
      const exports = loadEmbeddedAddon(process.env, { asset: 'keyring.node', sha256: s.sha256! }, () => bytes) as Record<string, unknown>;
      return Object.keys(exports).sort();
    }
    default:
      throw new Error(`unknown step ${s.op}`);
  }
}

async function main(): Promise<void> {
  const results: unknown[] = [];
  for (const s of JSON.parse(process.argv[process.argv.length - 1] ?? '[]') as Step[]) {
    const start = performance.now();
    try {
      const value = await step(s);
      results.push({ ok: true, value: value ?? null, ms: performance.now() - start });
    } catch (e) {
      const err = e as MytokenError;
      results.push({
        ok: false,
        error: err?.name,
        status: err instanceof MytokenError ? err.exitStatus : undefined,
        message: err?.message ?? String(e),
        hint: err?.hint,
        ms: performance.now() - start,
      });
    }
  }
  process.stdout.write(`${JSON.stringify({ results, nativeLoaded: nativeLoaded() })}\n`);
}

// what a command does at its end (main.ts): exit at once, not when the event loop is empty
main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
