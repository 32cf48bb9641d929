// Assembles the dashboard: storage, state, hub, HTTP and WebSocket, in the order data flows.
import Fastify, { LogController } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyWebsocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { pino, type Logger } from 'pino';
import type { DashboardConfig } from './config.js';
import { resolveCredentials, type Credentials } from './auth/credentials.js';
import { SessionBook } from './auth/sessions.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { TotpGate } from './auth/totp.js';
import { openStore } from './store/open-store.js';
import type { Snapshot, Store } from './store/store.js';
import { Fanout } from './hub/fanout.js';
import { Hub } from './hub/hub.js';
import { EventLog } from './events.js';
import { CommandBook, RECENT_COMMANDS_KEPT } from './commands/command-book.js';
import { RECENT_ROLLOUTS_KEPT, RolloutBook } from './rollouts/rollout-book.js';
import { rolloutRoutes } from './rollouts/routes.js';
import { OutputLog } from './commands/output-log.js';
import { acceptWider } from './http/wide-accept.js';
import { buildInit } from './hub/browser-connection.js';
import { ConnectionTriage } from './http/connection-triage.js';
import { DEFAULT_TIMEOUTS_MS, Dispatcher } from './commands/dispatcher.js';
import { Fleet } from './fleet/fleet.js';
import { DesiredTracker, desiredSettingsOf } from './desired/desired-tracker.js';
import { desiredRoutes } from './desired/routes.js';
import { requireScope } from './http/guards.js';
import { ApiTokens, apiTokenSocketKey } from './auth/api-tokens.js';
import { apiTokenRoutes } from './http/api-tokens.js';
import { bearerOf } from './auth/tokens.js';
import { CompartmentTracker } from './desired/compartment-tracker.js';
import { DashboardMetrics } from './metrics.js';
import { Retention } from './retention.js';
import { sessionOf } from './http/session-cookie.js';
import { AgentTokens } from './auth/agent-tokens.js';
import { healthRoutes } from './http/health.js';
import { loginRoutes } from './http/login.js';
import { apiRoutes } from './http/api.js';
import { hostAdminRoutes } from './http/hosts-admin.js';
import { metricsRoute } from './http/metrics-route.js';
import { pageRoutes } from './http/pages.js';
import { wsRoute } from './http/ws-route.js';
import { INIT_DEFLATE } from './http/deflate-offer.js';
import { securityHeaders } from './http/security-headers.js';
import { answerError } from './http/errors.js';
import { guardSessionOrigins } from './http/origin.js';
import { lockDataDir } from './data-dir-lock.js';
import type { App, DashboardContext } from './http/context.js';

/**
 * Connections the kernel holds for the dashboard before it accepts them. After a restart thousands
 * of agents come back within seconds; at Node's default (511) the overflow was dropped and retried
 * by the kernel only after 1, 3 and 7 s (bench scenario g). Linux caps it at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4_096;

/** Where the step of the last TOTP code accepted is kept (a code works once, across restarts). */
const TOTP_STEP_META_KEY = 'totp_last_step';

/** Request bodies are small JSON or form posts. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface Dashboard {
  app: App;
  /** `http://host:port` the dashboard listens on. */
  url: string;
  port: number;
  context: DashboardContext;
  /** Stops accepting, closes every socket with 1001, writes what is pending, and releases the port. */
  close(): Promise<void>;
}

export interface DashboardOptions {
  /** Credentials to use instead of resolving them from the config and the data dir. */
  credentials?: Credentials;
  logger?: Logger;
}

