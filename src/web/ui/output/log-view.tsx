// The scrolling log of one command. The lines are drawn by VirtualLog, outside of Preact: a log is
// appended to thousands of times a second and only the visible part is ever in the DOM.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { OutputBuffer } from '../../state/output-buffer.js';
import { VirtualLog } from './virtual-log.js';

export function LogView({ buffer, label }: { buffer: OutputBuffer; label: string }) {
  const viewportRef = useRef<HTMLDivElement>(null);
  const logRef = useRef<VirtualLog | null>(null);
  const [following, setFollowing] = useState(true);

  useEffect(() => {
    const viewport = viewportRef.current;
    if (!viewport) return;
    const log = new VirtualLog(viewport, buffer, setFollowing);
    logRef.current = log;
    setFollowing(true);
    return () => {
      log.destroy();
      logRef.current = null;
    };
  }, [buffer]);

  return (
    <div class="log-frame">
      <div ref={viewportRef} class="log" tabIndex={0} role="log" aria-live="off" aria-label={label} />
      {!following && (
        <button type="button" class="follow" onClick={() => logRef.current?.follow()}>
          ↓ Follow new lines
        </button>
      )}
    </div>
  );
}
