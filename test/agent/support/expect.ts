// Assertions about what the dashboard kept of a command, shared by the restart tests.
import assert from 'node:assert/strict';
import type { OutputLine } from '../../../src/protocol/model.js';
import { range, type TestFleet } from './fleet.js';

/** Output stored by the dashboard is dense and has no line the dashboard added for a gap. */
export function assertNoGap(lines: readonly OutputLine[]): void {
  assert.deepEqual(lines.map((l) => l.seq), range(0, lines.length - 1));
  assert.equal(lines.filter((l) => l.line.includes('never reached the dashboard')).length, 0, 'no gap marker');
}

/**
 * The command was never given up as lost on the way: the agent named it as running in every register
 * and heartbeat until its status arrived. (A late status would settle a lost command too, so the end
 * status alone does not show this.)
 */
export async function assertNeverLost(fleet: TestFleet, host: string, command: string): Promise<void> {
  const events = await fleet.events(host);
  assert.deepEqual(events.filter((e) => e.startsWith(`${command} on ${host} lost`)), [], events.join('\n'));
}
