// One instance of a cluster (NIXFLEET_REDIS_URL): its front listens at once and holds sockets; the
// instance that wins the leader lock also builds the core (the fleet's state, as a single dashboard
// has it) from PostgreSQL and answers for every instance. docs/cluster.md tells the whole story.
import { randomBytes, randomUUID } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { DashboardConfig } from '../config.js';
import { resolveCredentials } from '../auth/credentials.js';
import { openStore } from '../store/open-store.js';
import { lockDataDir } from '../data-dir-lock.js';
import { createCore, LISTEN_BACKLOG, shownUrl, type Core } from '../server.js';
import { acceptWider } from '../http/wide-accept.js';
import { Bus, type BusHeader } from './bus.js';
import { Edge, LEADER_SILENCE_MS } from './edge.js';
import { EdgeLinks } from './edge-links.js';
import { Leadership } from './leadership.js';
import { createFront, type FrontApp, type InstanceHealth } from './front.js';
import { instanceMetrics } from './instance-metrics.js';

/** How often the leader says so on the bus. */
export const LEADER_BEAT_MS = 1_000;
const EMPTY = Buffer.alloc(0);

export interface ClusterInstance {
  app: FrontApp;
  url: string;
  port: number;
  /** Whether this instance keeps the fleet now. */
  readonly isLeader: boolean;
  close(): Promise<void>;
}

export interface ClusterOptions {
  logger?: Logger;
  /** Another instance keeps the fleet now, though this one did: it must stop acting at once. */
  onLeadershipLost?: (why: string) => void;
}

