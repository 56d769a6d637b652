// `npm run server`: starts the local mytoken server and prints ONE line of JSON to stdout
// ({"url","issuer","user","ssh_port"}); logs, if any, go to stderr. SIGINT/SIGTERM stop it (exit 0).
// Options (--help): fixed ports, so a config file written for it survives a restart.
import { ArgsError, describeStartError, parseServerArgs, portHelp } from './args.mjs';
import type { PortOptions } from './args.mjs';
import { startLocalServer } from './index.mjs';
import { TEST_USER } from './op.mjs';

const HELP =
  'Usage: npm run server [-- OPTIONS]   (or: node build/test/server/main.mjs [OPTIONS])\n\n' +
  'Starts the local mytoken server on 127.0.0.1 with its OpenID provider (test user alice, logged in\n' +
  'without a password) and the SSH server of the ssh grant, and prints one line of JSON:\n' +
  '{"url": ..., "issuer": ..., "user": ..., "ssh_port": ...}. Ctrl-C stops it.\n\n' +
  'Options:\n' +
  portHelp() +
  '  --strict-parity   also the [0.10] quirk a client cannot work around: the token_update of\n' +
  '                    notification and calendar listings is lost (spec server-api 1.6)\n' +
  '  -h, --help        this text\n\n' +
  'With fixed ports a config file written for the server (instance: URL, providers: ISSUER) stays\n' +
  'valid across restarts. Everything else lives in memory: a restart forgets users and mytokens\n' +
  '(and signs with a new key), so log in again with mytoken MT. `npm run server` builds first only\n' +
  'when a source file is newer than the build.\n\n' +
  'Example: npm run --silent server -- --port 8765 --op-port 8766 --ssh-port 8767\n';

function fail(message: string, status: number): never {
  process.stderr.write(`mytoken test server: ${message}\n`);
  process.exit(status);
}

async function main(): Promise<void> {
  let ports: PortOptions;
  let strictParity: boolean;
  try {
    const parsed = parseServerArgs(process.argv.slice(2), process.env, ['--strict-parity']);
    if (parsed.help) {
      process.stdout.write(HELP);
      return;
    }
    ports = parsed.ports;
    strictParity = parsed.flags.has('--strict-parity');
  } catch (e) {
    if (e instanceof ArgsError) fail(`${e.message}\n  see: npm run server -- --help`, 2);
    throw e;
  }
  let server: Awaited<ReturnType<typeof startLocalServer>>;
  try {
    server = await startLocalServer({ ...ports, strictParity });
  } catch (e) {
    fail(`could not start: ${describeStartError(e, ports)}`, 1);
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (e: unknown) => fail(`error while stopping: ${String(e)}`, 1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(`${JSON.stringify({ url: server.url, issuer: server.issuer, user: TEST_USER, ssh_port: server.sshPort })}\n`);
}

main().catch((e: unknown) => fail(`could not start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, 1));
