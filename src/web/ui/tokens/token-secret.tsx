// A new API token's secret, shown once: the dashboard keeps only its hash. It stays until the admin
// says it is copied (or closes the panel); then it is gone from the page for good.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { CreatedToken } from '../../state/api-tokens.js';
import { copyText } from '../clipboard.js';
import { useApp } from '../hooks.js';

export interface TokenSecretProps {
  created: CreatedToken;
  /** Called once the secret is dismissed: the focus must go somewhere in the dialog. */
  onDismissed(): void;
}

export function TokenSecret({ created, onDismissed }: TokenSecretProps) {
  const { apiTokens } = useApp();
  const [copyStatus, setCopyStatus] = useState('');
  const ref = useRef<HTMLElement>(null);
  const copyRef = useRef<HTMLButtonElement>(null);
  // The secret is what matters now: the focus goes to its Copy button, as for an agent token.
  useLayoutEffect(() => copyRef.current?.focus(), []);
  const copy = async () => {
    try {
      await copyText(created.secret, ref.current ?? undefined);
      setCopyStatus('Token copied.');
    } catch (error) {
      setCopyStatus(`Could not copy: ${String(error)}`);
    }
  };
  return (
    <section ref={ref} class="token-secret" aria-labelledby="token-secret-title">
      <h3 id="token-secret-title">
        New token “{created.token.name}” ({created.token.scope})
      </h3>
      <p id="token-secret-warning" class="warning">
        Copy it now: it will not be shown again. The dashboard keeps only a hash of it; if it is lost, revoke it and
        make another.
      </p>
      <div class="token-line">
        <code class="token-value" aria-describedby="token-secret-warning">
          {created.secret}
        </code>
        <button ref={copyRef} type="button" class="primary" onClick={() => void copy()}>
          Copy token
        </button>
      </div>
      <div class="buttons">
        <span class="copy-status" role="status">
          {copyStatus}
        </span>
        <button
          type="button"
          onClick={() => {
            apiTokens.dismissSecret();
            onDismissed();
          }}
        >
          I have copied it
        </button>
      </div>
    </section>
  );
}
