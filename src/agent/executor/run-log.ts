// The log a detached run writes and the agent follows: one JSON record a line, in the order the
// program printed. Output records carry the stream, so stdout and stderr stay apart and in order;
// the last record is the end of the run.
import type { Stream } from '../../protocol/model.js';
import type { StepResult } from './process-group.js';

export interface LineRecord {
  kind: 'line';
  stream: Stream;
  line: string;
}

export interface EndRecord {
  kind: 'end';
  result: StepResult;
}

export type RunLogRecord = LineRecord | EndRecord;

export function encodeLine(stream: Stream, line: string): string {
  return `${JSON.stringify({ stream, line })}\n`;
}

export function encodeEnd(result: StepResult): string {
  return `${JSON.stringify({ end: true, exit_code: result.exitCode, signal: result.signal, error: result.error })}\n`;
}

/** One record from one line of the log; null for a line that is not one (a torn write). */
export function decodeRecord(text: string): RunLogRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (record.end === true) {
    const exitCode = typeof record.exit_code === 'number' ? record.exit_code : null;
    const signal = typeof record.signal === 'string' ? (record.signal as NodeJS.Signals) : null;
    const error = typeof record.error === 'string' ? record.error : null;
    return { kind: 'end', result: { exitCode, signal, error } };
  }
  if ((record.stream === 'stdout' || record.stream === 'stderr') && typeof record.line === 'string') {
    return { kind: 'line', stream: record.stream, line: record.line };
  }
  return null;
}
