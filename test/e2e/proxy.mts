// A minimal forward proxy on loopback for the cli-* tests. It forwards absolute-URI HTTP requests
// (`GET http://host:port/path`) and CONNECT tunnels to plain-HTTP targets; for a tunnel it reads the
// HTTP requests inside it, so every forwarded request is recorded as an absolute URL either way.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Proxy {
  /** http://127.0.0.1:PORT */
  url: string;
  /** absolute URLs of the requests forwarded, in order (`METHOD URL`) */
  seen: string[];
  /** CONNECT targets (host:port) */
  tunnels: string[];
  close(): Promise<void>;
}

const HOP_BY_HOP = ['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade'];

function forward(target: URL, req: IncomingMessage, res: ServerResponse): void {
  const headers = { ...req.headers };
  for (const h of HOP_BY_HOP) delete headers[h];
  const up = http.request(
    { host: target.hostname, port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    },
  );
  up.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`proxy: ${e.message}`);
  });
  req.pipe(up);
}

/** A request listener that forwards absolute-URI requests (`GET http://host/path`), recording each in `seen`. */
function absoluteForm(seen: string[]) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('proxy: absolute http:// URLs only');
      return;
    }
    seen.push(`${req.method} ${target.href}`);
    forward(target, req, res);
  };
}

export async function startProxy(): Promise<Proxy> {
  const seen: string[] = [];
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const tunnelTarget = new WeakMap<Socket, string>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };

  // Requests that arrive inside a CONNECT tunnel carry origin-form paths.
  const inner = http.createServer((req, res) => {
    const hostPort = tunnelTarget.get(req.socket) ?? String(req.headers.host);
    const target = new URL(`http://${hostPort}${req.url ?? '/'}`);
    seen.push(`${req.method} ${target.href}`);
    forward(target, req, res);
  });

  const outer = http.createServer(absoluteForm(seen));
  outer.on('connection', track);
  outer.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const hostPort = req.url ?? '';
    tunnels.push(hostPort);
    tunnelTarget.set(socket, hostPort);
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) socket.unshift(head);
    inner.emit('connection', socket);
  });

  await new Promise<void>((resolve) => outer.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(outer.address() as AddressInfo).port}`,
    seen,
    tunnels,
    close() {
      for (const s of sockets) s.destroy();
      inner.close();
      return new Promise<void>((resolve) => outer.close(() => resolve()));
    },
  };
}

/**
 * A forward proxy that only forwards absolute-URI requests (`GET http://host:port/path`) and answers
 * CONNECT with 405, like a proxy that allows no tunnels. `tunnels` records the refused CONNECTs.
 */
export async function startForwardingProxy(): Promise<Proxy> {
  const seen: string[] = [];
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer(absoluteForm(seen));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    tunnels.push(req.url ?? '');
    socket.end('HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    tunnels,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
