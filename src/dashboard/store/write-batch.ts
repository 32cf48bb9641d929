// One batch of writes: what the dashboard gathers in a short tick and a backend applies in one
// transaction. Records are copied (or serialized) when the batch is taken, so the batch is a snapshot.
import type { ApiTokenRecord, CommandRecord, EventRecord, HostTokenRecord, SessionRecord } from './store.js';

export interface WriteBatch {
  id: number;
  meta: [key: string, value: string][];
  hosts: [id: string, json: string][];
  deletedHosts: string[];
  commands: CommandRecord[];
  // Output lines are columns rather than objects: cheaper to copy to the writer thread.
  outputCommandIds: string[];
  outputSeqs: number[];
  outputStreams: number[];
  outputLines: string[];
  /** The v1 agent's next seq once this line was taken (0 for v0 agents). */
  outputAgentSeqs: number[];
  sessions: SessionRecord[];
  deletedSessions: string[];
  hostTokens: HostTokenRecord[];
  deletedHostTokens: string[];
  apiTokens: ApiTokenRecord[];
  deletedApiTokens: string[];
  events: EventRecord[];
  rollouts: [id: string, createdAt: number, status: string, json: string][];
  /** Retention: events before `eventsBefore`, and output of commands finished before `outputBefore`, go. */
  purge: { eventsBefore: number; outputBefore: number } | null;
}

export interface Chunk {
  commandId: string;
  firstSeq: number;
  agentSeqEnd: number;
  lines: [stream: number, line: string][];
}

/** Groups a batch's lines into runs of consecutive lines of one command. */
export function chunksOf(batch: WriteBatch): Chunk[] {
  const chunks: Chunk[] = [];
  const open = new Map<string, Chunk>();
  for (let i = 0; i < batch.outputSeqs.length; i++) {
    const commandId = batch.outputCommandIds[i] as string;
    const seq = batch.outputSeqs[i] as number;
    let chunk = open.get(commandId);
    if (!chunk || chunk.firstSeq + chunk.lines.length !== seq) {
      chunk = { commandId, firstSeq: seq, agentSeqEnd: 0, lines: [] };
      open.set(commandId, chunk);
      chunks.push(chunk);
    }
    chunk.lines.push([batch.outputStreams[i] as number, batch.outputLines[i] as string]);
    chunk.agentSeqEnd = batch.outputAgentSeqs[i] as number;
  }
  return chunks;
}

