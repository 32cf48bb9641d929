// The dashboard's HTTP API as the browser uses it (PROTOCOL.md section 6). State-changing calls carry
// the session's CSRF token; a 401 means the session is gone and the page goes to the login form.
import type {
  CreateHostBody,
  DispatchCommandReply,
  EventsReply,
  HostTokenReply,
  OutputReply,
  SessionReply,
  ApiError,
} from '../../protocol/http.js';
import type { FleetEvent } from '../../protocol/model.js';
import { CSRF_HEADER } from '../../protocol/constants.js';

/** A request the dashboard answered with a refusal (409, 404, 400…), or status 0 when it did not answer. */
export interface Refusal {
  ok: false;
  status: number;
  /** The code a client can act on (`host_connected`, `host_exists`, …). */
  error: string;
  message: string;
}

export type DispatchOutcome = { ok: true; commandId: string } | Refusal;
export type HostTokenOutcome = ({ ok: true } & HostTokenReply) | Refusal;
export type RemoveHostOutcome = { ok: true } | Refusal;

/** What a request that threw (the network, not the dashboard) becomes, so callers handle one shape. */
export function networkRefusal(error: unknown): Refusal {
  return { ok: false, status: 0, error: 'network', message: `the dashboard did not answer (${String(error)})` };
}

export class DashboardApi {
  constructor(
    private csrfToken: string,
    private readonly onUnauthorized: () => void,
  ) {}

  /** POST /api/hosts/:id/command. A refusal (409, 404, 400) is an outcome, not an exception. */
  async dispatch(hostId: string, command: string): Promise<DispatchOutcome> {
    const response = await this.send('POST', `${hostPath(hostId)}/command`, { command });
    if (response.status === 202) {
      const reply = (await response.json()) as DispatchCommandReply;
      return { ok: true, commandId: reply.command_id };
    }
    return refusal(response);
  }

  /** POST /api/hosts: the host and its own agent token, which the dashboard never shows again. */
  async createHost(body: CreateHostBody): Promise<HostTokenOutcome> {
    return tokenOutcome(await this.send('POST', '/api/hosts', body), 201);
  }

  /** POST /api/hosts/:id/token: a new token; the old one stops working and its agent is disconnected. */
  async rotateToken(hostId: string): Promise<HostTokenOutcome> {
    return tokenOutcome(await this.send('POST', `${hostPath(hostId)}/token`), 200);
  }

  /** DELETE /api/hosts/:id; without `force` a host whose agent is connected is refused (409 host_connected). */
  async removeHost(hostId: string, force: boolean): Promise<RemoveHostOutcome> {
    const response = await this.send('DELETE', `${hostPath(hostId)}${force ? '?force=true' : ''}`);
    return response.status === 204 ? { ok: true } : refusal(response);
  }

  async recentEvents(limit: number): Promise<FleetEvent[]> {
    const reply = await this.getJson<EventsReply>(`/api/events?limit=${limit}`);
    return reply.events;
  }

  async outputPage(commandId: string, fromSeq: number, limit: number): Promise<OutputReply> {
    return this.getJson<OutputReply>(`/api/commands/${encodeURIComponent(commandId)}/output?from_seq=${fromSeq}&limit=${limit}`);
  }

  /** Whether the session cookie still works; a network failure counts as alive (the socket retries). */
  async sessionAlive(): Promise<boolean> {
    try {
      const response = await fetch('/api/session', { credentials: 'same-origin' });
      return response.status !== 401;
    } catch {
      return true;
    }
  }

  private async getJson<T>(path: string): Promise<T> {
    const response = await fetch(path, { credentials: 'same-origin' });
    if (response.status === 401) this.onUnauthorized();
    if (!response.ok) {
      const error = await readError(response);
      throw new Error(error.message);
    }
    return (await response.json()) as T;
  }

  /**
   * A state-changing request. A 403 may mean the token changed (a new login in another tab): it is
   * read again once. A request without a body sends no content type, which the dashboard would
   * otherwise take for an empty JSON body and refuse.
   */
  private async send(method: 'POST' | 'DELETE', path: string, body?: unknown, retried = false): Promise<Response> {
    const headers: Record<string, string> = { [CSRF_HEADER]: this.csrfToken };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers,
      body: body === undefined ? null : JSON.stringify(body),
    });
    if (response.status === 401) this.onUnauthorized();
    if (response.status === 403 && !retried && (await this.refreshCsrfToken())) return this.send(method, path, body, true);
    return response;
  }

  private async refreshCsrfToken(): Promise<boolean> {
    const response = await fetch('/api/session', { credentials: 'same-origin' });
    if (!response.ok) return false;
    const session = (await response.json()) as SessionReply;
    if (session.csrf_token === this.csrfToken) return false;
    this.csrfToken = session.csrf_token;
    return true;
  }
}

function hostPath(hostId: string): string {
  return `/api/hosts/${encodeURIComponent(hostId)}`;
}

async function tokenOutcome(response: Response, success: number): Promise<HostTokenOutcome> {
  if (response.status !== success) return refusal(response);
  const reply = (await response.json()) as HostTokenReply;
  return { ok: true, host: reply.host, token: reply.token };
}

async function refusal(response: Response): Promise<Refusal> {
  return { ok: false, status: response.status, ...(await readError(response)) };
}

async function readError(response: Response): Promise<{ error: string; message: string }> {
  try {
    const body = (await response.json()) as Partial<ApiError>;
    return { error: body.error ?? `http_${response.status}`, message: body.message ?? response.statusText };
  } catch {
    return { error: `http_${response.status}`, message: response.statusText || `HTTP ${response.status}` };
  }
}
