// One command's output: what ran where, how it ended, its log, and copy / download.
import { useState } from 'preact/hooks';
import type { Command } from '../../../protocol/model.js';
import { isActiveStatus } from '../../../protocol/constants.js';
import type { OutputBuffer } from '../../state/output-buffer.js';
import { COMMAND_STATUS_LABELS, formatCount } from '../format.js';
import { useApp, useObservable } from '../hooks.js';
import { copyText } from '../clipboard.js';
import { downloadLog, logFileName } from './log-export.js';
import { LogView } from './log-view.js';

export interface CommandLabel {
  hostId: string;
  command: string;
}

export function OutputTab({ buffer, record, label }: { buffer: OutputBuffer; record: Command | undefined; label: CommandLabel }) {
  const { api, notices } = useApp();
  useObservable(buffer);
  const [busy, setBusy] = useState(false);
  const count = buffer.lines.length;
  const loading = buffer.replayPending;

  const copy = async () => {
    try {
      await copyText(buffer.text());
      notices.add('info', `Copied ${formatCount(count)} lines of ${label.command} on ${label.hostId}.`);
    } catch (error) {
      notices.add('error', `Could not copy: ${String(error)}`);
    }
  };
  const download = async () => {
    setBusy(true);
    try {
      await downloadLog(api, buffer.commandId, logFileName(label.hostId, label.command, buffer.commandId));
    } catch (error) {
      notices.add('error', `Could not download the log: ${String(error)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="output-tab">
      <div class="output-head">
        <h3>
          {label.command} <span class="muted">on</span> {label.hostId}
        </h3>
        {record && <span class={`badge status-${record.status}`}>{COMMAND_STATUS_LABELS[record.status]}</span>}
        {record && record.exit_code !== null && !isActiveStatus(record.status) && <span class="muted">exit {record.exit_code}</span>}
        <span class="line-count" data-count={count}>
          {formatCount(count)} lines{loading ? ' (loading…)' : ''}
        </span>
        <span class="spacer" />
        <button type="button" onClick={() => void copy()} disabled={count === 0}>
          Copy
        </button>
        <button type="button" onClick={() => void download()} disabled={busy}>
          {busy ? 'Downloading…' : 'Download'}
        </button>
      </div>
      {record?.message && <p class="command-message">{record.message}</p>}
      <LogView buffer={buffer} label={`Output of ${label.command} on ${label.hostId}`} />
    </div>
  );
}
