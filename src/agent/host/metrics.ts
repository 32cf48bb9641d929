// Host metrics for the heartbeat: cpu %, ram %, swap % and the 1-minute load. On Linux from /proc,
// which costs a few small reads; elsewhere (macOS) from the os module, which has no swap figure.
import fs from 'node:fs';
import os from 'node:os';
import type { Metrics } from '../../protocol/model.js';

interface CpuTimes {
  idle: number;
  total: number;
}

function linuxCpuTimes(): CpuTimes | null {
  try {
    // First line: "cpu  user nice system idle iowait irq softirq steal guest guest_nice".
    const first = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = first.trim().split(/\s+/).slice(1, 9).map(Number);
    if (fields.length < 5 || fields.some((n) => !Number.isFinite(n))) return null;
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

function osCpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

function linuxMemory(): { ram: number; swap: number } | null {
  try {
    const values = new Map<string, number>();
    for (const line of fs.readFileSync('/proc/meminfo', 'utf8').split('\n')) {
      const match = /^(\w+):\s+(\d+)/.exec(line);
      if (match) values.set(match[1] ?? '', Number(match[2]));
    }
    const total = values.get('MemTotal');
    const available = values.get('MemAvailable') ?? values.get('MemFree');
    if (!total || available === undefined) return null;
    const swapTotal = values.get('SwapTotal') ?? 0;
    const swapFree = values.get('SwapFree') ?? 0;
    return { ram: percent(total - available, total), swap: swapTotal > 0 ? percent(swapTotal - swapFree, swapTotal) : 0 };
  } catch {
    return null;
  }
}

function linuxLoad1(): number | null {
  try {
    const load = Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ', 1)[0]);
    return Number.isFinite(load) ? load : null;
  } catch {
    return null;
  }
}

/** One decimal is what a dashboard shows. */
const percent = (part: number, whole: number): number => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0);

export class MetricsSampler {
  private readonly linux = process.platform === 'linux';
  private last: CpuTimes;

  constructor() {
    this.last = this.cpuTimes();
  }

  /** CPU use since the previous sample (or since start), memory and load now. */
  sample(): Metrics {
    const now = this.cpuTimes();
    const busyDelta = now.total - this.last.total - (now.idle - this.last.idle);
    const cpu = percent(Math.max(0, busyDelta), now.total - this.last.total);
    this.last = now;
    const memory = (this.linux ? linuxMemory() : null) ?? {
      ram: percent(os.totalmem() - os.freemem(), os.totalmem()),
      swap: 0,
    };
    const load = (this.linux ? linuxLoad1() : null) ?? os.loadavg()[0] ?? 0;
    return { cpu, ram: memory.ram, swap: memory.swap, load: Math.round(load * 100) / 100 };
  }

  private cpuTimes(): CpuTimes {
    return (this.linux ? linuxCpuTimes() : null) ?? osCpuTimes();
  }
}
