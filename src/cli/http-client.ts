// The dashboard's HTTP API with an API token (docs/api.md). Every failure becomes a CliError whose one
// line says what to do: 401 and 403 name the token and the scope, a refused request the dashboard's
// own sentence, an unreachable dashboard its address.
import { CliError, EXIT_DENIED, EXIT_FAILED, EXIT_UNAVAILABLE } from './errors.js';
import type { Settings } from './settings.js';

/** A request with no answer within this is given up: the dashboard answers API calls in milliseconds. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface HealthAnswer {
  status: 'ok' | 'unhealthy';
  instance?: string;
  storage?: string;
  problems?: string[];
}

type Query = Record<string, string | number | boolean | undefined>;

interface Answer {
  status: number;
  body: unknown;
}

/** The framework's own 404 for a path it has no route for (not an API error with a code). */
const NO_ROUTE = /^Route \w+:\S+ not found$/;

export class DashboardClient {
  constructor(private readonly settings: Settings) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.call<T>('GET', path, query);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, {}, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path, {});
  }

  /** GET /health: an unhealthy dashboard (503) is an answer, not an error. */
  async health(): Promise<HealthAnswer> {
    const answer = await this.request('GET', '/health', {}, undefined, false);
    if (answer.status === 200 || answer.status === 503) return answer.body as HealthAnswer;
    throw this.failure('GET', '/health', answer);
  }

  private async call<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const answer = await this.request(method, path, query, body, true);
    if (answer.status >= 200 && answer.status < 300) return answer.body as T;
    throw this.failure(method, path, answer);
  }

  private async request(method: string, path: string, query: Query, body: unknown, withToken: boolean): Promise<Answer> {
    const url = new URL(`${this.settings.httpBase}${path}`);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (withToken) headers.authorization = `Bearer ${this.settings.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw unreachable(this.settings.httpBase, err);
    }
    const text = await response.text();
    if (response.status === 204) return { status: 204, body: null };
    try {
      return { status: response.status, body: JSON.parse(text) as unknown };
    } catch {
      const type = response.headers.get('content-type') ?? 'no content type';
      throw new CliError(`${method} ${path}: the dashboard answered HTTP ${response.status} with ${type}, not JSON (is ${this.settings.httpBase} the dashboard?)`, 'bad_answer', EXIT_UNAVAILABLE);
    }
  }

  private failure(method: string, path: string, answer: Answer): CliError {
    const body = (answer.body ?? {}) as { error?: unknown; message?: unknown };
    const code = typeof body.error === 'string' ? body.error : `http_${answer.status}`;
    const message = typeof body.message === 'string' ? body.message : `HTTP ${answer.status}`;
    if (answer.status === 401) {
      return new CliError(`the dashboard refused the API token (${message}): check NIXFLEET_API_TOKEN; it may have been revoked`, code, EXIT_DENIED);
    }
    if (answer.status === 403) return new CliError(`${message}: use a token with that scope`, code, EXIT_DENIED);
    if (answer.status === 404 && NO_ROUTE.test(message)) {
      return new CliError(`the dashboard has no ${method} ${path.split('?')[0]}: is it older than this nixfleet?`, 'no_route', EXIT_FAILED);
    }
    if (answer.status >= 500) return new CliError(`the dashboard failed: ${message} (HTTP ${answer.status})`, code, EXIT_UNAVAILABLE);
    return new CliError(message, code, EXIT_FAILED);
  }
}

/** Why fetch failed, in a few words: the system's error code (ECONNREFUSED, ENOTFOUND) or a timeout. */
function unreachable(base: string, err: unknown): CliError {
  const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  const reason =
    err instanceof Error && err.name === 'TimeoutError'
      ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
      : (cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)));
  return new CliError(`cannot reach the dashboard at ${base}: ${reason}`, 'unreachable', EXIT_UNAVAILABLE);
}
