// Why a connection to the dashboard failed, in words a person can act on. The socket library's own
// message names an OpenSSL routine; the usual causes, wss:// against a plain-HTTP port and a refused
// token, are said plainly. Used by the running agent's log and by --check.

const HTTP_UNAUTHORIZED = 401;

/** OpenSSL's answer when a TLS client reads a plain HTTP response: the port does not speak TLS. */
const NOT_TLS = /wrong version number|packet length too long|unknown protocol|record layer failure/i;

/** `wss://host:port`: where the agent connects, without the path. */
function origin(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

/**
 * One line for a failed connection attempt to `url`: a handshake error, or the HTTP status the
 * dashboard answered the upgrade with.
 */
export function describeConnectError(url: string, failure: Error | { status: number }): string {
  if (!(failure instanceof Error)) {
    return failure.status === HTTP_UNAUTHORIZED
      ? `the dashboard at ${origin(url)} refused the token (HTTP ${failure.status}): check NIXFLEET_TOKEN`
      : `the dashboard at ${origin(url)} answered HTTP ${failure.status} instead of opening the socket`;
  }
  const tlsFailure = NOT_TLS.exec(failure.message)?.[0];
  if (url.startsWith('wss:') && tlsFailure) {
    return `the dashboard at ${origin(url)} does not speak TLS: use ws://, or put TLS in front (the TLS handshake failed: ${tlsFailure})`;
  }
  if (/\b401\b/.test(failure.message)) return describeConnectError(url, { status: HTTP_UNAUTHORIZED });
  return `cannot reach the dashboard at ${origin(url)}: ${failure.message}`;
}