export async function startClusterInstance(config: DashboardConfig, options: ClusterOptions = {}): Promise<ClusterInstance> {
  const { redisUrl, databaseUrl } = config;
  // loadConfig refuses a Redis URL without a database URL; this is for callers that built a config by hand.
  if (!redisUrl || !databaseUrl) throw new Error('a cluster instance needs NIXFLEET_REDIS_URL and NIXFLEET_DATABASE_URL');
  lockDataDir(config.dataDir);
  const log = options.logger ?? pino({ level: config.logLevel, base: { instance: config.instanceId } });
  const credentials = await resolveCredentials(config);
  const store = await openStore(config, log);
  // Unique per process: an instance restarted under the same NIXFLEET_INSTANCE_ID is a new edge.
  const busId = `${config.instanceId}/${randomBytes(4).toString('hex')}`;
  const bus = new Bus(redisUrl, config.redisPrefix, log);
  const edge = new Edge(busId, { pingIntervalMs: config.pingIntervalMs, agentQueueBytes: config.agentQueueBytes, browserQueueBytes: config.browserQueueBytes }, log);
  const leadership = new Leadership(databaseUrl, log);
  let core: Core | null = null;
  let links: EdgeLinks | null = null;
  let beat: NodeJS.Timeout | null = null;
  let stopping = false;
  let lastLeaderBeatAt = 0;

  const subscribe = (name: string, handler: (header: BusHeader, body: Buffer) => void) =>
    bus.subscribe(name, handler).catch((err: unknown) => log.debug({ err, name }, 'cluster: subscribing ended'));
  void subscribe('beat', (header) => {
    if (header.id === busId || typeof header.id !== 'string' || typeof header.epoch !== 'string' || typeof header.term !== 'number') return;
    // A leader with a newer term than this one's: this one lost the lock without knowing.
    leadership.outranked(header.term);
    if (header.down === true) return edge.leaderLeft(header.epoch);
    lastLeaderBeatAt = Date.now();
    edge.leaderSeen({ id: header.id, epoch: header.epoch, term: header.term, local: false, send: (h, body) => bus.publish('leader', h, body) });
  });
  void subscribe(`edge:${busId}`, (header, body) => edge.receive(header, body));
  bus.onChange((up) => {
    if (up) return;
    edge.linkLost('the cluster bus is down');
    links?.dropAllBut(busId, 'the cluster bus is down');
  });

  /** Says on the bus that this leader is stopping (set once it leads). */
  let stepDown = (): void => {};

  async function becomeLeader(): Promise<void> {
    const internalSecret = randomBytes(32).toString('hex');
    const built = await createCore(config, credentials, store, log, { internalSecret });
    if (stopping) return built.close();
    core = built;
    const epoch = randomUUID();
    const toEdge = (edgeId: string, header: BusHeader, body?: Buffer): boolean => {
      if (edgeId !== busId) return bus.publish(`edge:${edgeId}`, header, body);
      // This instance's own edge: in order, but never inside the caller's turn.
      queueMicrotask(() => edge.receive(header, body ?? EMPTY));
      return true;
    };
    const leaderLinks = new EdgeLinks(built, internalSecret, busId, toEdge, log);
    links = leaderLinks;
    void subscribe('leader', (header, body) => leaderLinks.receive(header, body));
    const announce = (down = false) => bus.publish('beat', { t: 'leader', id: busId, epoch, term: leadership.term, down: down || undefined });
    announce();
    beat = setInterval(() => announce(), LEADER_BEAT_MS);
    stepDown = () => announce(true);
    edge.leaderSeen({
      id: busId,
      epoch,
      term: leadership.term,
      local: true,
      send: (header, body) => {
        queueMicrotask(() => leaderLinks.receive(header, body ?? EMPTY));
        return true;
      },
    });
    log.info({ term: leadership.term }, 'cluster: this instance keeps the fleet now');
  }
  leadership.onLost((why) => {
    log.fatal({ why }, 'cluster: leadership lost to another instance; this instance must stop');
    options.onLeadershipLost?.(why);
  });

  async function health(): Promise<InstanceHealth> {
    const problems: string[] = [];
    const database = await store.ping();
    const leader = leadership.isLeader;
    if (!database) problems.push('database does not answer');
    // A leader without the bus still serves its own sockets; a follower without it serves nothing.
    if (!leader && !bus.connected) problems.push('cluster bus (Redis) not connected');
    if (edge.leaderId === null) problems.push('no link to the instance that keeps the fleet');
    const who = {
      instance: config.instanceId,
      storage: store.kind,
      role: leader ? 'leader' : 'follower',
      leader: edge.leaderId,
      database: database ? 'connected' : 'disconnected',
      bus: bus.connected ? 'connected' : 'disconnected',
    };
    if (core) {
      const own = (await core.app.inject({ method: 'GET', url: '/health' })).json<{ problems?: string[] }>();
      problems.push(...(own.problems ?? []).filter((problem) => !problems.includes(problem)));
    }
    return problems.length === 0 ? { status: 'ok', ...who } : { status: 'unhealthy', problems, ...who };
  }

  const metrics = instanceMetrics(config.instanceId, {
    isLeader: () => leadership.isLeader,
    busConnected: () => bus.connected,
    databaseConnected: () => store.ping(),
    linked: () => edge.leaderId !== null,
    sockets: () => edge.counts,
    linksOpened: () => edge.counters.linksOpened,
  });
  const app = await createFront({ config, edge, log, health, metrics: () => metrics.metrics() });
  await app.listen({ host: config.listenHost, port: config.listenPort, backlog: LISTEN_BACKLOG });
  const wide = acceptWider(app.server, log, LISTEN_BACKLOG);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listenPort;
  void leadership
    .acquire(() => edge.leaderId === null && Date.now() - lastLeaderBeatAt > LEADER_SILENCE_MS)
    .then((held) => (held && !stopping ? becomeLeader() : undefined))
    .catch((err: unknown) => {
      log.fatal({ err }, 'cluster: could not take over the fleet');
      options.onLeadershipLost?.(String(err));
    });

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      stopping = true;
      if (beat) clearInterval(beat);
      // Followers let go of this leader now rather than after its silence, and wait for the next.
      stepDown();
      bus.unsubscribe('leader');
      const acceptorsClosed = wide.close();
      await edge.close();
      await app.close();
      await acceptorsClosed;
      links?.close();
      if (core) await core.close();
      await store.close();
      // Last: the next instance takes over once everything this one wrote is written.
      await leadership.release();
      await bus.close();
      log.info('stopped');
    })();
    return closing;
  };
  return {
    app,
    url: shownUrl(config.listenHost, port),
    port,
    get isLeader() {
      return leadership.isLeader;
    },
    close,
  };
}
