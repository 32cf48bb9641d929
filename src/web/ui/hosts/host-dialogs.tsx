// The dialogs of host management, one shown at a time (state/host-admin.ts decides which). Order
// matters: when a confirmation is replaced by the token it produced, the closing dialog comes first,
// so the token dialog opens last and, on close, gives the focus back to where the admin started.
import type { HostDialog } from '../../state/host-admin.js';
import { useApp, useObservable } from '../hooks.js';
import { AddHostDialog } from './add-host-dialog.js';
import { RemoveHostDialog } from './remove-host-dialog.js';
import { RotateTokenDialog } from './rotate-token-dialog.js';
import { TagsDialog } from './tags-dialog.js';
import { TokenDialog } from './token-dialog.js';

export function HostDialogs() {
  const { hostAdmin } = useApp();
  useObservable(hostAdmin.dialog);
  const dialog = hostAdmin.dialog.value;
  return (
    <>
      <AddHostDialog dialog={only(dialog, 'add')} />
      <RotateTokenDialog dialog={only(dialog, 'rotate')} />
      <RemoveHostDialog dialog={only(dialog, 'remove')} />
      <TagsDialog dialog={only(dialog, 'tags')} />
      <TokenDialog dialog={only(dialog, 'token')} />
    </>
  );
}

function only<K extends HostDialog['kind']>(dialog: HostDialog | null, kind: K): Extract<HostDialog, { kind: K }> | null {
  return dialog?.kind === kind ? (dialog as Extract<HostDialog, { kind: K }>) : null;
}
