import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { liveServices } from '@x/kit';

/**
 * `node scripts/dist/kubernetes-dev-secrets.js`: run once by the dev overlay's Job inside the cluster
 * (deploy/kubernetes/overlays/dev). It creates every Secret the dev overlay's pods read, with fresh
 * random passwords, and leaves a Secret that already exists alone: a database initialised with a
 * password keeps it. No secret value is in the repository; production creates the same Secrets (names
 * and keys below) from its own secret store, with its databases' addresses in the `url` keys.
 */

export interface SecretSpec {
  readonly name: string;
  readonly data: Readonly<Record<string, string>>;
}

/** In-cluster addresses of the dev overlay's backing services (Service names of its manifests). */
const devHosts = {
  broker: 'x-rabbitmq',
  redis: 'redis',
  mysql: (service: string) => `${service}-mysql`,
  mongodb: (service: string) => `${service}-mongodb`,
} as const;

/** Letters and digits only: the values go into URLs and shell-quoted SQL unescaped. */
function generatePassword(): string {
  return randomBytes(24).toString('hex');
}

/** The Secrets of the dev overlay: what each pod reads, by name and key. */
export function devSecrets(generate: () => string = generatePassword): SecretSpec[] {
  const secrets: SecretSpec[] = [];
  for (const service of liveServices()) {
    const brokerUser = `x-${service.name}`;
    const brokerPassword = generate();
    secrets.push({
      name: `x-${service.name}-rabbitmq`,
      data: { username: brokerUser, password: brokerPassword, url: `amqp://${brokerUser}:${brokerPassword}@${devHosts.broker}:5672` },
    });
    if (service.backing.includes('mysql')) {
      const host = devHosts.mysql(service.name);
      const dataPassword = generate();
      const ddlUser = `${service.database}_ddl`;
      const ddlPassword = generate();
      secrets.push(
        { name: `x-${service.name}-database`, data: { username: service.database, password: dataPassword, url: `mysql://${service.database}:${dataPassword}@${host}:3306/${service.database}` } },
        { name: `x-${service.name}-database-migration`, data: { username: ddlUser, password: ddlPassword, url: `mysql://${ddlUser}:${ddlPassword}@${host}:3306/${service.database}` } },
        { name: `x-${service.name}-mysql-root`, data: { password: generate() } },
      );
    }
    if (service.backing.includes('mongodb')) {
      const host = devHosts.mongodb(service.name);
      const password = generate();
      secrets.push(
        {
          name: `x-${service.name}-database`,
          data: { username: service.database, password, url: `mongodb://${service.database}:${password}@${host}-0.${host}:27017/${service.database}?replicaSet=rs0` },
        },
        { name: `x-${service.name}-mongodb-root`, data: { username: 'root', password: generate() } },
        // The replica set's members authenticate each other with this key file (mongod wants 6–1024 base64 characters).
        { name: `x-${service.name}-mongodb-keyfile`, data: { keyfile: randomBytes(256).toString('base64') } },
      );
    }
  }
  const redisPassword = generate();
  secrets.push({ name: 'x-redis', data: { password: redisPassword, url: `redis://:${redisPassword}@${devHosts.redis}:6379` } });
  secrets.push({ name: 'x-auth-hq-admin', data: { email: 'hq@x.local', password: generate() } });
  return secrets;
}

interface ApiAnswer {
  status: number;
  body: string;
}

/** The pod's own view of the API server: the mounted service-account token, CA and namespace. */
function inCluster(): { host: string; port: number; token: string; ca: Buffer; namespace: string } {
  const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
  const host = process.env.KUBERNETES_SERVICE_HOST;
  if (!host) throw new Error('KUBERNETES_SERVICE_HOST is not set: this runs inside a Kubernetes pod (the dev overlay\'s Job)');
  return {
    host,
    port: Number(process.env.KUBERNETES_SERVICE_PORT ?? 443),
    token: readFileSync(`${dir}/token`, 'utf8').trim(),
    ca: readFileSync(`${dir}/ca.crt`),
    namespace: readFileSync(`${dir}/namespace`, 'utf8').trim(),
  };
}

function call(api: ReturnType<typeof inCluster>, method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: api.host,
        port: api.port,
        method,
        path,
        ca: api.ca,
        timeout: 10_000,
        headers: { authorization: `Bearer ${api.token}`, accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function main(): Promise<void> {
  const api = inCluster();
  const base = `/api/v1/namespaces/${encodeURIComponent(api.namespace)}/secrets`;
  for (const secret of devSecrets()) {
    const existing = await call(api, 'GET', `${base}/${secret.name}`);
    if (existing.status === 200) {
      process.stdout.write(`${secret.name}: exists, kept\n`);
      continue;
    }
    if (existing.status !== 404) throw new Error(`GET secret ${secret.name}: ${existing.status} ${existing.body.slice(0, 300)}`);
    const created = await call(api, 'POST', base, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: secret.name, labels: { 'app.kubernetes.io/part-of': 'x-platform', 'app.kubernetes.io/managed-by': 'x-dev-secrets' } },
      stringData: secret.data,
    });
    // 409: another run created it in between, which is as good.
    if (created.status !== 201 && created.status !== 409) throw new Error(`POST secret ${secret.name}: ${created.status} ${created.body.slice(0, 300)}`);
    process.stdout.write(`${secret.name}: created\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`dev secrets failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
