// "API tokens", from the page header: the tokens scripts and CI use (`Authorization: Bearer …`), a form
// to make one, its secret shown once, and each token's revocation, confirmed in a dialog of its own.
// What is shown comes from state/api-tokens.ts; closing the dialog forgets the secret.
import type { RefObject } from 'preact';
import { useRef } from 'preact/hooks';
import type { TokensPanel } from '../../state/api-tokens.js';
import { useApp, useObservable } from '../hooks.js';
import { useModal } from '../modal.js';
import { NewTokenForm } from './new-token-form.js';
import { RevokeTokenDialog } from './revoke-token-dialog.js';
import { TokenSecret } from './token-secret.js';
import { TokenTable } from './token-table.js';

export function ApiTokensDialog() {
  const { apiTokens } = useApp();
  useObservable(apiTokens.panel);
  const panel = apiTokens.panel.value;
  const ref = useModal(panel !== null);
  // Where the focus goes when the element that had it leaves (the row of a token just revoked).
  const nameRef = useRef<HTMLInputElement>(null);
  return (
    <>
      <dialog ref={ref} class="modal api-tokens" aria-labelledby="api-tokens-title" onClose={() => apiTokens.close()}>
        {/* Mounted only while open, so every opening starts from an empty form. */}
        {panel && <TokensView panel={panel} nameRef={nameRef} />}
      </dialog>
      {/* After the panel, so that it opens on top of it. */}
      <RevokeTokenDialog question={panel?.revoking ?? null} fallbackFocus={nameRef} />
    </>
  );
}

function TokensView({ panel, nameRef }: { panel: TokensPanel; nameRef: RefObject<HTMLInputElement> }) {
  const { apiTokens } = useApp();
  const { list } = panel;
  return (
    <div>
      <h2 id="api-tokens-title">API tokens</h2>
      <p class="muted">
        For scripts, CI and the <code>nixfleet</code> command: <code>Authorization: Bearer &lt;token&gt;</code> on any{' '}
        <code>/api</code> route and on <code>/ws</code>. A token can do what its scope allows, and stops working the moment
        it is revoked.
      </p>
      {panel.created && <TokenSecret key={panel.created.token.id} created={panel.created} onDismissed={() => nameRef.current?.focus()} />}
      <p class="token-said" role="status">
        {panel.said}
      </p>
      <h3>Tokens</h3>
      {list.kind === 'loading' && <p class="muted">Reading the tokens…</p>}
      {list.kind === 'failed' && (
        <p class="form-error">
          Could not read the tokens: {list.message}{' '}
          <button type="button" onClick={() => apiTokens.reload()}>
            Try again
          </button>
        </p>
      )}
      {list.kind === 'loaded' && <TokenTable tokens={list.tokens} justMade={panel.created?.token.id ?? null} />}
      <NewTokenForm panel={panel} nameRef={nameRef} />
      <div class="buttons">
        <button type="button" onClick={() => apiTokens.close()}>
          Close
        </button>
      </div>
    </div>
  );
}
