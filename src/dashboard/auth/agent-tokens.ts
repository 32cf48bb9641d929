// Agent credentials. Each host may have its own token, which registers that host only; the shared
// token (NIXFLEET_AGENT_TOKEN) enrols hosts that have none and can be switched off. Only SHA-256
// hashes are kept: a copy of the database does not let anyone speak as an agent.
import type { HostTokenRecord, Store } from '../store/store.js';
import { newSecret, safeEqual, sha256Hex } from './tokens.js';

/** Who a valid agent token speaks for: one host, or (the shared token) any host without its own. */
export interface AgentIdentity {
  hostId: string | null;
}

export class AgentTokens {
  private readonly hostByHash = new Map<string, string>();
  private readonly hashByHost = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly sharedTokenHash: string,
    private readonly allowShared: boolean,
    records: readonly HostTokenRecord[],
  ) {
    for (const record of records) this.remember(record.host_id, record.token_hash);
  }

  private remember(hostId: string, hash: string): void {
    this.hostByHash.set(hash, hostId);
    this.hashByHost.set(hostId, hash);
  }

  /** The identity of a presented token, or null when it is no valid token. */
  identify(token: string): AgentIdentity | null {
    const hash = sha256Hex(token);
    const hostId = this.hostByHash.get(hash);
    if (hostId !== undefined) return { hostId };
    if (this.allowShared && safeEqual(hash, this.sharedTokenHash)) return { hostId: null };
    return null;
  }

  hasOwnToken(hostId: string): boolean {
    return this.hashByHost.has(hostId);
  }

  /** Issues a new token for the host; the one it had stops working. The token is returned once. */
  issue(hostId: string, now = Date.now()): string {
    this.revoke(hostId);
    const token = newSecret();
    const record: HostTokenRecord = { host_id: hostId, token_hash: sha256Hex(token), created_at: now };
    this.remember(hostId, record.token_hash);
    this.store.putHostToken(record);
    return token;
  }

  revoke(hostId: string): void {
    const hash = this.hashByHost.get(hostId);
    if (hash === undefined) return;
    this.hashByHost.delete(hostId);
    this.hostByHash.delete(hash);
    this.store.deleteHostToken(hostId);
  }
}
