// How fast the machine is right now, in one number: the best of a few runs of a fixed workload on one
// thread, of the kind the dashboard does most (a host's JSON written and read back, bytes copied).
// The machine is shared and its speed moves from day to day and within a run; a build's CPU per line
// moves with it. Taken before each scenario, it shows how the machine's speed moved over a run (work
// that is mostly the kernel's follows it less closely; see BENCHMARKS.md). Lower is faster.

const HOST = {
  id: 'bench-00001',
  hostname: 'bench-00001',
  status: 'online',
  connected: true,
  last_seen: '2026-11-29T10:00:00.000Z',
  generation: '',
  metrics: { cpu: 3.5, ram: 41.2, swap: 0, load: 0.27 },
  update_status: {
    git: { status: 'ok', message: 'up to date with origin/main', checked_at: '2026-11-29T10:00:00.000Z' },
    lock: { status: 'ok', message: 'nixpkgs locked 2026-11-01', checked_at: '2026-11-29T10:00:00.000Z' },
    system: { status: 'ok', message: 'the running system is the configuration', checked_at: '2026-11-29T10:00:00.000Z' },
  },
  tags: ['web', 'eu'],
};
const ROUNDS = 30_000;
const RUNS = 4;
const COPY_BYTES = 1 << 20;

function once(): number {
  const source = Buffer.alloc(COPY_BYTES, 1);
  const target = Buffer.alloc(COPY_BYTES);
  const started = performance.now();
  let length = 0;
  for (let i = 0; i < ROUNDS; i++) {
    HOST.generation = String(i);
    length += (JSON.parse(JSON.stringify(HOST)) as typeof HOST).generation.length;
    if (i % 100 === 0) source.copy(target);
  }
  const ms = performance.now() - started;
  if (length === 0) throw new Error('unreachable: keeps the work from being optimized away');
  return ms;
}

/** The reference workload's best time of a few runs, in ms. */
export function referenceWorkloadMs(): number {
  return Math.min(...Array.from({ length: RUNS }, once));
}
