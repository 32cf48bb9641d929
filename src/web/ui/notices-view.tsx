// Notices for the admin (a refused command says why here). Errors are announced at once.
import { useApp, useObservable } from './hooks.js';

export function NoticesView() {
  const { notices } = useApp();
  useObservable(notices);
  return (
    <div class="notices" role="alert" aria-live="assertive">
      {notices.all.map((notice) => (
        <p key={notice.id} class={`notice notice-${notice.level}`}>
          <span>{notice.text}</span>
          <button type="button" class="quiet" aria-label="Dismiss" onClick={() => notices.dismiss(notice.id)}>
            ×
          </button>
        </p>
      ))}
    </div>
  );
}
