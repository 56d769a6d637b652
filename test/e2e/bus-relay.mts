// A relay in front of a D-Bus session bus, for tests that stop a client between two keyring calls.
// The keyring library opens one connection to the bus per call (entry), so a client's calls can be
// told apart by their connections: holdAfter(n) lets the next n new connections through and holds
// every later one (accepted, never forwarded: the client waits for the bus to answer its
// handshake). The client is then stopped exactly between its n-th and its (n+1)-th keyring call.
//
//   const relay = await startBusRelay(ss.address);
//   spawn(..., { env: { DBUS_SESSION_BUS_ADDRESS: relay.address } });
//   relay.holdAfter(1); await relay.held(); child.kill('SIGKILL');
//   await relay.close();
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BusRelay {
  /** DBUS_SESSION_BUS_ADDRESS for clients that go through the relay */
  readonly address: string;
  /** from now on, let `n` more connections through and hold every later one */
  holdAfter(n: number): void;
  /** resolves when a connection is being held */
  held(): Promise<void>;
  /** ends every connection and the relay */
  close(): Promise<void>;
}

/** Starts a relay to the bus at `busAddress` (a `unix:path=...` address). */
export async function startBusRelay(busAddress: string): Promise<BusRelay> {
  const target = /(?:^|;)unix:path=([^,;]+)/.exec(busAddress)?.[1];
  if (!target) throw new Error(`startBusRelay: not a unix:path address: ${busAddress}`);
  const dir = mkdtempSync(join(tmpdir(), 'mytoken-relay-'));
  const path = join(dir, 'bus');
  let allowed = Infinity;
  const sockets: Socket[] = [];
  let heldCount = 0;
  let onHeld: (() => void) | undefined;
  const server = createServer((client) => {
    sockets.push(client);
    client.on('error', () => undefined);
    if (allowed <= 0) {
      client.pause();
      heldCount++;
      onHeld?.();
      return;
    }
    allowed--;
    const bus = createConnection(target);
    sockets.push(bus);
    bus.on('error', () => client.destroy());
    client.on('close', () => bus.destroy());
    bus.on('close', () => client.destroy());
    client.pipe(bus);
    bus.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    address: `unix:path=${path}`,
    holdAfter: (n) => {
      allowed = n;
    },
    held: () =>
      new Promise<void>((resolve) => {
        if (heldCount > 0) resolve();
        else onHeld = resolve;
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
