/**
 * The one list of the platform's processes. Start scripts, composition, docker-compose, kong.yml and
 * the tests read this list or are checked against it.
 */
export type Backing = 'mysql' | 'redis' | 'mongodb';

export interface ServiceDefinition {
  readonly name: string;
  readonly port: number;
  readonly backing: readonly Backing[];
  /** Database (MySQL schema or Mongo database) the service owns; its DB user has grants on it alone. */
  readonly database: string;
  /** REST prefix the edge routes to this service besides its subgraph. */
  readonly restPrefix?: string;
  /** Built and started; planned services are listed so ports and databases never collide. */
  readonly live: boolean;
  /** Tables the running service may only read and insert into (see grantDataAccess). */
  readonly appendOnlyTables?: readonly string[];
}

export const services = [
  { name: 'auth', port: 3000, backing: ['mysql', 'redis'], database: 'x_auth', restPrefix: '/auth', live: true },
  { name: 'user', port: 30030, backing: ['mysql'], database: 'x_user', restPrefix: '/user', live: true },
  { name: 'store', port: 30040, backing: ['mysql'], database: 'x_store', live: true },
  { name: 'store-categories', port: 30050, backing: ['mysql'], database: 'x_store_categories', live: true },
  { name: 'picks', port: 30060, backing: ['mysql'], database: 'x_picks', live: true },
  { name: 'order', port: 30070, backing: ['mysql'], database: 'x_order', live: true },
  { name: 'headquarter', port: 30080, backing: ['mysql', 'redis'], database: 'x_headquarter', live: true, appendOnlyTables: ['audit_events'] },
  { name: 'order-delivery', port: 30090, backing: ['mysql'], database: 'x_order_delivery', live: true },
  { name: 'contact-infos', port: 30100, backing: ['mongodb'], database: 'x_contact_infos', live: true },
] as const satisfies readonly ServiceDefinition[];

export type ServiceName = (typeof services)[number]['name'];

export const gateway = { name: 'gateway', port: 4000 } as const;
export const edge = { name: 'edge', port: 9090 } as const;

export function service(name: ServiceName): ServiceDefinition {
  const found = services.find((s) => s.name === name);
  if (!found) throw new Error(`unknown service ${name}`);
  return found;
}

export function liveServices(): readonly ServiceDefinition[] {
  return services.filter((s) => s.live);
}
