// Managing hosts and their agent tokens: create a host with its own token, rotate it, remove a host.
import { CloseCode, isValidHostname } from '../../protocol/constants.js';
import { CreateHostBody, DeleteHostQuery, HostIdParams } from '../../protocol/http.js';
import { HostTagsBody } from '../../protocol/rollout.js';
import { actorOf, requireScope } from './guards.js';
import type { App, DashboardContext } from './context.js';

export function hostAdminRoutes(app: App, ctx: DashboardContext): void {
  const { hub } = ctx;
  const { fleet, commands, events, tokens, rollouts } = hub.parts;
  const unknown = (id: string) => ({ error: 'unknown_host', message: `no host "${id}"` });

  app.post('/api/hosts', { preHandler: requireScope('admin'), schema: { body: CreateHostBody } }, async (request, reply) => {
    const { hostname } = request.body;
    if (!isValidHostname(hostname)) {
      return reply.code(400).send({ error: 'bad_hostname', message: 'hostname must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' });
    }
    if (fleet.get(hostname)) {
      return reply.code(409).send({ error: 'host_exists', message: `a host named ${hostname} exists already` });
    }
    const entry = fleet.create(request.body);
    const token = tokens.issue(hostname);
    events.record('info', `${actorOf(request)} created host ${hostname} and its agent token`, hostname);
    return reply.code(201).send({ host: fleet.toWire(entry), token });
  });

  app.post('/api/hosts/:id/token', { preHandler: requireScope('admin'), schema: { params: HostIdParams } }, async (request, reply) => {
    const entry = fleet.get(request.params.id);
    if (!entry) return reply.code(404).send(unknown(request.params.id));
    const token = tokens.issue(entry.record.id);
    // Whatever token the connected agent used, it no longer speaks for this host.
    hub.agentFor(entry.record.id)?.peer.close(CloseCode.credentialsRevoked, 'agent token rotated');
    events.record('warn', `${actorOf(request)} rotated the agent token of ${entry.record.id}`, entry.record.id);
    return reply.code(200).send({ host: fleet.toWire(entry), token });
  });

  app.put('/api/hosts/:id/tags', { preHandler: requireScope('admin'), schema: { params: HostIdParams, body: HostTagsBody } }, async (request, reply) => {
    const entry = fleet.get(request.params.id);
    if (!entry) return reply.code(404).send(unknown(request.params.id));
    fleet.setTags(entry, request.body.tags);
    events.record('info', `${actorOf(request)} set the tags of ${entry.record.id}: ${entry.record.tags.join(', ') || 'none'}`, entry.record.id);
    return { host: fleet.toWire(entry) };
  });

  app.delete('/api/hosts/:id', { preHandler: requireScope('admin'), schema: { params: HostIdParams, querystring: DeleteHostQuery } }, async (request, reply) => {
    const entry = fleet.get(request.params.id);
    if (!entry) return reply.code(404).send(unknown(request.params.id));
    const hostId = entry.record.id;
    const agent = hub.agentFor(hostId);
    if (agent && !request.query.force) {
      return reply.code(409).send({ error: 'host_connected', message: `${hostId} has a connected agent; stop it first or pass ?force=true` });
    }
    agent?.peer.close(CloseCode.credentialsRevoked, 'host removed');
    rollouts.hostRemoved(hostId, actorOf(request));
    tokens.revoke(hostId);
    fleet.remove(entry);
    // Once the host is gone: a rollout that wants the lost step rolled back is refused at once.
    const running = commands.runningFor(hostId);
    if (running) commands.finish(running, { status: 'lost', exit_code: null, message: 'the host was removed' });
    events.record('warn', `${actorOf(request)} removed host ${hostId}${agent ? ' (its agent was connected)' : ''}`, hostId);
    return reply.code(204).send();
  });
}
