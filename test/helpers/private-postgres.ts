// A PostgreSQL server of one test's own (initdb into a temp dir, on a free port), so that the test
// can stop and restart it without disturbing the shared server other tests use.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onTestProcessEnd } from '../agent/support/agent-process.js';
import { tempDir } from './dashboard.js';

/** The newest installed server's bin dir (Debian: /usr/lib/postgresql/<version>/bin), or null. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return null;
  const versions = fs.readdirSync(root).filter((name) => fs.existsSync(path.join(root, name, 'bin', 'initdb')));
  const newest = versions.sort((x, y) => Number(x) - Number(y)).at(-1);
  return newest ? path.join(root, newest, 'bin') : null;
}

/** The server refuses to run as root: as root, it runs as the `postgres` user. */
function serverUser(): { uid?: number; gid?: number } {
  if (os.userInfo().uid !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export class PrivatePostgres {
  private child: ChildProcess | null = null;

  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(bin: string, port: number): Promise<PrivatePostgres> {
    const dir = tempDir('nixfleet-pg-');
    if (os.userInfo().uid === 0) spawnSync('chown', ['-R', 'postgres', dir]);
    const args = ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'];
    const result = spawnSync(path.join(bin, 'initdb'), args, { encoding: 'utf8', ...serverUser() });
    if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr}`);
    const server = new PrivatePostgres(bin, dir, port);
    onTestProcessEnd(() => server.child?.kill('SIGKILL'));
    return server;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server; resolves once it accepts connections. */
  async start(): Promise<void> {
    const args = ['-D', path.join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
    const child = spawn(path.join(this.bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...serverUser() });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const look = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('ready to accept connections')) resolve();
      };
      child.stdout?.on('data', look);
      child.stderr?.on('data', look);
      child.once('exit', (code) => reject(new Error(`postgres exited with ${code}: ${log}`)));
    });
  }

  /** An immediate shutdown, as a crash or a failover looks to clients: every connection drops. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGQUIT');
    await exited;
    this.child = null;
  }

  async remove(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
