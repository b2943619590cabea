import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback TCP proxy in front of the apiserver, so a test can cut one client off (`refuse`: drop every
 * connection and refuse new ones) or leave it on a dead path (`freeze`: the open connections stay open and
 * carry nothing more, no RST, like a hung load balancer) while it changes the cluster through another. TLS
 * passes through untouched; the apiserver's certificate covers 127.0.0.1, so the same CA verifies it.
 */
export class TcpProxy {
  readonly #target: number;
  readonly #sockets = new Set<net.Socket>();
  readonly #pairs = new Set<readonly [client: net.Socket, upstream: net.Socket]>();
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

  /**
   * Every connection open now stops carrying bytes in both directions and stays open (the kernel still
   * acknowledges, so TCP keepalive sees a live peer); new connections pass. Returns how many were frozen.
   */
  freeze(): number {
    for (const [client, upstream] of this.#pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
    const frozen = this.#pairs.size;
    this.#pairs.clear();
    return frozen;
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
    const pair = [client, upstream] as const;
    this.#pairs.add(pair);
    client.on('close', () => {
      this.#pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
