// `npm run demo`: the main job end to end on the local servers — log in with `mytoken MT`, keep
// the mytoken in a file, get an access token with `mytoken AT --MT-file`. `-- --serve` keeps the
// servers running for trying the client by hand (with `--port`, `--op-port`, `--ssh-port` as for
// `npm run server`, see args.mts).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ArgsError, parseServerArgs, portHelp } from './args.mjs';
import type { PortOptions } from './args.mjs';
import { startLocalServer } from './index.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'mytoken');

const say = (s: string) => process.stdout.write(`${s}\n`);
const indent = (s: string) => s.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n');

const HELP =
  'Usage: npm run demo [-- --serve [OPTIONS]]\n\n' +
  'Without --serve: logs in on the local servers, keeps the mytoken in a file, gets an access token.\n' +
  'With --serve: keeps the servers running and prints what to type in another terminal.\n\n' +
  'Options:\n' +
  portHelp();

async function main(): Promise<number> {
  let serve: boolean;
  let ports: PortOptions;
  try {
    const parsed = parseServerArgs(process.argv.slice(2), process.env, ['--serve']);
    if (parsed.help) {
      process.stdout.write(HELP);
      return 0;
    }
    serve = parsed.flags.has('--serve');
    ports = parsed.ports;
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e;
    process.stderr.write(`demo: ${e.message}\n  see: npm run demo -- --help\n`);
    return 2;
  }
  const server = await startLocalServer({ interval: 1, ...ports });
  const stop = async () => {
    await server.close();
  };
  if (serve) {
    say(`The local mytoken server runs at ${server.url}`);
    say(`Its OpenID provider (test user alice, logged in automatically) runs at ${server.issuer}\n`);
    say('In another terminal, in this folder (the mytoken goes into a private folder outside the working tree):');
    say(`  export MYTOKEN_URL=${server.url}`);
    say('  D=$(mktemp -d)');
    say(`  ./bin/mytoken MT -i ${server.issuer} -o "$D/mytoken"     # open the URL it prints in a browser`);
    say('  ./bin/mytoken AT --MT-file "$D/mytoken"');
    say('The mytoken is good only while these servers run (they keep everything in memory).');
    say('\nPress Ctrl-C to stop the servers.');
    await new Promise<void>((r) => {
      process.once('SIGINT', () => r());
      process.once('SIGTERM', () => r());
    });
    await stop();
    return 0;
  }

  const home = mkdtempSync(join(tmpdir(), 'mytoken-demo-'));
  try {
    mkdirSync(join(home, '.config', 'mytoken'), { recursive: true });
    const config = `instance: "${server.url}"\ndefault_provider: local\nproviders:\n  local: "${server.issuer}"\n`;
    writeFileSync(join(home, '.config', 'mytoken', 'config.yaml'), config);
    const env = { PATH: process.env.PATH, HOME: home, ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}) };
    const tokenFile = join(home, 'mytoken.txt');

    say(`Local mytoken server: ${server.url}`);
    say(`Local OpenID provider: ${server.issuer} (test user: alice)`);
    say(`Config file ($HOME/.config/mytoken/config.yaml, HOME=${home}):\n${indent(config)}\n`);

    say(`$ mytoken MT -o ${tokenFile}`);
    const mt = spawn(process.execPath, [BIN, 'MT', '-o', tokenFile], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let mtErr = '';
    let mtOut = '';
    let approving: Promise<void> | undefined;
    mt.stdout.setEncoding('utf8').on('data', (d: string) => (mtOut += d));
    mt.stderr.setEncoding('utf8').on('data', (d: string) => {
      mtErr += d;
      const m = /(https?:\/\/\S+\/c\/\S+)/.exec(mtErr);
      if (m && !approving) {
        approving = (async () => {
          await new Promise((r) => setTimeout(r, 300));
          say(indent(mtErr));
          say(`\n  [demo] approving the login as the test user alice, as a browser would (GET ${m[1]}, following redirects)\n`);
          await server.approve(m[1]!);
        })();
      }
    });
    const mtStatus = await new Promise<number | null>((r) => mt.on('close', r));
    await approving;
    const rest = mtErr.slice(mtErr.lastIndexOf('\n\n') + 2);
    if (rest.trim()) say(indent(rest));
    if (mtOut) say(indent(mtOut));
    if (mtStatus !== 0) {
      say(`mytoken MT failed (exit status ${mtStatus})`);
      return 1;
    }
    const mytoken = readFileSync(tokenFile, 'utf8').trim();
    say(`  [demo] ${tokenFile} now holds the mytoken (${mytoken.length} characters): ${mytoken.slice(0, 40)}...\n`);

    say(`$ mytoken AT --MT-file ${tokenFile}`);
    const at = spawn(process.execPath, [BIN, 'AT', '--MT-file', tokenFile], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let atOut = '';
    let atErr = '';
    at.stdout.setEncoding('utf8').on('data', (d: string) => (atOut += d));
    at.stderr.setEncoding('utf8').on('data', (d: string) => (atErr += d));
    const atStatus = await new Promise<number | null>((r) => at.on('close', r));
    if (atOut) say(indent(atOut));
    if (atErr) say(indent(atErr));
    if (atStatus !== 0 || !atOut.trim()) {
      say(`mytoken AT failed (exit status ${atStatus})`);
      return 1;
    }
    const parts = atOut.trim().split('.');
    if (parts.length === 3) {
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      const shown = Object.fromEntries(['iss', 'sub', 'aud', 'scope', 'exp'].filter((k) => k in claims).map((k) => [k, claims[k]]));
      say(`\n  [demo] the access token is a JWT from the OpenID provider: ${JSON.stringify(shown)}`);
    }
    say('\nDone: one login, one mytoken in a file, and an access token from it.');
    return 0;
  } finally {
    rmSync(home, { recursive: true, force: true });
    await stop();
  }
}

main().then(
  (status) => process.exit(status),
  (e) => {
    process.stderr.write(`demo failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
