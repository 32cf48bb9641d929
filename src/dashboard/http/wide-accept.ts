// More than one new connection per turn of the event loop.
//
// Since libuv 1.45 (Node 20 has 1.46), a listening socket accepts one connection per turn of the
// event loop. After a dashboard restart the whole fleet reconnects within seconds; a turn then lasts
// as long as the frames that came meanwhile take, the kernel's accept queue fills to its limit, and
// every connection it drops, an admin's page as much as an agent, waits 1, 3, 7 s for its client to
// send the SYN again. A listening socket can be watched under several file descriptors, and each
// takes one connection per turn. Node cannot duplicate a descriptor itself, but a handle sent to a
// child process and back comes back as a new descriptor of the same socket: a helper process started
// once, when the dashboard starts listening, does that and exits. (Node 22.12 and later could open
// several listening sockets on one port with `reusePort` instead.)
import net from 'node:net';
import type http from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Logger } from 'pino';

/**
 * Descriptors watched besides the server's own: each accepts one connection per turn. During a
 * restart storm a turn can last tens of milliseconds while agents arrive at thousands a second; with
 * 8 descriptors the kernel's accept queue still filled (BENCHMARKS.md). The price is paid when the
 * queue is short: every descriptor wakes for one connection and all but one find nothing, a few
 * hundred microseconds each time.
 */
export const EXTRA_ACCEPTORS = 255;
/** The helper gets this long to hand the descriptors back; without them the dashboard listens as before. */
const HELPER_TIMEOUT_MS = 10_000;
/** The helper: sends every handle it gets straight back, closes its own copy, and leaves when told. */
const ECHO_HANDLES = `process.on('message', (m, h) => process.send(m, h, () => h.close()));
process.on('disconnect', () => process.exit(0));`;

/** What listens besides the server's own descriptor. */
export interface WideAccept {
  /** Resolves with the number of extra descriptors once they are all watched (or given up) and the helper is gone. */
  readonly ready: Promise<number>;
  /**
   * Stops accepting on the copies (call it when the server stops accepting); resolves once the
   * connections they accepted are gone, which the server itself does not wait for: await it after
   * the server has closed.
   */
  close(): Promise<void>;
}

/**
 * Has `server` (listening) accept up to 1 + `extra` connections per turn of the event loop, from
 * when the copies are made (in the background: the server answers meanwhile). Each connection is
 * handed to the server as its own would be. On any failure it logs and leaves the server as it was.
 */
export function acceptWider(server: http.Server, log: Logger, backlog: number, extra = EXTRA_ACCEPTORS): WideAccept {
  const acceptors: net.Server[] = [];
  let closed = false;
  const handle = (server as unknown as { _handle: unknown })._handle;
  const ready = extra > 0 && handle ? copyListener(handle as net.Server, extra, (copy) => {
    if (closed) return false;
    // The options an http.Server gives its own net.Server.
    const acceptor = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => server.emit('connection', socket));
    acceptor.on('error', (err) => log.warn({ err }, 'an extra acceptor of the listening socket failed'));
    acceptor.listen(copy, backlog);
    acceptors.push(acceptor);
    return true;
  }).catch((err: unknown) => {
    log.warn({ err }, 'the listening socket is watched once: its copies could not be made');
    return acceptors.length;
  }) : Promise.resolve(0);
  return {
    ready,
    close: async () => {
      closed = true;
      // Until the helper is gone it holds a descriptor too, and the port would still take connections.
      await ready;
      await Promise.all(acceptors.splice(0).map((acceptor) => new Promise((resolve) => acceptor.close(resolve))));
    },
  };
}

/** Sends the listening handle to a helper and back `count` times; `take` each copy while it says yes. */
async function copyListener(handle: net.Server, count: number, take: (copy: net.Server) => boolean): Promise<number> {
  const helper = spawn(process.execPath, ['-e', ECHO_HANDLES], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const failed = new Promise<never>((_, reject) => helper.on('error', reject));
  failed.catch(() => {});
  const timeout = setTimeout(() => helper.kill(), HELPER_TIMEOUT_MS);
  const gone = new Promise<void>((resolve) => {
    helper.once('exit', () => resolve());
    failed.catch(() => resolve());
  });
  const exited = gone.then(() => Promise.reject(new Error('the helper process exited')));
  exited.catch(() => {});
  let taken = 0;
  try {
    while (taken < count) {
      helper.send('handle', handle);
      const [, copy] = (await Promise.race([once(helper, 'message'), exited, failed])) as [unknown, net.Server];
      if (!take(copy)) {
        (copy as unknown as { close(): void }).close();
        break;
      }
      taken += 1;
    }
    return taken;
  } finally {
    // Its own copy of the descriptor goes with it: the copies are ready once it is gone.
    if (helper.connected) helper.disconnect();
    await gone;
    clearTimeout(timeout);
  }
}
