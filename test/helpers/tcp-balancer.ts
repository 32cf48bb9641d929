// A TCP load balancer for cluster tests, as HAProxy in front of the instances would be: each
// connection goes to the first backend that takes it, in the order given, so that a test decides
// where agents land and a dead instance's agents land on the next one.
import net from 'node:net';

export class TcpBalancer {
  private readonly open = new Set<net.Socket>();
  private constructor(
    private readonly server: net.Server,
    /** Backend ports, tried in order. */
    public backends: number[],
  ) {}

  static async start(backends: number[]): Promise<TcpBalancer> {
    const server = net.createServer();
    const balancer = new TcpBalancer(server, backends);
    server.on('connection', (client) => balancer.route(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return balancer;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private route(client: net.Socket, tried = 0): void {
    const port = this.backends[tried];
    if (port === undefined) {
      client.destroy();
      return;
    }
    client.pause();
    const backend = net.connect(port, '127.0.0.1');
    const refused = () => this.route(client, tried + 1);
    backend.once('error', refused);
    backend.once('connect', () => {
      backend.off('error', refused);
      this.open.add(client).add(backend);
      client.pipe(backend).pipe(client);
      client.resume();
      const end = () => {
        client.destroy();
        backend.destroy();
        this.open.delete(client);
        this.open.delete(backend);
      };
      for (const socket of [client, backend]) {
        socket.on('error', end);
        socket.on('close', end);
      }
    });
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
