// Which instance keeps the fleet: the one holding a PostgreSQL session-level advisory lock, named for
// the schema (so that clusters sharing a database do not collide). The others wait in
// pg_advisory_lock; the lock goes with the holder's connection, so a killed leader frees it at once,
// and a machine that vanished frees it within seconds (TCP keepalives on both ends).
//
// Each time an instance takes the lock it draws a new term from a sequence. Its beats carry the
// term; instances follow the highest term they have heard, and a leader that hears a higher one
// than its own has lost and stops: two leaders never act on the fleet for long.
//
// When the database itself goes away (a restart, a failover) every connection drops, the leader's
// too. The leader then takes the lock back as soon as the database answers again, while the others
// wait until they have stopped hearing from it: a database restart does not move the fleet.
import pg from 'pg';
import type { Logger } from 'pino';

const LOCK_NAME = "hashtextextended('nixfleet leader ' || current_schema(), 0)";
/** Between attempts when the database cannot be reached, and between looks at `mayContend`. */
const RETRY_MS = 500;
/** The server gives up on a silent client after about idle + interval × count seconds. */
const KEEPALIVE_SETTINGS = ['SET tcp_keepalives_idle = 5', 'SET tcp_keepalives_interval = 2', 'SET tcp_keepalives_count = 3'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Leadership {
  private client: pg.Client | null = null;
  private held = false;
  private stopped = false;
  private currentTerm = 0;
  private readonly lostListeners: ((why: string) => void)[] = [];

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
  ) {}

  get isLeader(): boolean {
    return this.held;
  }

  /** The term drawn when the lock was last taken (0 before). */
  get term(): number {
    return this.currentTerm;
  }

  /** Told when another instance holds the lock now: this one must stop acting. */
  onLost(listener: (why: string) => void): void {
    this.lostListeners.push(listener);
  }

  /** Another instance announced a higher term than ours: it took the lock while we thought we held it. */
  outranked(term: number): void {
    if (!this.held || term <= this.currentTerm) return;
    this.lose(`instance with term ${term} leads now (this one had ${this.currentTerm})`);
  }

  private lose(why: string): void {
    this.held = false;
    this.log.error({ why }, 'cluster: another instance holds the leader lock now');
    for (const listener of this.lostListeners) listener(why);
  }

  private async connect(): Promise<pg.Client> {
    for (;;) {
      const client = new pg.Client({ connectionString: this.databaseUrl, application_name: 'nixfleet leader lock', keepAlive: true, keepAliveInitialDelayMillis: 5_000 });
      try {
        await client.connect();
        client.on('error', (err) => this.connectionLost(client, err.message));
        client.on('end', () => this.connectionLost(client, 'connection closed'));
        for (const setting of KEEPALIVE_SETTINGS) await client.query(setting);
        this.client = client;
        return client;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (this.stopped) throw err;
        this.log.debug({ err }, 'cluster: the database does not answer; trying again');
        await sleep(RETRY_MS);
      }
    }
  }

  /** A new term, drawn while holding the lock. */
  private async drawTerm(client: pg.Client): Promise<number> {
    await client.query('CREATE SEQUENCE IF NOT EXISTS nixfleet_leader_term');
    const result = await client.query<{ term: string }>("SELECT nextval('nixfleet_leader_term') AS term");
    return Number(result.rows[0]?.term ?? 0);
  }

  /**
   * Resolves true once this instance holds the lock, false if stopped first. After a lost connection
   * it asks again only when `mayContend()` says no leader is heard from.
   */
  async acquire(mayContend: () => boolean): Promise<boolean> {
    let first = true;
    while (!this.stopped) {
      let client: pg.Client | null = null;
      try {
        if (!first) while (!this.stopped && !mayContend()) await sleep(RETRY_MS);
        first = false;
        client = await this.connect();
        await client.query(`SELECT pg_advisory_lock(${LOCK_NAME})`);
        this.currentTerm = await this.drawTerm(client);
        if (this.stopped) break;
        this.held = true;
        return true;
      } catch (err) {
        if (this.client === client) this.client = null;
        await client?.end().catch(() => undefined);
        if (this.stopped) break;
        this.log.debug({ err }, 'cluster: waiting for the leader lock again');
        await sleep(RETRY_MS);
      }
    }
    return false;
  }

  private connectionLost(client: pg.Client, why: string): void {
    if (this.client !== client) return;
    this.client = null;
    if (!this.held || this.stopped) return;
    this.log.warn({ why }, 'cluster: the connection that holds the leader lock is gone; taking it back');
    void this.regain(why);
  }

  /** The leader's connection dropped: the lock is taken back at once, unless another instance has it. */
  private async regain(why: string): Promise<void> {
    while (!this.stopped && this.held) {
      let client: pg.Client | null = null;
      try {
        client = await this.connect();
        const result = await client.query<{ held: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_NAME}) AS held`);
        if (!result.rows[0]?.held) return this.lose(why);
        // Another instance may have held it meanwhile and gone again: a new term says who is newest.
        this.currentTerm = await this.drawTerm(client);
        this.log.info({ term: this.currentTerm }, 'cluster: leader lock taken back');
        return;
      } catch (err) {
        if (this.client === client) this.client = null;
        await client?.end().catch(() => undefined);
        if (this.stopped) return;
        this.log.debug({ err }, 'cluster: taking the leader lock back failed; trying again');
        await sleep(RETRY_MS);
      }
    }
  }

  /** Gives the lock up (shutdown): the next instance takes over at once. */
  async release(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    this.held = false;
    await client?.end().catch(() => undefined);
  }
}
