// API tokens: named credentials for scripts and CI, each with a scope (read, operate, admin). The
// secret is shown once; only its SHA-256 is kept. Revoking one takes effect at once: it stops
// authenticating, and the sockets opened with it are closed.
import { randomUUID } from 'node:crypto';
import { API_TOKEN_PREFIX } from '../../protocol/constants.js';
import type { ApiScope, ApiToken } from '../../protocol/http.js';
import type { ApiTokenRecord, Store } from '../store/store.js';
import { newSecret, sha256Hex } from './tokens.js';

export { API_TOKEN_PREFIX };
/** Last use is written at most this often per token: a script polling every second writes once a minute. */
export const LAST_USE_WRITE_INTERVAL_MS = 60_000;

/** The key the hub files a browser socket opened with an API token under, to close it on revocation. */
/** What the sockets opened with an API token are filed under (apiTokenSocketKey) begins so. */
export const API_TOKEN_KEY_PREFIX = 'api-token:';
export const apiTokenSocketKey = (id: string): string => `${API_TOKEN_KEY_PREFIX}${id}`;

const SCOPE_RANK: Readonly<Record<ApiScope, number>> = { read: 0, operate: 1, admin: 2 };

/** Whether a principal with scope `has` may do what needs `needs`. */
export function scopeAllows(has: ApiScope, needs: ApiScope): boolean {
  return SCOPE_RANK[has] >= SCOPE_RANK[needs];
}

export function toWireApiToken(record: ApiTokenRecord): ApiToken {
  return {
    id: record.id,
    name: record.name,
    scope: record.scope,
    created_at: new Date(record.created_at).toISOString(),
    created_by: record.created_by,
    last_used_at: record.last_used_at === null ? null : new Date(record.last_used_at).toISOString(),
  };
}

export class ApiTokens {
  private readonly byHash = new Map<string, ApiTokenRecord>();
  private readonly byId = new Map<string, ApiTokenRecord>();

  constructor(
    private readonly store: Store,
    records: readonly ApiTokenRecord[],
    /** Told when a token is revoked, to close what it opened. */
    private readonly revoked: (id: string) => void,
  ) {
    for (const record of records) this.remember(record);
  }

  private remember(record: ApiTokenRecord): void {
    this.byHash.set(record.token_hash, record);
    this.byId.set(record.id, record);
  }

  /** Makes a token; its secret is returned here and never again. */
  issue(name: string, scope: ApiScope, createdBy: string, now = Date.now()): { record: ApiTokenRecord; secret: string } {
    const secret = `${API_TOKEN_PREFIX}${newSecret()}`;
    const record: ApiTokenRecord = { id: randomUUID(), name, scope, token_hash: sha256Hex(secret), created_at: now, created_by: createdBy, last_used_at: null };
    this.remember(record);
    this.store.putApiToken(record);
    return { record, secret };
  }

  /** The token a presented secret is, or null; its last use is noted. */
  authenticate(secret: string, now = Date.now()): ApiTokenRecord | null {
    if (!secret.startsWith(API_TOKEN_PREFIX)) return null;
    const record = this.byHash.get(sha256Hex(secret));
    if (!record) return null;
    if (record.last_used_at === null || now - record.last_used_at >= LAST_USE_WRITE_INTERVAL_MS) {
      record.last_used_at = now;
      this.store.putApiToken(record);
    }
    return record;
  }

  list(): ApiTokenRecord[] {
    return [...this.byId.values()].sort((a, b) => a.created_at - b.created_at);
  }

  get(id: string): ApiTokenRecord | undefined {
    return this.byId.get(id);
  }

  revoke(id: string): ApiTokenRecord | undefined {
    const record = this.byId.get(id);
    if (!record) return undefined;
    this.byId.delete(id);
    this.byHash.delete(record.token_hash);
    this.store.deleteApiToken(id);
    this.revoked(id);
    return record;
  }
}
