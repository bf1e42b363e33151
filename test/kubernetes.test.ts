import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { baseConfigShape, gateway, liveServices, type ServiceDefinition } from '@x/kit';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse } from 'yaml';
import { devSecrets } from '../scripts/src/kubernetes-dev-secrets';
import {
  deployment,
  kubernetesDir,
  objectsOf,
  overlays,
  renderOverlay,
  repoRoot,
  schemaValidators,
  workloads,
  xRunScript,
  type KubernetesObject,
  type Overlay,
} from './support/kubernetes';

/**
 * deploy/kubernetes, checked without a cluster: both overlays render with kubectl's kustomize, every
 * object validates against the Kubernetes API schemas (kubernetes-models) and the operators' CRD
 * schemas (deploy/kubernetes/crds, KEDA's from @kubernetes-models/keda), and the rules every
 * deployment of X keeps hold.
 */

const rendered = Object.fromEntries(overlays.map((overlay) => [overlay, renderOverlay(overlay)])) as Record<Overlay, ReturnType<typeof renderOverlay>>;
const services: readonly ServiceDefinition[] = liveServices();
const processes = [...services.map((s) => s.name), gateway.name, 'kong'];
const image = { dev: 'x-platform:local', production: 'x-platform:0.1.0' } as const;
const kitShutdownGraceMs = baseConfigShape.SHUTDOWN_GRACE_MS.parse(undefined);
const consumers = services.filter((s) => existsSync(path.join(repoRoot, 'subgraphs', s.name, 'src', 'events', 'handlers.ts')));

interface BenchResults {
  startedAt: string;
  code: { commit: string };
  footprint: { processes: { rssMiB: number }[] };
}
const bench = JSON.parse(readFileSync(path.join(repoRoot, 'bench', 'results.json'), 'utf8')) as BenchResults;

