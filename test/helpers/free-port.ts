// A port for a server that a test stops and starts again on the same port.
import net from 'node:net';

/**
 * Below Linux's range for ephemeral ports (32768–60999 by default), which the kernel hands out to
 * outgoing connections and to listen(0): a port from there, free a moment ago, could be a client
 * socket's by the time a server (re)starts on it, and its bind fails (seen once in CI, while initdb ran).
 */
const FIXED_PORTS = { from: 20_000, to: 32_767 };
const TRIES = 100;

/** A loopback port that was free a moment ago, so that a restarted server can take the same one. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < TRIES; tries++) {
    const port = FIXED_PORTS.from + Math.floor(Math.random() * (FIXED_PORTS.to - FIXED_PORTS.from + 1));
    const server = net.createServer();
    const taken = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(true) : reject(err)));
      server.listen(port, '127.0.0.1', () => resolve(false));
    });
    if (taken) continue;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
  throw new Error(`no free loopback port in ${FIXED_PORTS.from}–${FIXED_PORTS.to} after ${TRIES} tries`);
}
