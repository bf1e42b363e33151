import { baseConfigShape, liveServices, mongoUrlSetting, mysqlUrlSetting, redisUrlSetting } from '@x/kit';
import { devSecrets } from './kubernetes-dev-secrets';

const secretsByName = (secrets: ReturnType<typeof devSecrets>) => new Map(secrets.map((secret) => [secret.name, secret.data]));

describe('the dev overlay’s Secrets', () => {
  const secrets = devSecrets();
  const byName = secretsByName(secrets);
  const data = (name: string) => {
    const found = byName.get(name);
    if (!found) throw new Error(`no Secret ${name}`);
    return found;
  };

  it('gives every service a broker user whose URL the services’ config accepts', () => {
    for (const service of liveServices()) {
      const broker = data(`x-${service.name}-rabbitmq`);
      expect(broker.username).toBe(`x-${service.name}`);
      expect(baseConfigShape.AMQP_URL.parse(broker.url)).toBe(`amqp://x-${service.name}:${broker.password}@x-rabbitmq:5672`);
    }
  });

  it('gives each MySQL service a data user and a separate DDL user on its own database, with MySQL-sized names', () => {
    for (const service of liveServices().filter((s) => s.backing.includes('mysql'))) {
      const runtime = data(`x-${service.name}-database`);
      const migration = data(`x-${service.name}-database-migration`);
      expect(mysqlUrlSetting(service.database).parse(runtime.url)).toBe(`mysql://${service.database}:${runtime.password}@${service.name}-mysql:3306/${service.database}`);
      expect(mysqlUrlSetting(service.database).parse(migration.url)).toBe(`mysql://${migration.username}:${migration.password}@${service.name}-mysql:3306/${service.database}`);
      expect(migration.username).not.toBe(runtime.username);
      // MySQL refuses user names longer than 32 characters.
      expect(migration.username!.length).toBeLessThanOrEqual(32);
      expect(data(`x-${service.name}-mysql-root`).password).toMatch(/^[0-9a-f]{48}$/);
    }
  });

  it('gives contact-infos a MongoDB replica-set URL, a root user and a key file mongod accepts', () => {
    const database = data('x-contact-infos-database');
    expect(mongoUrlSetting().parse(database.url)).toBe(`mongodb://x_contact_infos:${database.password}@contact-infos-mongodb-0.contact-infos-mongodb:27017/x_contact_infos?replicaSet=rs0`);
    expect(data('x-contact-infos-mongodb-root').username).toBe('root');
    // mongod: 6 to 1024 characters of the base64 alphabet.
    expect(data('x-contact-infos-mongodb-keyfile').keyfile).toMatch(/^[A-Za-z0-9+/=]{6,1024}$/);
  });

  it('gives Redis and the first hq_admin their credentials', () => {
    const redis = data('x-redis');
    expect(redisUrlSetting().parse(redis.url)).toBe(`redis://:${redis.password}@redis:6379`);
    expect(data('x-auth-hq-admin').email).toBe('hq@x.local');
  });

  it('uses a fresh password for every credential, letters and digits only (they go into URLs and SQL unescaped)', () => {
    const passwords = secrets.flatMap((secret) => (secret.data.password ? [secret.data.password] : []));
    expect(passwords.length).toBeGreaterThan(20);
    expect(new Set(passwords).size).toBe(passwords.length);
    for (const password of passwords) expect(password).toMatch(/^[0-9a-f]{48}$/);
    const again = secretsByName(devSecrets());
    expect(again.get('x-redis')?.password).not.toBe(data('x-redis').password);
  });
});
