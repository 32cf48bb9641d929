// The dashboard's HTTP API as the browser uses it (PROTOCOL.md section 6). State-changing calls carry
// the session's CSRF token; a 401 means the session is gone and the page goes to the login form.
import type { DispatchCommandReply, EventsReply, OutputReply, SessionReply, ApiError } from '../../protocol/http.js';
import type { FleetEvent } from '../../protocol/model.js';
import { CSRF_HEADER } from '../../protocol/constants.js';

export type DispatchOutcome =
  | { ok: true; commandId: string }
  | { ok: false; status: number; error: string; message: string };

export class DashboardApi {
  constructor(
    private csrfToken: string,
    private readonly onUnauthorized: () => void,
  ) {}

  /** POST /api/hosts/:id/command. A refusal (409, 404, 400) is an outcome, not an exception. */
  async dispatch(hostId: string, command: string): Promise<DispatchOutcome> {
    const response = await this.post(`/api/hosts/${encodeURIComponent(hostId)}/command`, { command });
    if (response.status === 202) {
      const reply = (await response.json()) as DispatchCommandReply;
      return { ok: true, commandId: reply.command_id };
    }
    const error = await readError(response);
    return { ok: false, status: response.status, ...error };
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

  /** A 403 may mean the token changed (a new login in another tab): it is read again once. */
  private async post(path: string, body: unknown, retried = false): Promise<Response> {
    const response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', [CSRF_HEADER]: this.csrfToken },
      body: JSON.stringify(body),
    });
    if (response.status === 401) this.onUnauthorized();
    if (response.status === 403 && !retried && (await this.refreshCsrfToken())) return this.post(path, body, true);
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

async function readError(response: Response): Promise<{ error: string; message: string }> {
  try {
    const body = (await response.json()) as Partial<ApiError>;
    return { error: body.error ?? `http_${response.status}`, message: body.message ?? response.statusText };
  } catch {
    return { error: `http_${response.status}`, message: response.statusText || `HTTP ${response.status}` };
  }
}
