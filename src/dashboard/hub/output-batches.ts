// What the fan-out queues for one flush, serialized once; the same messages for browsers that take
// `output_batch` (OUTPUT_BATCH_QUERY), runs of several commands' output merged into one; and both as frames.
import type { OutputLine } from '../../protocol/model.js';
import { encodeTextFrames } from './frame-bytes.js';
import type { FlushFrames } from './peer.js';

/** One command's lines gathered until the next flush: a `command_output` payload. */
export interface OutputBatch {
  host_id: string;
  command_id: string;
  command: string;
  lines: OutputLine[];
}

/** A message already serialized (state, progress, events), or a command's output still gathering lines. */
export type Queued = { type: string; frame: Buffer; versioned: boolean } | OutputBatch;

/** What an output message holds before its payload (and `}` after it): withOutputBatched takes the payload back out. */
const OUTPUT_MESSAGE_HEAD = '{"type":"command_output","payload":';

export const serialized = (item: Queued): Buffer | string => ('frame' in item ? item.frame : `${OUTPUT_MESSAGE_HEAD}${JSON.stringify(item)}}`);

/** The messages for browsers that take `output_batch`, and how many of them are batches of how many outputs. */
export interface Batched {
  messages: readonly (Buffer | string)[];
  batches: number;
  /** Output messages that went into the batches. */
  merged: number;
}

/**
 * Each run of two or more output messages with nothing between them becomes one `output_batch`, their
 * payloads in the same order. A state change between two runs stays between them. Without such a
 * run, `messages` itself. `messages` are `queue` serialized.
 */
function withOutputBatched(queue: readonly Queued[], messages: readonly (Buffer | string)[]): Batched {
  const out: (Buffer | string)[] = [];
  let run: string[] = [];
  let batches = 0;
  let merged = 0;
  const endRun = () => {
    if (run.length === 1) out.push(run[0] as string);
    else if (run.length > 1) {
      out.push(`{"type":"output_batch","payload":{"outputs":[${run.map((m) => m.slice(OUTPUT_MESSAGE_HEAD.length, -1)).join(',')}]}}`);
      batches += 1;
      merged += run.length;
    }
    run = [];
  };
  queue.forEach((item, i) => {
    const message = messages[i] as Buffer | string;
    if ('frame' in item) {
      endRun();
      out.push(message);
    } else run.push(message as string);
  });
  endRun();
  return { messages: batches > 0 ? out : messages, batches, merged };
}

/** One flush's frames in both forms, each encoded on first use, and once for both when nothing was batched. */
export class EncodedFlush implements FlushFrames {
  private plainFrames: Buffer | null = null;
  private batchedFrames: { form: Batched; frames: Buffer } | null = null;

  constructor(
    private readonly queue: readonly Queued[],
    private readonly messages: readonly (Buffer | string)[],
  ) {}

  plain(): Buffer {
    return (this.plainFrames ??= encodeTextFrames(this.messages));
  }

  batched(): Buffer {
    if (this.batchedFrames === null) {
      const form = withOutputBatched(this.queue, this.messages);
      this.batchedFrames = { form, frames: form.batches === 0 ? this.plain() : encodeTextFrames(form.messages) };
    }
    return this.batchedFrames.frames;
  }

  /** What the batched form merged, once a browser took it (null before). */
  get batchedForm(): Batched | null {
    return this.batchedFrames?.form ?? null;
  }
}
