// The dashboard's HTTP API as the browser uses it (docs/api.md). State-changing calls carry
// the session's CSRF token; a 401 means the session is gone and the page goes to the login form.
import type {
  ApiToken,
  CreateApiTokenBody,
  CreateHostBody,
  DispatchCommandBody,
  DispatchCommandReply,
  EventsReply,
  HostTokenReply,
  OutputReply,
  SessionReply,
  ApiError,
} from '../../protocol/http.js';
import type { FleetEvent, Host } from '../../protocol/model.js';
import type { CreateRolloutBody, Rollout } from '../../protocol/rollout.js';
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
export type CancelOutcome = { ok: true } | Refusal;
export type HostOutcome = { ok: true; host: Host } | Refusal;
export type RolloutOutcome = { ok: true; rollout: Rollout } | Refusal;
export type ApiTokensOutcome = { ok: true; tokens: ApiToken[] } | Refusal;
/** A new API token and its secret, which the dashboard never shows again. */
export type CreatedApiTokenOutcome = { ok: true; token: ApiToken; secret: string } | Refusal;
export type RevokedApiTokenOutcome = { ok: true; token: ApiToken } | Refusal;
/** What can be done to a rollout that has not ended (POST /api/rollouts/:id/<change>). */
export type RolloutChangeName = 'pause' | 'resume' | 'cancel';

/** What a request that threw (the network, not the dashboard) becomes, so callers handle one shape. */
export function networkRefusal(error: unknown): Refusal {
  return { ok: false, status: 0, error: 'network', message: `the dashboard did not answer (${String(error)})` };
}

/** Runs a request whose failure to reach the dashboard is one more refusal, so callers handle one shape. */
export async function attempt<T extends { ok: boolean }>(request: () => Promise<T>): Promise<T | Refusal> {
  try {
    return await request();
  } catch (error) {
    return networkRefusal(error);
  }
}

export class DashboardApi {
  constructor(
    private csrfToken: string,
    private readonly onUnauthorized: () => void,
  ) {}

  /**
   * POST /api/hosts/:id/command. A refusal (409, 404, 400) is an outcome, not an exception. With
   * `queue`, a host that is offline or busy gets the command when it can take it (until it expires).
   */
  async dispatch(hostId: string, command: string, queue = false): Promise<DispatchOutcome> {
    const body: DispatchCommandBody = queue ? { command, queue: true } : { command };
    const response = await this.send('POST', `${hostPath(hostId)}/command`, body);
    if (response.status === 202) {
      const reply = (await response.json()) as DispatchCommandReply;
      return { ok: true, commandId: reply.command_id };
    }
    return refusal(response);
  }

  /** DELETE /api/commands/:id: withdraws a queued command; 409 once it was sent or ended. */
  async cancelCommand(commandId: string): Promise<CancelOutcome> {
    const response = await this.send('DELETE', `/api/commands/${encodeURIComponent(commandId)}`);
    return response.ok ? { ok: true } : refusal(response);
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

  /** PUT /api/hosts/:id/tags: replaces the admin's tags of the host (the agent's own stay). */
  async setHostTags(hostId: string, tags: readonly string[]): Promise<HostOutcome> {
    const response = await this.send('PUT', `${hostPath(hostId)}/tags`, { tags });
    if (!response.ok) return refusal(response);
    const reply = (await response.json()) as { host: Host };
    return { ok: true, host: reply.host };
  }

  /** POST /api/rollouts: 201 with the rollout, started; 400 names the field at fault, 409 a host taken by another. */
  async startRollout(body: CreateRolloutBody): Promise<RolloutOutcome> {
    return rolloutOutcome(await this.send('POST', '/api/rollouts', body), 201);
  }

  /** POST /api/rollouts/:id/pause|resume|cancel, without a body; 409 rollout_state when not possible now. */
  async changeRollout(rolloutId: string, change: RolloutChangeName): Promise<RolloutOutcome> {
    return rolloutOutcome(await this.send('POST', `/api/rollouts/${encodeURIComponent(rolloutId)}/${change}`), 200);
  }

  /** GET /api/tokens: the API tokens, without their secrets. */
  async listApiTokens(): Promise<ApiTokensOutcome> {
    const response = await fetch('/api/tokens', { credentials: 'same-origin' });
    if (response.status === 401) this.onUnauthorized();
    if (!response.ok) return refusal(response);
    const reply = (await response.json()) as { tokens: ApiToken[] };
    return { ok: true, tokens: reply.tokens };
  }

  /** POST /api/tokens: 201 with the token and its secret, shown this once. */
  async createApiToken(body: CreateApiTokenBody): Promise<CreatedApiTokenOutcome> {
    const response = await this.send('POST', '/api/tokens', body);
    if (response.status !== 201) return refusal(response);
    const reply = (await response.json()) as { token: ApiToken; secret: string };
    return { ok: true, token: reply.token, secret: reply.secret };
  }

  /** DELETE /api/tokens/:id: the token stops working at once; 404 unknown_token when it is gone already. */
  async revokeApiToken(tokenId: string): Promise<RevokedApiTokenOutcome> {
    const response = await this.send('DELETE', `/api/tokens/${encodeURIComponent(tokenId)}`);
    if (!response.ok) return refusal(response);
    const reply = (await response.json()) as { token: ApiToken };
    return { ok: true, token: reply.token };
  }

  /** GET /api/rollouts: the most recent rollouts, newest first, finished ones beyond those in `init` too. */
  /** Rollouts newest first; with `before` (a rollout id), the page of those older than it. */
  async recentRollouts(limit: number, before?: string): Promise<Rollout[]> {
    const query = before === undefined ? '' : `&before=${encodeURIComponent(before)}`;
    const reply = await this.getJson<{ rollouts: Rollout[] }>(`/api/rollouts?limit=${limit}${query}`);
    return reply.rollouts;
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
  private async send(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, retried = false): Promise<Response> {
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

async function rolloutOutcome(response: Response, success: number): Promise<RolloutOutcome> {
  if (response.status !== success) return refusal(response);
  const reply = (await response.json()) as { rollout: Rollout };
  return { ok: true, rollout: reply.rollout };
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
