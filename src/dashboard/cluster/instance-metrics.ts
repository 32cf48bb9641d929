// What /metrics adds for the instance that answered (after the leader's metrics of the fleet): its
// role, its connections to the bus and the database, its link and its sockets.
import { Counter, Gauge, Registry } from 'prom-client';

export interface InstanceState {
  isLeader(): boolean;
  busConnected(): boolean;
  databaseConnected(): Promise<boolean>;
  linked(): boolean;
  sockets(): { agents: number; browsers: number };
  linksOpened(): number;
}

export function instanceMetrics(instance: string, state: InstanceState): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ instance });
  const gauge = (name: string, help: string, read: () => boolean | Promise<boolean>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect(this: Gauge) {
        this.set((await read()) ? 1 : 0);
      },
    });
  gauge('nixfleet_cluster_leader', 'Whether this instance keeps the fleet (1) or follows (0).', state.isLeader);
  gauge('nixfleet_cluster_bus_connected', 'Whether this instance is connected to the cluster bus (Redis).', state.busConnected);
  gauge('nixfleet_cluster_database_connected', 'Whether PostgreSQL answers this instance (asked at each scrape).', state.databaseConnected);
  gauge('nixfleet_cluster_linked', 'Whether this instance has a link to the leader.', state.linked);
  new Gauge({
    name: 'nixfleet_cluster_sockets',
    help: 'Sockets this instance holds.',
    labelNames: ['kind'],
    registers: [registry],
    collect(this: Gauge) {
      const { agents, browsers } = state.sockets();
      this.set({ kind: 'agent' }, agents);
      this.set({ kind: 'browser' }, browsers);
    },
  });
  new Counter({
    name: 'nixfleet_cluster_links_opened_total',
    help: 'Links this instance opened to a leader.',
    registers: [registry],
    collect(this: Counter) {
      this.reset();
      this.inc(state.linksOpened());
    },
  });
  return registry;
}