function buildState(config: DashboardConfig, credentials: Credentials, store: Store, snapshot: Snapshot, log: Logger): Hub {
  const metrics = new DashboardMetrics();
  const tokens = new AgentTokens(store, credentials.agentTokenHash, config.allowSharedAgentToken, snapshot.hostTokens);
  // The dispatcher and the fan-out's init reach the hub, which needs them: they ask lazily.
  let hub: Hub | null = null;
  const fanout = new Fanout(store, metrics, snapshot.meta, () => buildInit((hub as Hub).parts));
  const events = new EventLog(store, fanout, snapshot.lastEventId, log);
  const commands = new CommandBook(store, fanout, events, snapshot.commands, config.queueTtlMs);
  const desired = new DesiredTracker(desiredSettingsOf(config), { logger: log });
  const compartments = new CompartmentTracker(desired, config.agentVersion);
  const fleet = new Fleet({ store, fanout, events, commands, compartments, log }, config.offlineTimeoutMs, snapshot.hosts);
  desired.onChange((state) => {
    fanout.publishState('desired_update', { desired: state });
    fleet.rejudgeAll();
  });
  desired.onBehindKnown(() => fleet.rejudgeAll());
  const output = new OutputLog(store, fanout);
  const dispatcher = new Dispatcher(fleet, commands, events, store, (hostId) => hub?.agentFor(hostId), {
    timeoutsMs: { ...DEFAULT_TIMEOUTS_MS, ...config.commandTimeoutsMs },
    queueTtlMs: config.queueTtlMs,
  });
  const rollouts = new RolloutBook({ store, fanout, events, commands, dispatcher, fleet }, snapshot.rollouts);
  hub = new Hub(
    { fleet, commands, output, fanout, events, tokens, dispatcher, metrics, store, desired, rollouts, log },
    { pingIntervalMs: config.pingIntervalMs, agentQueueBytes: config.agentQueueBytes, browserQueueBytes: config.browserQueueBytes },
  );
  watchMetrics(hub, store);
  return hub;
}

function watchMetrics(hub: Hub, store: Store): void {
  const { metrics, commands, fleet, fanout } = hub.parts;
  commands.onEnded((record) => metrics.commandEnded(record.command, record.status));
  store.observe({ written: (ms) => metrics.storageWritten(ms), failed: () => metrics.storageFailed() });
  metrics.watch({
    connections: () => hub.counts,
    outboundBytes: () => hub.outboundBytes(),
    hosts: () => fleet.list().map((entry) => ({ id: entry.record.id, status: entry.record.status, lastSeenMs: entry.record.last_seen })),
    storagePendingBatches: () => store.health().pendingBatches,
    fanoutQueued: () => fanout.queuedCount,
  });
}

/**
 * The dashboard's state and routes, ready to answer (`app.inject`) but not listening. A single
 * dashboard listens on it; in a cluster the instance that keeps the fleet reaches it through its
 * front (cluster/front.ts). `close` leaves the store open for whoever opened it.
 */
export interface Core {
  app: App;
  context: DashboardContext;
  close(): Promise<void>;
}

export interface CoreOptions {
  /** In a cluster: the secret that lets the fronts of all instances ask /internal/* routes. */
  internalSecret?: string;
}

