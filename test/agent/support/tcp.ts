// Real TCP peers for connection tests: a port that takes connections and drops them at once (a
// dashboard that is down behind a load balancer), and a proxy that can freeze its connections (a
// dashboard or network that dies without closing anything).
import net from 'node:net';

export class DroppingServer {
  /** When each connection attempt arrived (performance.now()). */
  readonly attempts: number[] = [];
  private constructor(private readonly server: net.Server) {}

  static async start(): Promise<DroppingServer> {
    const server = net.createServer();
    const dropping = new DroppingServer(server);
    server.on('connection', (socket) => {
      dropping.attempts.push(performance.now());
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return dropping;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export class FreezingProxy {
  /** Connections accepted so far. */
  connections = 0;
  private readonly pairs: [net.Socket, net.Socket][] = [];
  private constructor(private readonly server: net.Server) {}

  static async start(targetPort: number): Promise<FreezingProxy> {
    const server = net.createServer();
    const proxy = new FreezingProxy(server);
    server.on('connection', (client) => {
      proxy.connections += 1;
      const upstream = net.connect(targetPort, '127.0.0.1');
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
      proxy.pairs.push([client, upstream]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Every open connection stops carrying bytes either way, and nothing is closed. */
  freeze(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  close(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
