// The dashboard speaks plain HTTP; TLS is a proxy's job. Listening beyond loopback with no proxy
// declared means the admin password, session cookies and agent tokens may cross a network in clear.
// The dashboard cannot see a proxy, only whether one was declared: NIXFLEET_TRUSTED_PROXIES is set
// exactly when one is in front (without it, the proxy's https and client addresses are not believed
// either), so it is what silences the warning. `:8000` stays the default for compatibility.
import net from 'node:net';
import type { DashboardConfig } from './config.js';

export const TLS_DOCS = 'SECURITY.md#deploying-behind-a-tls-proxy';

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6'); // also matches ::ffff:127.x.x.x

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return LOOPBACK.check(host, 'ipv4');
  return net.isIPv6(host) && LOOPBACK.check(host, 'ipv6');
}

/** The warning for this start, or null when the dashboard is reachable from this machine only or is behind a proxy. */
export function plainHttpWarning(config: Pick<DashboardConfig, 'listenHost' | 'trustedProxies'>, port: number): string | null {
  if (isLoopback(config.listenHost) || config.trustedProxies.length > 0) return null;
  const where = `${config.listenHost.includes(':') ? `[${config.listenHost}]` : config.listenHost}:${port}`;
  return (
    `listening on ${where} over plain HTTP with no TLS proxy declared: the admin password, session cookies ` +
    `and agent tokens can be read on the network. Put a TLS proxy (nginx, Caddy) in front: ` +
    `NIXFLEET_LISTEN=127.0.0.1:${port} and NIXFLEET_TRUSTED_PROXIES=<the proxy's address>, as ${TLS_DOCS} shows. ` +
    `A proxy on another machine: set NIXFLEET_TRUSTED_PROXIES to its address.`
  );
}
