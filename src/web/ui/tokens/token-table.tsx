// The API tokens, newest first: what each is called, what it may do, who made it and when, when it
// was last used. Times tick; their exact moment is in the title.
import type { ApiToken } from '../../../protocol/http.js';
import { useNow } from '../clock.js';
import { timeAgo } from '../format.js';
import { useApp } from '../hooks.js';

export function TokenTable({ tokens, justMade }: { tokens: readonly ApiToken[]; justMade: string | null }) {
  const { apiTokens } = useApp();
  const now = useNow();
  if (tokens.length === 0) return <p class="muted">No API token yet.</p>;
  return (
    <div class="table-scroll">
      <table class="token-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scope</th>
            <th scope="col">Created</th>
            <th scope="col">Created by</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="visually-hidden">Revoke</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id} data-token={token.id} class={token.id === justMade ? 'just-made' : undefined}>
              <th scope="row" class="token-name">
                {token.name}
              </th>
              <td data-label="Scope">
                <span class={`badge scope scope-${token.scope}`}>{token.scope}</span>
              </td>
              <td data-label="Created">
                <Moment at={token.created_at} now={now} />
              </td>
              <td class="token-creator" data-label="Created by">{token.created_by}</td>
              <td class="token-last-used" data-label="Last used">
                <Moment at={token.last_used_at} now={now} />
              </td>
              <td class="token-revoke">
                <button type="button" aria-label={`Revoke ${token.name}…`} onClick={() => apiTokens.askRevoke(token.id)}>
                  Revoke…
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Moment({ at, now }: { at: string | null; now: number }) {
  if (at === null) return <span class="muted">never</span>;
  return (
    <time dateTime={at} title={new Date(at).toLocaleString()}>
      {timeAgo(at, now)}
    </time>
  );
}
