// What an instance of a cluster listens with: /health and /metrics of its own, /ws whose sockets it
// holds (edge.ts), and every other request answered by the leader's routes (edge-links.ts), so that
// a load balancer may send anything anywhere.
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import type { Logger } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DashboardConfig } from '../config.js';
import type { App } from '../http/context.js';
import { securityHeaders } from '../http/security-headers.js';
import { answerError } from '../http/errors.js';
import { INIT_DEFLATE, settleDeflateOffer } from '../http/deflate-offer.js';
import { WEBHOOK_BODY_LIMIT_BYTES } from '../desired/routes.js';
import { asksForOutputBatches, WsQuery } from '../../protocol/http.js';
import { Edge, NoLeaderError, UnansweredError, type LeaderReply } from './edge.js';
import type { UpgradeIdentity } from './edge-links.js';

import { BODY_LIMIT_BYTES } from '../server.js';
/** How long a forwarded request waits for the leader's answer. */
export const FORWARD_TIMEOUT_MS = 30_000;
/** Every answer says which instance gave it. */
export const INSTANCE_HEADER = 'x-nixfleet-instance';
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

export interface InstanceHealth {
  status: 'ok' | 'unhealthy';
  problems?: string[];
  [field: string]: unknown;
}

export interface FrontParts {
  config: DashboardConfig;
  edge: Edge;
  log: Logger;
  health(): Promise<InstanceHealth>;
  /** This instance's own metrics in Prometheus text, added after the leader's. */
  metrics(): Promise<string>;
}

export type FrontApp = App;

/** The request as the leader should see it: the client's own headers (the leader drops our internal one). */
function forwardedHeaders(request: FastifyRequest): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = value;
  return headers;
}

/**
 * The leader could not answer. Not sent at all: 503, try again. Sent without an answer: 504, since
 * it may have been carried out (a command sent twice is not harmless).
 */
function noLeader(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof UnansweredError) return reply.code(504).send({ error: err.code, message: `${err.message}; it may or may not have been carried out` });
  const message = err instanceof NoLeaderError ? err.message : String(err);
  return reply.code(503).header('retry-after', '2').send({ error: 'no_leader', message: `no dashboard instance can answer now: ${message}` });
}

function sendReply(reply: FastifyReply, answer: LeaderReply): FastifyReply {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  return reply.send(answer.body);
}

export async function createFront(parts: FrontParts): Promise<FrontApp> {
  const { config, edge } = parts;
  const app = Fastify({
    loggerInstance: parts.log,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Bodies pass through as they came; the leader parses and checks them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));
  // As on a single dashboard (deflate-offer.ts): browsers that offer it get their `init` compressed.
  await app.register(fastifyWebsocket, { options: { maxPayload: config.maxMessageBytes, perMessageDeflate: INIT_DEFLATE, autoPong: false } });
  app.setErrorHandler(answerError);
  securityHeaders(app);
  app.addHook('onSend', async (_request, reply) => {
    reply.header(INSTANCE_HEADER, config.instanceId);
  });

  app.get('/health', async (_request, reply) => {
    const health = await parts.health();
    return reply.code(health.status === 'ok' ? 200 : 503).send(health);
  });

  // The address the request came from (the load balancer's, when there is one): the leader applies
  // NIXFLEET_TRUSTED_PROXIES to it and the forwarded headers as this instance would.
  const ask = (request: FastifyRequest, t: 'http' | 'auth', body?: Buffer) =>
    edge.request({ t, method: request.method, url: request.url, headers: forwardedHeaders(request), ip: request.socket.remoteAddress ?? request.ip }, body, FORWARD_TIMEOUT_MS);
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      return sendReply(reply, await ask(request, 'http', Buffer.isBuffer(request.body) ? request.body : undefined));
    } catch (err) {
      return noLeader(reply, err);
    }
  };

  app.get('/metrics', async (request, reply) => {
    try {
      const answer = await ask(request, 'http');
      if (answer.status !== 200) return sendReply(reply, answer);
      return reply.type(String(answer.headers['content-type'] ?? 'text/plain')).send(`${answer.body.toString()}\n${await parts.metrics()}`);
    } catch (err) {
      return noLeader(reply, err);
    }
  });

  const identities = new WeakMap<FastifyRequest, UpgradeIdentity>();
  app.get(
    '/ws',
    {
      websocket: true,
      schema: { querystring: WsQuery },
      preValidation: async (request, reply) => {
        try {
          const answer = await ask(request, 'auth');
          if (answer.status !== 200) return sendReply(reply, answer);
          const { identity } = JSON.parse(answer.body.toString()) as { identity: UpgradeIdentity };
          settleDeflateOffer(request.raw.headers, identity.kind);
          identities.set(request, identity);
        } catch (err) {
          return noLeader(reply, err);
        }
      },
    },
    (socket, request) => {
      const identity = identities.get(request);
      if (!identity) return socket.terminate();
      edge.attach(socket, request.raw.socket, request.ip, identity, { batchesOutput: asksForOutputBatches(request.query) });
    },
  );

  // A push webhook's body may be larger than an API request's (as on a single dashboard).
  app.post('/api/hooks/git', { bodyLimit: WEBHOOK_BODY_LIMIT_BYTES }, forward);
  app.route({ method: [...METHODS], url: '/*', handler: forward });
  return app;
}
