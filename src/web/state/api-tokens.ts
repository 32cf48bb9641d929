// The API tokens panel: the list read from the dashboard when the panel opens, a new token made with
// a name and a scope, its secret shown once, a token revoked after a confirmation. The secret lives
// here only until it is dismissed or the panel closes: the dashboard keeps only a hash of it.
import type { ApiScope, ApiToken } from '../../protocol/http.js';
import { attempt, type DashboardApi, type Refusal } from '../net/api.js';
import { newestFirst, withoutToken, withToken } from './api-token-rules.js';
import type { DialogRefusal } from './host-admin.js';
import type { Notices } from './notices.js';
import { Cell } from './observable.js';

export type TokenList =
  | { kind: 'loading' }
  | { kind: 'loaded'; tokens: readonly ApiToken[] }
  | { kind: 'failed'; message: string };

export interface CreatedToken {
  token: ApiToken;
  secret: string;
}

export interface RevokeQuestion {
  token: ApiToken;
  sending: boolean;
  refusal: DialogRefusal | null;
}

export interface TokensPanel {
  list: TokenList;
  /** A new token is being made. */
  creating: boolean;
  /** Why the dashboard refused to make one, said in the form. */
  refusal: DialogRefusal | null;
  /** The token just made, with its secret: shown until dismissed or the panel closes, never again. */
  created: CreatedToken | null;
  /** The revocation waiting for the admin's confirmation. */
  revoking: RevokeQuestion | null;
  /** What was just done, said in the panel ("“ci” was revoked."). */
  said: string | null;
}

/** The refusal of DELETE /api/tokens/:id for a token that is gone already. */
export const UNKNOWN_TOKEN = 'unknown_token';

export type ApiTokenApi = Pick<DashboardApi, 'listApiTokens' | 'createApiToken' | 'revokeApiToken'>;

const CLOSED_FORM = { creating: false, refusal: null, created: null, revoking: null, said: null } as const;

export class ApiTokenAdmin {
  /** The panel, while it is open. */
  readonly panel = new Cell<TokensPanel | null>(null);
  /** Counts the list's reads: an answer to an earlier one (the panel was closed and opened again) is dropped. */
  private reads = 0;

  constructor(
    private readonly api: ApiTokenApi,
    private readonly notices: Pick<Notices, 'add'>,
  ) {}

  open(): void {
    if (this.panel.value) return;
    this.panel.set({ list: { kind: 'loading' }, ...CLOSED_FORM });
    void this.load();
  }

  /** Closing forgets everything, the secret of a token just made included. */
  close(): void {
    this.panel.set(null);
  }

  /** Reads the list again (after it failed to load). */
  reload(): void {
    const current = this.panel.value;
    if (!current || current.list.kind === 'loading') return;
    this.panel.set({ ...current, list: { kind: 'loading' } });
    void this.load();
  }

  /** Makes a token; the name was checked by the form (api-token-rules.ts). Waits for the list first. */
  async create(name: string, scope: ApiScope): Promise<void> {
    const current = this.panel.value;
    if (!current || current.creating || current.list.kind !== 'loaded') return;
    this.panel.set({ ...current, creating: true, refusal: null, created: null, said: null });
    const outcome = await attempt(() => this.api.createApiToken({ name, scope }));
    const now = this.panel.value;
    if (outcome.ok) {
      this.showCreated({ token: outcome.token, secret: outcome.secret });
      return;
    }
    if (now) this.panel.set({ ...now, creating: false, refusal: refusalOf(outcome) });
    else this.notices.add('error', `Creating the API token “${name}” failed: ${outcome.message}`);
  }

  /** The admin has the secret (or gave up on it): it leaves the page. */
  dismissSecret(): void {
    const current = this.panel.value;
    if (current?.created) this.panel.set({ ...current, created: null });
  }

  askRevoke(tokenId: string): void {
    const current = this.panel.value;
    if (current?.list.kind !== 'loaded') return;
    const token = current.list.tokens.find((t) => t.id === tokenId);
    if (token) this.panel.set({ ...current, revoking: { token, sending: false, refusal: null }, said: null });
  }

  cancelRevoke(): void {
    const current = this.panel.value;
    if (current?.revoking) this.panel.set({ ...current, revoking: null });
  }

  /** Revokes the token the admin confirmed. One that is gone already (404) is gone all the same. */
  async revoke(): Promise<void> {
    const asked = this.panel.value?.revoking;
    if (!asked || asked.sending) return;
    this.setRevoking({ ...asked, sending: true, refusal: null });
    const { id, name } = asked.token;
    const outcome = await attempt(() => this.api.revokeApiToken(id));
    if (outcome.ok || outcome.error === UNKNOWN_TOKEN) {
      this.forget(id, outcome.ok ? `“${name}” was revoked: it no longer works.` : `“${name}” had been revoked already.`);
      return;
    }
    const now = this.panel.value;
    if (now?.revoking?.token.id === id) this.setRevoking({ ...asked, sending: false, refusal: refusalOf(outcome) });
    else this.notices.add('error', `Revoking the API token “${name}” failed: ${outcome.message}`);
  }

  private async load(): Promise<void> {
    const read = ++this.reads;
    const outcome = await attempt(() => this.api.listApiTokens());
    const current = this.panel.value;
    if (!current || read !== this.reads) return;
    if (!outcome.ok) {
      this.panel.set({ ...current, list: { kind: 'failed', message: outcome.message } });
      return;
    }
    // A token made while the list was read may have been made after the dashboard answered.
    const made = current.created?.token;
    const tokens = made ? withToken(outcome.tokens, made) : newestFirst(outcome.tokens);
    this.panel.set({ ...current, list: { kind: 'loaded', tokens } });
  }

  /**
   * The secret reaches the screen even if the panel was closed while the token was made: the token
   * works now, and this is the only moment it can be read.
   */
  private showCreated(created: CreatedToken): void {
    const current = this.panel.value;
    if (!current) {
      this.panel.set({ list: { kind: 'loading' }, ...CLOSED_FORM, created });
      void this.load();
      return;
    }
    const list: TokenList = current.list.kind === 'loaded' ? { kind: 'loaded', tokens: withToken(current.list.tokens, created.token) } : current.list;
    this.panel.set({ ...current, list, creating: false, refusal: null, created });
  }

  private setRevoking(revoking: RevokeQuestion): void {
    const current = this.panel.value;
    if (current) this.panel.set({ ...current, revoking });
  }

  /** A revoked token leaves the list, its confirmation and, if it was just made, its secret. */
  private forget(tokenId: string, said: string): void {
    const current = this.panel.value;
    if (!current) {
      this.notices.add('info', `API token ${said}`);
      return;
    }
    this.panel.set({
      ...current,
      list: current.list.kind === 'loaded' ? { kind: 'loaded', tokens: withoutToken(current.list.tokens, tokenId) } : current.list,
      revoking: current.revoking?.token.id === tokenId ? null : current.revoking,
      created: current.created?.token.id === tokenId ? null : current.created,
      said,
    });
  }
}

function refusalOf(outcome: Refusal): DialogRefusal {
  return { error: outcome.error, message: outcome.message };
}