export async function createCore(config: DashboardConfig, credentials: Credentials, store: Store, log: Logger, options: CoreOptions = {}): Promise<Core> {
  const snapshot = await store.load(RECENT_COMMANDS_KEPT, RECENT_ROLLOUTS_KEPT);
  const hub = buildState(config, credentials, store, snapshot, log);
  hub.parts.desired.start();
  await hub.parts.rollouts.resumeAfterRestart();
  const retention = new Retention(store, config.eventRetentionMs, config.outputRetentionMs);
  const sessions = new SessionBook(store, config.sessionDurationMs, snapshot.sessions, (idHash) => hub.closeSession(idHash));
  const context: DashboardContext = {
    config,
    credentials,
    store,
    hub,
    sessions,
    loginLimiter: new RateLimiter(config.rateLimit, config.rateWindowMs),
    agentLimiter: new RateLimiter(config.agentRateLimit, config.rateWindowMs),
    totp: config.totpSecret ? new TotpGate(config.totpSecret, Number(snapshot.meta.get(TOTP_STEP_META_KEY) ?? -1), (step) => store.setMeta(TOTP_STEP_META_KEY, String(step))) : null,
    apiTokens: new ApiTokens(store, snapshot.apiTokens, (id) => hub.closeSession(apiTokenSocketKey(id))),
    internalSecret: options.internalSecret,
  };

  const app: App = Fastify({
    loggerInstance: log,
    bodyLimit: BODY_LIMIT_BYTES,
    // Client addresses and https come from X-Forwarded-* only when a trusted proxy sent them.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    // Events and warnings are logged where they happen; a line per request would drown them.
    logController: new LogController({ disableRequestLogging: true }),
    // A body with a field its schema does not allow is refused (400 naming it), not silently trimmed:
    // a script's typo ("batchsize") must not start a rollout with the defaults.
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(fastifyCookie, { secret: credentials.sessionSecrets });
  await app.register(fastifyFormbody);
  // autoPong off: the hub answers pings itself, after what came before them is durable.
  await app.register(fastifyWebsocket, { options: { maxPayload: config.maxMessageBytes, perMessageDeflate: INIT_DEFLATE, autoPong: false } });
  app.decorateRequest('session', null);
  app.decorateRequest('apiToken', null);
  app.addHook('onRequest', async (request, reply) => {
    request.session = sessionOf(request, reply, sessions);
    if (request.url.startsWith('/api/')) request.apiToken = context.apiTokens.authenticate(bearerOf(request.headers.authorization) ?? '');
  });
  app.setErrorHandler(answerError);
  securityHeaders(app);
  guardSessionOrigins(app, config.allowedOrigins);
  healthRoutes(app, context);
  loginRoutes(app, context);
  apiRoutes(app, context);
  desiredRoutes(app, hub.parts.desired, config.webhookSecret, requireScope('read'));
  rolloutRoutes(app, context);
  apiTokenRoutes(app, context);
  hostAdminRoutes(app, context);
  metricsRoute(app, context);
  pageRoutes(app);
  wsRoute(app, context);
  await app.ready();
  const triage = new ConnectionTriage(app.server);
  hub.parts.metrics.watchConnectionTriage(() => triage.waitingCount);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      const began = Date.now();
      // What is already waiting is written while the sockets close, so the final flush is short.
      void store.flush();
      // The fleet first: the sockets' closing then changes no presence and publishes nothing.
      hub.parts.fleet.stop();
      const hubClosed = hub.close();
      // After hub.close() began: the agents still waiting are let in to be told the dashboard stops.
      triage.close();
      await hubClosed;
      hub.parts.dispatcher.stop();
      await hub.parts.desired.stop();
      hub.parts.rollouts.stop();
      sessions.stop();
      retention.stop();
      // Each phase is logged as it ends: a stop cut short by the deadline shows where it was.
      const socketsClosedMs = Date.now() - began;
      app.log.info({ socketsClosedMs }, 'stopping: sockets closed');
      await app.close();
      app.log.info({ httpClosedMs: Date.now() - began }, 'stopping: HTTP closed');
    })();
    return closing;
  };
  return { app, context, close };
}

/** The address a listening dashboard is reached at (a wildcard listen is reached on loopback). */
export function shownUrl(listenHost: string, port: number): string {
  const shownHost = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
  return `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
}

/** One dashboard on its own: SQLite in the data dir (or PostgreSQL), listening on NIXFLEET_LISTEN. */
export async function startDashboard(config: DashboardConfig, options: DashboardOptions = {}): Promise<Dashboard> {
  // First: one dashboard per data dir (DataDirInUseError otherwise).
  lockDataDir(config.dataDir);
  const log = options.logger ?? pino({ level: config.logLevel });
  const credentials = options.credentials ?? (await resolveCredentials(config));
  const store = await openStore(config, log);
  const core = await createCore(config, credentials, store, log);
  const { app, context } = core;
  context.hub.parts.fanout.prepareInit();
  await app.listen({ host: config.listenHost, port: config.listenPort, backlog: LISTEN_BACKLOG });
  const wide = acceptWider(app.server, log, LISTEN_BACKLOG);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.listenPort;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      const began = Date.now();
      const acceptorsClosed = wide.close();
      await core.close();
      await acceptorsClosed;
      await store.close();
      app.log.info({ storageClosedMs: Date.now() - began }, 'stopped');
    })();
    return closing;
  };
  return { app, url: shownUrl(config.listenHost, port), port, context, close };
}
