// A new agent token, shown once: the dashboard keeps only its hash, so this dialog is the only place
// it can ever be read. Closing the dialog drops it from the page. With it, what to paste on the host.
import { useRef, useState } from 'preact/hooks';
import type { HostDialog } from '../../state/host-admin.js';
import { copyText } from '../clipboard.js';
import { useApp } from '../hooks.js';
import { useModal } from '../modal.js';
import { tokenSnippet } from './token-snippet.js';

type TokenShown = Extract<HostDialog, { kind: 'token' }>;

export function TokenDialog({ dialog }: { dialog: TokenShown | null }) {
  const { hostAdmin } = useApp();
  const ref = useModal(dialog !== null);
  return (
    <dialog ref={ref} class="modal token-dialog" aria-labelledby="token-title" aria-describedby="token-warning" onClose={() => hostAdmin.dismiss('token')}>
      {/* Keyed by the token, so the "Copied" state of an earlier token is never shown for a new one. */}
      {dialog && <TokenView key={dialog.token} dialog={dialog} />}
    </dialog>
  );
}

type CopyState = { what: 'token' | 'snippet'; ok: true } | { what: 'token' | 'snippet'; ok: false; message: string } | null;

function TokenView({ dialog }: { dialog: TokenShown }) {
  const { hostAdmin } = useApp();
  const [copied, setCopied] = useState<CopyState>(null);
  const viewRef = useRef<HTMLDivElement>(null);
  const snippet = tokenSnippet(dialog.token);

  const copy = async (what: 'token' | 'snippet') => {
    try {
      await copyText(what === 'token' ? dialog.token : snippet, viewRef.current ?? undefined);
      setCopied({ what, ok: true });
    } catch (error) {
      setCopied({ what, ok: false, message: String(error) });
    }
  };

  return (
    <div ref={viewRef}>
      <h2 id="token-title">
        {dialog.reason === 'created' ? `${dialog.hostId} was added` : `New agent token for ${dialog.hostId}`}
      </h2>
      <p id="token-warning" class="warning">
        This token is shown only once. The dashboard keeps only a hash of it: copy it now. If it is lost, rotate the
        token from the host’s Actions menu.
      </p>
      <div class="token-line">
        <code class="token-value">
          {dialog.token}
        </code>
        <button type="button" class="primary" autofocus onClick={() => void copy('token')}>
          Copy token
        </button>
      </div>
      <h3>On {dialog.hostId}, as root</h3>
      <pre class="snippet">
        <code>{snippet}</code>
      </pre>
      <p class="hint">
        The first line puts the token into a file only root can read; the second is the agent’s setting that names it
        (in its environment file or service).
      </p>
      <div class="buttons">
        <span class="copy-status" role="status">
          {copied?.ok === true && (copied.what === 'token' ? 'Token copied.' : 'Commands copied.')}
          {copied?.ok === false && `Could not copy: ${copied.message}`}
        </span>
        <button type="button" onClick={() => void copy('snippet')}>
          Copy commands
        </button>
        <button type="button" onClick={() => hostAdmin.dismiss('token')}>
          Done
        </button>
      </div>
    </div>
  );
}
