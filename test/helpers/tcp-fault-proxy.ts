import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP relay in front of a service that a test can cut: every open connection is reset and
 * new ones are reset as they arrive, as when the server is down, until it is restored. Only the
 * processes that connect through it see the outage; the service itself, and anyone else using
 * it, are left alone.
 */
export class TcpFaultProxy {
  port = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private up = true;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      if (!this.up) return void client.resetAndDestroy();
      const upstream = connect(this.target.port, this.target.host);
      for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
        this.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  cut(): void {
    this.up = false;
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  restore(): void {
    this.up = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
