// A new agent token, shown once: the dashboard keeps only its hash, so this dialog is the only place
// it can ever be read. Closing the dialog drops it from the page. With it, everything to paste on the
// host: the command that puts the token into its file and the agent's settings, this dashboard's
// address included (agent-settings.ts).
import { useRef, useState } from 'preact/hooks';
import type { HostDialog } from '../../state/host-admin.js';
import { copyText } from '../clipboard.js';
import { useApp } from '../hooks.js';
import { useModal } from '../modal.js';
import { agentSettingsBlocks, type SettingsBlock } from './agent-settings.js';

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

type Copyable = 'token' | SettingsBlock['key'];
type CopyState = { what: Copyable; ok: true } | { what: Copyable; ok: false; message: string } | null;

const COPIED_TEXT: Record<Copyable, string> = {
  token: 'Token copied.',
  'token-file': 'Command copied.',
  module: 'Module settings copied.',
  environment: 'Environment copied.',
};

function TokenView({ dialog }: { dialog: TokenShown }) {
  const { hostAdmin, wsUrl } = useApp();
  const [copied, setCopied] = useState<CopyState>(null);
  const viewRef = useRef<HTMLDivElement>(null);
  const blocks = agentSettingsBlocks(dialog.token, { wsUrl, hostname: dialog.hostId, hostType: dialog.hostType });

  const copy = async (what: Copyable, text: string) => {
    try {
      await copyText(text, viewRef.current ?? undefined);
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
        <code class="token-value">{dialog.token}</code>
        <button type="button" class="primary" autofocus onClick={() => void copy('token', dialog.token)}>
          Copy token
        </button>
      </div>
      {blocks.map((block) => (
        <section key={block.key} class="settings-block" data-block={block.key} aria-labelledby={`settings-${block.key}`}>
          <div class="settings-head">
            <h3 id={`settings-${block.key}`}>{block.title}</h3>
            <button type="button" onClick={() => void copy(block.key, block.text)}>
              {block.copyLabel}
            </button>
          </div>
          <pre class="snippet">
            <code>{block.text}</code>
          </pre>
          <p class="hint">{block.hint}</p>
        </section>
      ))}
      <div class="buttons">
        <span class="copy-status" role="status">
          {copied?.ok === true && COPIED_TEXT[copied.what]}
          {copied?.ok === false && `Could not copy: ${copied.message}`}
        </span>
        <button type="button" onClick={() => hostAdmin.dismiss('token')}>
          Done
        </button>
      </div>
    </div>
  );
}
