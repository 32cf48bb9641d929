// The output tabs, one per command. A tab shows its command's whole log: replayed from the first
// line when opened, then live.
import { useEffect, useState } from 'preact/hooks';
import type { Command } from '../../../protocol/model.js';
import { useApp, useObservable } from '../hooks.js';
import { OutputTab, type CommandLabel } from './output-tab.js';

export function OutputPanel() {
  const { tabs, fleet, output, api } = useApp();
  useObservable(tabs);
  useObservable(fleet);
  // Commands too old to be in the dashboard's `init` (a tab kept across a refresh) are read once.
  const [older, setOlder] = useState<ReadonlyMap<string, Command>>(new Map());
  const ids = tabs.ids;

  useEffect(() => {
    if (!fleet.hasState) return;
    for (const id of ids) {
      if (fleet.commands.has(id) || older.has(id)) continue;
      api.outputPage(id, 0, 1).then(
        (reply) => setOlder((previous) => new Map(previous).set(id, reply.command)),
        () => tabs.close(id),
      );
    }
  }, [ids, fleet.hasState]);

  const recordOf = (id: string) => fleet.commands.get(id) ?? older.get(id);
  const labelOf = (id: string): CommandLabel => {
    const record = recordOf(id);
    const origin = output.get(id)?.origin;
    return { hostId: record?.host_id ?? origin?.host_id ?? '…', command: record?.command ?? origin?.command ?? '…' };
  };
  const active = tabs.active;
  const activeBuffer = active === null ? undefined : output.get(active);

  return (
    <section class="output panel" aria-labelledby="output-title">
      <h2 id="output-title">Output</h2>
      {ids.length === 0 ? (
        <p class="empty">Run a command, or click the command of a host, to see its output here.</p>
      ) : (
        <>
          <div role="tablist" aria-label="Command outputs" class="tabs" onKeyDown={(event) => moveBetweenTabs(event, ids, active, tabs.show.bind(tabs))}>
            {ids.map((id) => {
              const label = labelOf(id);
              const status = recordOf(id)?.status ?? 'unknown';
              return (
                <span key={id} class={`tab${id === active ? ' active' : ''}`}>
                  <button
                    type="button"
                    role="tab"
                    id={`tab-${id}`}
                    data-command={id}
                    aria-selected={id === active}
                    aria-controls="output-tabpanel"
                    tabIndex={id === active ? 0 : -1}
                    onClick={() => tabs.show(id)}
                  >
                    <span class={`dot status-${status}`} aria-hidden="true" />
                    {label.hostId} · {label.command}
                  </button>
                  <button type="button" class="close" aria-label={`Close ${label.hostId} · ${label.command}`} onClick={() => tabs.close(id)}>
                    ×
                  </button>
                </span>
              );
            })}
          </div>
          <div role="tabpanel" id="output-tabpanel" aria-labelledby={active ? `tab-${active}` : undefined}>
            {active !== null && activeBuffer && <OutputTab key={active} buffer={activeBuffer} record={recordOf(active)} label={labelOf(active)} />}
          </div>
        </>
      )}
    </section>
  );
}

function moveBetweenTabs(event: KeyboardEvent, ids: readonly string[], active: string | null, show: (id: string) => void): void {
  if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
  const index = active === null ? 0 : ids.indexOf(active);
  const next = ids[(index + (event.key === 'ArrowRight' ? 1 : -1) + ids.length) % ids.length];
  if (next === undefined) return;
  event.preventDefault();
  show(next);
  document.getElementById(`tab-${next}`)?.focus();
}
