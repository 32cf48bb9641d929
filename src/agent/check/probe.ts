// --check's question to the dashboard: connect with the token and register as this host, exactly as
// the agent will, and read the answer. Only `register` tells whether this token may speak for this
// hostname (a host's own token registers that host only; the shared token no host that has its own).
//
// A check that is accepted registers the host like an agent start would: a host new to the dashboard
// appears, and an agent already connected as this host is replaced once and reconnects by itself.
import WebSocket from 'ws';
import { CloseCode } from '../../protocol/constants.js';
import type { RegisterPayload } from '../../protocol/agent.js';
import { decodeInbound } from '../connection/inbound.js';
import { describeConnectError } from '../connection/connect-error.js';
import { AGENT_VERSION } from '../version.js';

export const CHECK_TIMEOUT_MS = 10_000;

export type ProbeResult = { ok: true } | { ok: false; why: string };

export function probeDashboard(url: string, token: string, register: RegisterPayload, timeoutMs = CHECK_TIMEOUT_MS): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}`, 'user-agent': `nixfleet-agent/${AGENT_VERSION} (check)` },
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
    });
    let refusal: string | null = null;
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      socket.terminate();
      finish({ ok: false, why: `the dashboard at ${url} did not answer register within ${timeoutMs / 1000}s` });
    }, timeoutMs);

    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      finish({ ok: false, why: describeConnectError(url, { status: response.statusCode ?? 0 }) });
    });
    socket.once('error', (err) => finish({ ok: false, why: describeConnectError(url, err) }));
    socket.once('open', () => socket.send(JSON.stringify({ type: 'register', payload: register })));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const decoded = decodeInbound(data.toString());
      if (!decoded.ok) return;
      const { message } = decoded;
      if (message.type === 'registered') {
        socket.close(CloseCode.normal, 'check done');
        finish({ ok: true });
      } else if (message.type === 'error') {
        // The close that follows a refusal carries less than this message.
        refusal = `the dashboard refused to register host "${register.hostname}": ${message.payload.message} (${message.payload.code})`;
      }
    });
    socket.once('close', (code, reason) => {
      const said = reason.toString();
      finish({ ok: false, why: refusal ?? `the dashboard closed the connection before answering register (code ${code}${said ? `: ${said}` : ''})` });
    });
  });
}
