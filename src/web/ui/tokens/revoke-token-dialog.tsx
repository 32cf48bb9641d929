// Asks before an API token is revoked: it stops working at once, for every request and socket that
// uses it, and cannot be brought back. Opened on top of the tokens panel.
import type { RefObject } from 'preact';
import type { RevokeQuestion } from '../../state/api-tokens.js';
import { useApp } from '../hooks.js';
import { useModal } from '../modal.js';

export function RevokeTokenDialog({ question, fallbackFocus }: { question: RevokeQuestion | null; fallbackFocus: RefObject<HTMLElement> }) {
  const { apiTokens } = useApp();
  const ref = useModal(question !== null);
  const closed = () => {
    apiTokens.cancelRevoke();
    // The focus goes back to the row's button; once the row is gone, to the panel's form instead.
    const focused = document.activeElement;
    if (!focused || focused === document.body) fallbackFocus.current?.focus();
  };
  return (
    <dialog ref={ref} class="modal confirm" aria-labelledby="revoke-token-title" onClose={closed}>
      {question && (
        <div>
          <h2 id="revoke-token-title">Revoke the API token “{question.token.name}”?</h2>
          <p>
            It stops working at once: a script or CI job that uses it gets 401, and a socket opened with it is closed.
            This cannot be undone; a new token can be made instead.
          </p>
          <p class="form-error" role="alert">
            {question.refusal?.message}
          </p>
          <div class="buttons">
            <button type="button" autofocus onClick={() => apiTokens.cancelRevoke()}>
              Keep it
            </button>
            <button type="button" class="danger" disabled={question.sending} onClick={() => void apiTokens.revoke()}>
              {question.sending ? 'Revoking…' : 'Revoke token'}
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}
