// Starting a worker thread from a module next to the caller, from sources or from the build.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Starts `<name>.js` (built) or `<name>.ts` (sources under tsx) from the directory of `callerUrl`.
 * On Node 20 the tsx loader of the main thread does not reach worker threads, so a worker started
 * from TypeScript sources registers it first.
 */
export function startSiblingWorker(callerUrl: string, name: string, options: WorkerOptions): Worker {
  const extension = path.extname(fileURLToPath(callerUrl));
  const entry = new URL(`./${name}${extension}`, callerUrl);
  if (extension !== '.ts') return new Worker(entry, options);
  // Resolved here: an eval'd worker would resolve a bare name from the process's cwd.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
