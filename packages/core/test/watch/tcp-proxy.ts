import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy in front of the apiserver, so a test can cut one client off (`refuse`: drop every
 * connection and refuse new ones) while it changes the cluster through another. TLS passes through untouched;
 * the apiserver's certificate covers 127.0.0.1, so the same CA verifies it.
 */
export class TcpProxy {
  readonly #target: number;
  readonly #sockets = new Set<net.Socket>();
  readonly #server = net.createServer((client) => this.#accept(client));
  #mode: 'pass' | 'refuse' = 'pass';
  connections = 0;

  constructor(targetPort: number) {
    this.#target = targetPort;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as AddressInfo).port;
  }

  refuse(): void {
    this.#mode = 'refuse';
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  pass(): void {
    this.#mode = 'pass';
  }

  async close(): Promise<void> {
    this.refuse();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    if (this.#mode === 'refuse') {
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = net.connect(this.#target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
