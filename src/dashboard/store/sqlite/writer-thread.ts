// The writer thread: applies batches in order, one transaction each, so that a slow or failing disk
// never stalls the thread that routes messages. A failed batch is retried until it goes through;
// later batches wait behind it, so the order of writes is kept.
import { parentPort, workerData } from 'node:worker_threads';
import { batchApplier, type WriterReply, type WriterRequest } from './batch.js';
import type { WriteBatch } from '../write-batch.js';
import { openDatabase } from './schema.js';

const RETRY_INTERVAL_MS = 1_000;
const port = parentPort;
if (!port) throw new Error('writer-thread must run as a worker');

const { file } = workerData as { file: string };
const db = openDatabase(file);
const apply = batchApplier(db);
const queue: WriteBatch[] = [];
let retryTimer: NodeJS.Timeout | null = null;
let closing = false;

function reply(message: WriterReply): void {
  port?.postMessage(message);
}

function drain(): void {
  retryTimer = null;
  while (queue.length > 0) {
    const batch = queue[0] as WriteBatch;
    const started = performance.now();
    try {
      apply(batch);
    } catch (err) {
      reply({ type: 'failed', id: batch.id, error: (err as Error).message });
      retryTimer = setTimeout(drain, RETRY_INTERVAL_MS);
      return;
    }
    queue.shift();
    reply({ type: 'durable', id: batch.id, ms: performance.now() - started });
  }
  if (closing) finish();
}

function finish(): void {
  db.close();
  reply({ type: 'closed' });
  port?.close();
}

port.on('message', (request: WriterRequest) => {
  if (request.type === 'close') {
    closing = true;
    if (queue.length === 0) finish();
    return;
  }
  queue.push(request.batch);
  if (queue.length === 1 && retryTimer === null) drain();
});
