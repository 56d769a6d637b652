// `npm run server`: starts the local mytoken server and prints ONE line of JSON to stdout
// ({"url","issuer","user","ssh_port"}); logs, if any, go to stderr. SIGINT/SIGTERM stop it (exit 0).
import { startLocalServer } from './index.mjs';
import { TEST_USER } from './op.mjs';

async function main(): Promise<void> {
  const server = await startLocalServer();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`mytoken test server: error while stopping: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(`${JSON.stringify({ url: server.url, issuer: server.issuer, user: TEST_USER, ssh_port: server.sshPort })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`mytoken test server: could not start: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