const containersOf = (d: IDeployment): IContainer[] => d.spec?.template.spec?.containers ?? [];
const initContainersOf = (d: IDeployment): IContainer[] => d.spec?.template.spec?.initContainers ?? [];
const env = (container: IContainer, name: string) => container.env?.find((variable) => variable.name === name);
const mebibytes = (quantity: string | number | undefined): number => {
  const match = /^(\d+)(Mi|Gi)$/.exec(String(quantity));
  if (!match) throw new Error(`memory quantity ${quantity} is not in Mi or Gi`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
};
const millicores = (quantity: string | number | undefined): number => {
  const text = String(quantity);
  return text.endsWith('m') ? Number(text.slice(0, -1)) : Number(text) * 1000;
};
const labelsSelected = (policy: INetworkPolicy) => policy.spec?.podSelector.matchLabels?.['app.kubernetes.io/name'];
/** The pod names (app.kubernetes.io/name) a policy's egress rules reach, with their ports. */
const egressTargets = (policy: INetworkPolicy): string[] =>
  (policy.spec?.egress ?? []).flatMap((rule) =>
    (rule.to ?? []).map((peer) => {
      const name = peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? peer.podSelector?.matchLabels?.['k8s-app'] ?? peer.ipBlock?.cidr;
      return `${name}:${(rule.ports ?? []).map((port) => port.port).join(',')}`;
    }),
  );

describe.each(overlays)('the %s overlay', (overlay) => {
  const { objects, text } = rendered[overlay];

  it('renders, and every object validates against the Kubernetes or the operator’s schema', () => {
    const validators = schemaValidators();
    expect(objects.length).toBeGreaterThan(50);
    const failures: string[] = [];
    for (const object of objects) {
      const validate = validators[`${object.apiVersion}/${object.kind}`];
      if (!validate) {
        failures.push(`${object.apiVersion} ${object.kind} ${object.metadata.name}: no schema to validate it against`);
        continue;
      }
      try {
        validate(object);
      } catch (error) {
        failures.push(`${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('puts everything in one namespace, which it creates', () => {
    const namespace = objectsOf(objects, 'Namespace');
    expect(namespace.map((n) => n.metadata.name)).toEqual([overlay === 'dev' ? 'x-dev' : 'x-platform']);
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) expect([object.kind, object.metadata.name, object.metadata.namespace]).toEqual([object.kind, object.metadata.name, namespace[0]?.metadata.name]);
  });

  it.each(processes)('runs %s as a Deployment with its Service on the registry’s port and its own ServiceAccount', (name) => {
    const d = deployment(objects, name);
    const spec = d.spec?.template.spec;
    expect(spec?.serviceAccountName).toBe(name);
    expect(spec?.automountServiceAccountToken).toBe(false);
    const account = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === name);
    expect(account?.automountServiceAccountToken).toBe(false);
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === name) as unknown as IService;
    expect(service.spec?.selector).toEqual({ 'app.kubernetes.io/name': name });
    expect(d.spec?.template.metadata?.labels?.['app.kubernetes.io/name']).toBe(name);
    const port = name === 'kong' ? 9090 : name === gateway.name ? gateway.port : services.find((s) => s.name === name)?.port;
    expect(service.spec?.ports?.map((p) => p.port)).toEqual([port]);
  });

  it.each(processes)('gives %s readiness and liveness probes, and a grace period its shutdown fits in', (name) => {
    const d = deployment(objects, name);
    const [main] = containersOf(d);
    if (!main) throw new Error(`${name} has no container`);
    const grace = d.spec?.template.spec?.terminationGracePeriodSeconds ?? 30;
    if (name === 'kong') {
      // Kong's own status endpoints (Kong's Helm chart); `kong quit --wait=15` plus its 10 s timeout.
      expect([main.readinessProbe?.httpGet?.path, main.readinessProbe?.httpGet?.port]).toEqual(['/status/ready', 'status']);
      expect([main.livenessProbe?.httpGet?.path, main.livenessProbe?.httpGet?.port]).toEqual(['/status', 'status']);
      expect(main.lifecycle?.preStop?.exec?.command).toEqual(['kong', 'quit', '--wait=15']);
      expect(grace).toBeGreaterThanOrEqual(15 + 10);
      return;
    }
    expect([main.readinessProbe?.httpGet?.path, main.readinessProbe?.httpGet?.port]).toEqual(['/ready', 'http']);
    expect([main.livenessProbe?.httpGet?.path, main.livenessProbe?.httpGet?.port]).toEqual(['/health', 'http']);
    const preStop = main.lifecycle?.preStop?.exec?.command;
    expect(preStop?.[0]).toBe('sleep');
    const shutdownMs = Number(env(main, 'SHUTDOWN_GRACE_MS')?.value ?? kitShutdownGraceMs);
    // The process exits by itself SHUTDOWN_GRACE_MS after SIGTERM (Lifecycle.handleSignals); SIGKILL must come later.
    expect(grace).toBeGreaterThan(Number(preStop?.[1]) + shutdownMs / 1000);
    expect(shutdownMs).toBe(kitShutdownGraceMs);
  });

  it('runs every pod as a non-root user, with a read-only root, no privilege escalation and no capabilities', () => {
    const problems: string[] = [];
    for (const { kind, name, template } of workloads(objects)) {
      const pod = template.spec;
      for (const container of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
        const security = container.securityContext;
        const where = `${kind} ${name} ${container.name}`;
        if ((security?.runAsNonRoot ?? pod?.securityContext?.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot`);
        if ((security?.runAsUser ?? pod?.securityContext?.runAsUser ?? 0) === 0) problems.push(`${where}: no non-root runAsUser`);
        if (security?.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem`);
        if (security?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation`);
        if (JSON.stringify(security?.capabilities?.drop) !== '["ALL"]' || security?.capabilities?.add?.length) problems.push(`${where}: capabilities`);
      }
      if (pod?.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${kind} ${name}: seccompProfile`);
    }
    expect(problems).toEqual([]);
  });

  it('gives X’s processes no writable volume, and Kong only its prefix, its temporary files and the rendered kong.yml', () => {
    for (const name of processes) {
      const d = deployment(objects, name);
      const writable = [...initContainersOf(d), ...containersOf(d)].flatMap((c) => (c.volumeMounts ?? []).filter((m) => !m.readOnly).map((m) => `${c.name}:${m.mountPath}`));
      expect([name, writable]).toEqual([name, name === 'kong' ? ['render-config:/kong-config', 'kong:/kong_prefix', 'kong:/tmp'] : []]);
      for (const volume of d.spec?.template.spec?.volumes ?? []) expect(volume.hostPath).toBeUndefined();
    }
  });

  it('sets requests and limits on every container, memory from the bench’s largest process', () => {
    const largestRssMiB = Math.ceil(Math.max(...bench.footprint.processes.map((p) => p.rssMiB)));
    for (const { kind, name, template } of workloads(objects)) {
      for (const container of [...(template.spec?.initContainers ?? []), ...template.spec!.containers]) {
        const { requests, limits } = container.resources ?? {};
        const where = `${kind} ${name} ${container.name}`;
        expect([where, Boolean(requests?.cpu && requests.memory && limits?.cpu && limits.memory)]).toEqual([where, true]);
        expect([where, mebibytes(limits?.memory) >= mebibytes(requests?.memory), millicores(limits?.cpu) >= millicores(requests?.cpu)]).toEqual([where, true, true]);
      }
    }
    for (const name of [...services.map((s) => s.name), gateway.name]) {
      const [main] = containersOf(deployment(objects, name));
      // Run of bench/results.json these figures come from: the comment beside them names it.
      expect([name, mebibytes(main?.resources?.requests?.memory) >= largestRssMiB]).toEqual([name, true]);
    }
    const gatewayText = readFileSync(path.join(kubernetesDir, 'base', 'gateway.yaml'), 'utf8');
    expect(gatewayText).toContain(`code ${bench.code.commit}`);
  });

  it('runs every process of X from the image the repository’s Dockerfile builds, through its x-run entry point', () => {
    const script = xRunScript();
    expect(script).toContain('case "${1:-}" in migrate|serve)');
    for (const name of processes) {
      const d = deployment(objects, name);
      const own = [...initContainersOf(d), ...containersOf(d)].filter((c) => c.image?.startsWith('x-platform'));
      // Kong's pod runs Kong's image beside X's render step; every other pod is X's image only.
      expect(own.length).toBeGreaterThan(0);
      for (const container of own) expect(container.image).toBe(image[overlay]);
      if (name === 'kong') continue;
      const [main] = containersOf(d);
      expect([main?.image, main?.args]).toEqual([image[overlay], ['x-run', 'serve', name]]);
    }
    const kong = deployment(objects, 'kong');
    expect(containersOf(kong).map((c) => c.image)).toEqual(['kong:3.9']);
    // The scripts the pods run are built by the image (npm run build): their sources exist.
    expect(existsSync(path.join(repoRoot, 'kong', 'src', 'render-config.ts'))).toBe(true);
    expect(existsSync(path.join(repoRoot, 'scripts', 'src', 'kubernetes-dev-secrets.ts'))).toBe(true);
    // The dev overlay's image is the one docker compose builds from the Dockerfile.
    const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { image?: string; build?: { dockerfile: string } }> };
    expect(compose.services.auth).toMatchObject({ image: image.dev, build: { dockerfile: 'Dockerfile' } });
  });

  it.each(services.filter((s) => s.backing.includes('mysql')).map((s) => s.name))(
    'migrates %s in an init container as its DDL user (which grants the data user its tables), and runs it with the data user only',
    (name) => {
      const d = deployment(objects, name);
      const [migrate] = initContainersOf(d);
      const [main] = containersOf(d);
      expect(migrate?.args).toEqual(['x-run', 'migrate', name]);
      expect(env(migrate!, 'MIGRATION_DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: `x-${name}-database-migration`, key: 'url' });
      // The data user's URL names whom the migration grants the tables to; the main container never sees the DDL user.
      expect(env(migrate!, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: `x-${name}-database`, key: 'url' });
      expect(env(main!, 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: `x-${name}-database`, key: 'url' });
      expect(env(main!, 'MIGRATION_DATABASE_URL')).toBeUndefined();
    },
  );

  it('keeps every secret out of the manifests: no Secret object, no credentials in a value', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    // A URL with a password, or a long random-looking token, anywhere in the rendered text.
    expect(text.match(/[a-z]+:\/\/[^/\s:@]*:[^/\s@]+@/g)).toBeNull();
    for (const { kind, name, template } of workloads(objects)) {
      for (const container of [...(template.spec?.initContainers ?? []), ...template.spec!.containers]) {
        for (const variable of container.env ?? []) {
          if (/PASSWORD|SECRET|TOKEN|_URL$/.test(variable.name) && variable.value !== undefined) {
            // Plain URLs without credentials are configuration, not secrets.
            expect([kind, name, variable.name, /^https?:\/\/[^@]+$/.test(variable.value)]).toEqual([kind, name, variable.name, true]);
          }
        }
      }
    }
  });

  it('gives each process one NetworkPolicy: its own database, the broker, auth’s keys, and (the gateway) the subgraphs', () => {
    const policies = objectsOf<INetworkPolicy>(objects, 'NetworkPolicy');
    const dns = 'kube-dns:53,53';
    const external = (ports: number[]) => (overlay === 'production' ? ports.map((port) => `0.0.0.0/0:${port}`) : []);
    for (const name of processes) {
      const own = policies.filter((p) => labelsSelected(p) === name);
      expect([name, own.length]).toEqual([name, 1]);
      const policy = own[0]!;
      expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
      const definition = services.find((s) => s.name === name);
      let expected: string[];
      if (definition) {
        expected = [
          dns,
          ...(definition.backing.includes('mysql') ? [`${name}-mysql:3306`] : []),
          ...(definition.backing.includes('mongodb') ? [`${name}-mongodb:27017`] : []),
          'x-rabbitmq:5672',
          'auth:3000',
          ...(definition.backing.includes('redis') ? ['redis:6379'] : []),
          ...external([...(definition.backing.includes('mysql') ? [3306] : []), ...(definition.backing.includes('mongodb') ? [27017] : [])]),
          ...external(definition.backing.includes('redis') ? [6379] : []),
        ];
      } else if (name === gateway.name) {
        expected = [dns, ...services.map((s) => `${s.name}:${services.map((t) => t.port).join(',')}`), 'redis:6379', ...external([6379])];
      } else {
        expected = [dns, 'gateway:4000', 'auth:3000', 'user:30030', 'redis:6379', ...external([6379])];
      }
      expect([name, egressTargets(policy)]).toEqual([name, expected]);
    }
    if (overlay === 'dev') {
      // The other way round: each database takes connections from its service alone.
      for (const definition of services.filter((s) => s.backing.includes('mysql'))) {
        const policy = policies.find((p) => labelsSelected(p) === `${definition.name}-mysql`);
        const from = policy?.spec?.ingress?.flatMap((rule) => (rule.from ?? []).map((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name']));
        expect([definition.name, from]).toEqual([definition.name, [definition.name]]);
      }
    }
  });

  it('lets the gateway reach every subgraph at the registry’s address', () => {
    const [main] = containersOf(deployment(objects, gateway.name));
    for (const definition of services) {
      expect(env(main!, `SUBGRAPH_URL_${definition.name.toUpperCase().replace(/-/g, '_')}`)?.value).toBe(`http://${definition.name}:${definition.port}/graphql`);
    }
  });

  it.each(services.map((s) => s.name))('gives %s its own broker user, allowed its own queues and its own routing keys only', (name) => {
    const find = (kind: string) => objects.find((o) => o.kind === kind && o.metadata.name === `x-${name}`)?.spec as Record<string, unknown> | undefined;
    expect(find('User')).toEqual({ rabbitmqClusterReference: { name: 'x-rabbitmq' }, importCredentialsSecret: { name: `x-${name}-rabbitmq` } });
    const resources = `x\\.events(\\.unrouted|\\.${name.replace(/\./g, '\\.')}(\\..*)?)?`;
    expect(find('Permission')).toEqual({
      vhost: '/',
      userReference: { name: `x-${name}` },
      permissions: { configure: `^${resources}$`, write: `^(${resources}|amq\\.default)$`, read: `^${resources}$` },
      rabbitmqClusterReference: { name: 'x-rabbitmq' },
    });
    expect(find('TopicPermission')).toEqual({
      vhost: '/',
      userReference: { name: `x-${name}` },
      permissions: { exchange: 'x.events', write: `^${name}\\.`, read: '.*' },
      rabbitmqClusterReference: { name: 'x-rabbitmq' },
    });
    const configure = new RegExp(`^${resources}$`);
    for (const queue of ['x.events', 'x.events.unrouted', `x.events.${name}`, `x.events.${name}.retry.1000`, `x.events.${name}.retry.30000`, `x.events.${name}.dlq`]) expect([queue, configure.test(queue)]).toEqual([queue, true]);
    for (const other of services.filter((s) => s.name !== name)) {
      expect([other.name, configure.test(`x.events.${other.name}`), configure.test(`x.events.${other.name}.dlq`)]).toEqual([other.name, false, false]);
      expect([other.name, new RegExp(`^${name}\\.`).test(`${other.name}.entity.changed`)]).toEqual([other.name, false]);
    }
    const [main] = containersOf(deployment(objects, name));
    expect(env(main!, 'AMQP_URL')?.valueFrom?.secretKeyRef).toEqual({ name: `x-${name}-rabbitmq`, key: 'url' });
  });

  it('runs Kong in DB-less mode from kong/kong.yml itself, rendered with auth’s JWKS into the file Kong reads', () => {
    const template = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('kong-declarative-template-')) as KubernetesObject & { data: Record<string, string> };
    expect(template.data['kong.yml']).toBe(readFileSync(path.join(repoRoot, 'kong', 'kong.yml'), 'utf8'));
    const kong = deployment(objects, 'kong');
    const [render] = initContainersOf(kong);
    const [proxy] = containersOf(kong);
    expect(render?.args).toEqual(['node', 'kong/dist/render-config.js', '--jwks-url', 'http://auth:3000/auth/.well-known/jwks.json', '--template', '/kong-template/kong.yml', '--out', '/kong-config/kong.yml', '--wait-seconds', '300']);
    expect(env(proxy!, 'KONG_DATABASE')?.value).toBe('off');
    expect(env(proxy!, 'KONG_DECLARATIVE_CONFIG')?.value).toBe('/kong-config/kong.yml');
    expect(env(proxy!, 'KONG_ADMIN_LISTEN')?.value).toBe('off');
    expect(kong.spec?.template.spec?.volumes?.find((v) => v.name === 'kong-template')?.configMap?.name).toBe(template.metadata.name);
    // Every upstream of kong.yml is a Service of the overlay, on the port kong.yml names.
    const kongYaml = parse(readFileSync(path.join(repoRoot, 'kong', 'kong.yml'), 'utf8')) as { services: { url: string }[]; upstreams: { targets: { target: string }[] }[] };
    const addresses = [...kongYaml.services.map((s) => new URL(s.url)).filter((u) => !u.hostname.endsWith('-upstream')).map((u) => `${u.hostname}:${u.port}`), ...kongYaml.upstreams.flatMap((u) => u.targets.map((t) => t.target))];
    for (const address of addresses) {
      const [host, port] = address.split(':');
      const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === host) as unknown as IService | undefined;
      expect([address, service?.spec?.ports?.map((p) => String(p.port))]).toEqual([address, [port]]);
    }
  });

  if (overlay === 'dev') {
    it('runs one replica of each process, the databases in the cluster, and a Job that creates every Secret the pods read', () => {
      for (const d of objectsOf<IDeployment>(objects, 'Deployment')) expect([d.metadata.name, d.spec?.replicas ?? 1]).toEqual([d.metadata.name, 1]);
      expect(objectsOf(objects, 'HorizontalPodAutoscaler')).toEqual([]);
      expect(objectsOf(objects, 'ScaledObject')).toEqual([]);
      const statefulSets = objectsOf(objects, 'StatefulSet').map((s) => s.metadata.name).sort();
      const expected = [...services.filter((s) => s.backing.includes('mysql')).map((s) => `${s.name}-mysql`), ...services.filter((s) => s.backing.includes('mongodb')).map((s) => `${s.name}-mongodb`)].sort();
      expect(statefulSets).toEqual(expected);
      const created = devSecrets();
      const available = new Set(created.flatMap((secret) => [`${secret.name}/*`, ...Object.keys(secret.data).map((key) => `${secret.name}/${key}`)]));
      const needed = workloads(objects).flatMap(({ kind, name, template }) => {
        const pod = template.spec;
        const fromEnv = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].flatMap((c) => (c.env ?? []).flatMap((v) => (v.valueFrom?.secretKeyRef ? [`${v.valueFrom.secretKeyRef.name}/${v.valueFrom.secretKeyRef.key}`] : [])));
        const fromVolumes = (pod?.volumes ?? []).flatMap((v) => (v.secret ? [`${v.secret.secretName}/*`] : []));
        return [...fromEnv, ...fromVolumes].map((ref) => `${kind} ${name}: ${ref}`);
      });
      expect(needed.length).toBeGreaterThan(30);
      expect(needed.filter((ref) => !available.has(ref.split(': ')[1] ?? ''))).toEqual([]);
      const byName = new Map(created.map((secret) => [secret.name, Object.keys(secret.data)]));
      for (const user of objectsOf<{ spec: { importCredentialsSecret: { name: string } } }>(objects, 'User')) {
        expect(byName.get(user.spec.importCredentialsSecret.name)).toEqual(expect.arrayContaining(['username', 'password']));
      }
      const rabbit = objectsOf<{ spec: { replicas: number } }>(objects, 'RabbitmqCluster');
      expect(rabbit.map((r) => r.spec.replicas)).toEqual([1]);
    });
  }

  if (overlay === 'production') {
    it('scales consumers on their queue’s depth (KEDA) and the rest on CPU, two replicas at least', () => {
      const scaled = objectsOf<{ spec: { scaleTargetRef: { name: string }; minReplicaCount: number; triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[] } }>(objects, 'ScaledObject');
      expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(consumers.map((s) => s.name).sort());
      for (const object of scaled) {
        const name = object.spec.scaleTargetRef.name;
        const queue = object.spec.triggers.find((t) => t.type === 'rabbitmq');
        expect(queue?.metadata).toMatchObject({ protocol: 'amqp', mode: 'QueueLength', queueName: `x.events.${name}` });
        const auth = objects.find((o) => o.kind === 'TriggerAuthentication' && o.metadata.name === queue?.authenticationRef?.name);
        expect(auth?.spec).toEqual({ secretTargetRef: [{ parameter: 'host', name: `x-${name}-rabbitmq`, key: 'url' }] });
        expect(object.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
      }
      const hpas = objectsOf<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
      const cpuScaled = processes.filter((name) => !consumers.some((c) => c.name === name));
      expect(hpas.map((h) => h.spec?.scaleTargetRef.name).sort()).toEqual([...cpuScaled].sort());
      for (const hpa of hpas) {
        expect(hpa.spec?.minReplicas).toBeGreaterThanOrEqual(2);
        expect(hpa.spec?.metrics?.map((m) => m.resource?.name)).toEqual(['cpu']);
      }
    });

    it('keeps one pod of each process through voluntary disruptions, spreads replicas over nodes, and the brokers over three', () => {
      const budgets = objectsOf<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
      for (const name of processes) {
        const budget = budgets.find((b) => b.spec?.selector?.matchLabels?.['app.kubernetes.io/name'] === name);
        expect([name, budget?.spec?.minAvailable]).toEqual([name, 1]);
        const affinity = deployment(objects, name).spec?.template.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
        expect([name, affinity?.map((term) => [term.podAffinityTerm.topologyKey, term.podAffinityTerm.labelSelector?.matchLabels])]).toEqual([
          name,
          [
            ['kubernetes.io/hostname', { 'app.kubernetes.io/name': name }],
            ['topology.kubernetes.io/zone', { 'app.kubernetes.io/name': name }],
          ],
        ]);
      }
      const [rabbit] = objectsOf<{ spec: { replicas: number; affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { topologyKey: string }[] } } } }>(objects, 'RabbitmqCluster');
      expect(rabbit?.spec.replicas).toBe(3);
      expect(rabbit?.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.map((t) => t.topologyKey)).toEqual(['kubernetes.io/hostname']);
      expect(budgets.find((b) => b.metadata?.name === 'x-rabbitmq')?.spec?.maxUnavailable).toBe(1);
    });

    it('runs no database in the cluster: each service’s comes from its Secret', () => {
      expect(objectsOf(objects, 'StatefulSet')).toEqual([]);
      for (const definition of services) {
        const [main] = containersOf(deployment(objects, definition.name));
        const variable = definition.backing.includes('mongodb') ? 'MONGO_URL' : 'DATABASE_URL';
        expect(env(main!, variable)?.valueFrom?.secretKeyRef).toEqual({ name: `x-${definition.name}-database`, key: 'url' });
      }
    });
  }
});

describe('the operators’ CRD files', () => {
  it('are the upstream releases’ files, unedited (deploy/kubernetes/crds/SOURCES.md)', () => {
    const sources = readFileSync(path.join(kubernetesDir, 'crds', 'SOURCES.md'), 'utf8');
    const listed = [...sources.matchAll(/^\| `([^`]+)` \| .* \| `([0-9a-f]{64})` \|$/gm)].map(([, file = '', sha256 = '']) => ({ file, sha256 }));
    expect(listed.map(({ file }) => file).sort()).toEqual(readdirSync(path.join(kubernetesDir, 'crds')).filter((file) => file.endsWith('.yaml')).sort());
    for (const { file, sha256 } of listed) {
      expect([file, createHash('sha256').update(readFileSync(path.join(kubernetesDir, 'crds', file))).digest('hex')]).toEqual([file, sha256]);
    }
  });
});
