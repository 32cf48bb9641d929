// What the page knows about API tokens without asking the dashboard: the scopes and what each allows,
// which names the dashboard takes, and the order the list is shown in. The bundle cannot import the
// protocol's TypeBox schemas; test/web/state/api-tokens.test.ts holds these copies to the originals
// (API_SCOPES and CreateApiTokenBody in src/protocol/http.ts).
import type { ApiScope, ApiToken } from '../../protocol/http.js';

/** Narrowest first, as the form offers them. */
export const API_TOKEN_SCOPES: readonly ApiScope[] = ['read', 'operate', 'admin'];

/** Each scope in a few words; a scope allows what the narrower ones do. */
export const SCOPE_MEANINGS: Readonly<Record<ApiScope, string>> = {
  read: 'read hosts, commands, output, events and rollouts',
  operate: 'read, and send commands, stop and queue them, run rollouts',
  admin: 'everything: also add and remove hosts, their agent tokens and API tokens',
};

/** The scope a new token gets unless the admin picks another: the narrowest. */
export const DEFAULT_SCOPE: ApiScope = 'read';

export const TOKEN_NAME_MAX_CHARS = 64;
/** What the dashboard’s pattern refuses in a name: the control characters. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export function isScope(value: string): value is ApiScope {
  return (API_TOKEN_SCOPES as readonly string[]).includes(value);
}

/**
 * Why the dashboard would refuse this name (empty, too long, a control character), or why the page
 * does: a name already in use, since the event log and the list tell tokens apart by name.
 */
export function tokenNameProblem(name: string, existing: readonly ApiToken[]): string | null {
  if (name.length === 0) return 'Give the token a name: what will use it (“ci”, “backup script”).';
  if (name.length > TOKEN_NAME_MAX_CHARS) return `A name has at most ${TOKEN_NAME_MAX_CHARS} characters.`;
  if (CONTROL_CHARACTER.test(name)) return 'A name cannot hold control characters (a line break, a tab).';
  if (existing.some((token) => token.name === name)) {
    return `A token named “${name}” exists already: choose another name, or revoke that one first.`;
  }
  return null;
}

/** The list as shown: the newest token first. */
export function newestFirst(tokens: readonly ApiToken[]): ApiToken[] {
  return [...tokens].sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id));
}

/** The list with `token` in it (replacing an older copy), newest first. */
export function withToken(tokens: readonly ApiToken[], token: ApiToken): ApiToken[] {
  return newestFirst([...tokens.filter((t) => t.id !== token.id), token]);
}

export function withoutToken(tokens: readonly ApiToken[], tokenId: string): ApiToken[] {
  return tokens.filter((t) => t.id !== tokenId);
}
