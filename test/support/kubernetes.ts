import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import type { Model, ModelData } from '@kubernetes-models/base';
import Ajv, { type ValidateFunction } from 'ajv';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments, parse } from 'yaml';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const kubernetesDir = path.join(repoRoot, 'deploy', 'kubernetes');
export const overlays = ['dev', 'production'] as const;
export type Overlay = (typeof overlays)[number];

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * Renders an overlay with the kustomize built into kubectl (`kubectl kustomize`), as `kubectl apply -k`
 * would. Without kubectl on the PATH this fails and says so: the manifests are then not checked at all.
 */
export function renderOverlay(overlay: Overlay): { text: string; objects: KubernetesObject[] } {
  const result = spawnSync('kubectl', ['kustomize', path.join(kubernetesDir, 'overlays', overlay)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`kubectl kustomize could not run (${result.error.message}): install kubectl 1.27 or later (kustomize v5 is built in) to render deploy/kubernetes`);
  if (result.status !== 0) throw new Error(`kubectl kustomize overlays/${overlay} failed: ${result.stderr}`);
  const objects = parseAllDocuments(result.stdout).map((document) => {
    if (document.errors.length) throw new Error(`overlays/${overlay} rendered invalid YAML: ${document.errors[0]?.message}`);
    return document.toJS() as KubernetesObject;
  });
  return { text: result.stdout, objects };
}

type Validator = (object: KubernetesObject) => void;

/** kubernetes-models' validators (types, required fields, enums, formats of the Kubernetes OpenAPI schemas). */
function model<T>(ctor: new (data?: ModelData<T>) => Model<T>): Validator {
  return (object) => new ctor(object as ModelData<T>).validate();
}

interface CustomResourceDefinition {
  spec: { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema: { openAPIV3Schema: Record<string, unknown> } }[] };
}

/**
 * The API server prunes (or, with kubectl's default strict field validation, rejects) fields a CRD's
 * structural schema does not declare: every object schema that neither lists additionalProperties nor
 * preserves unknown fields gets `additionalProperties: false`, as kubeconform's strict mode does.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = key === 'enum' || key === 'default' || key === 'example' ? value : strict(value);
  if (copy.properties && copy.additionalProperties === undefined && copy['x-kubernetes-preserve-unknown-fields'] !== true) copy.additionalProperties = false;
  return copy;
}

const crdFiles = ['rabbitmq.com_rabbitmqclusters.yaml', 'rabbitmq.com_users.yaml', 'rabbitmq.com_permissions.yaml', 'rabbitmq.com_topicpermissions.yaml'];

/** The operators' CRD schemas, read from the upstream CRD files kept in deploy/kubernetes/crds. */
function crdValidators(): Record<string, Validator> {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validators: Record<string, Validator> = {};
  for (const file of crdFiles) {
    const crd = parse(readFileSync(path.join(kubernetesDir, 'crds', file), 'utf8')) as CustomResourceDefinition;
    for (const version of crd.spec.versions.filter((candidate) => candidate.served)) {
      const validate: ValidateFunction = ajv.compile(strict(version.schema.openAPIV3Schema) as Record<string, unknown>);
      validators[`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`] = (object) => {
        const kind = object.kind;
        if (!validate(object)) throw new Error(ajv.errorsText(validate.errors, { dataVar: kind }));
      };
    }
  }
  return validators;
}

/** A validator for every kind the overlays may render; a kind without one is an error in itself. */
export function schemaValidators(): Record<string, Validator> {
  return {
    'v1/ConfigMap': model(ConfigMap),
    'v1/Namespace': model(Namespace),
    'v1/Service': model(Service),
    'v1/ServiceAccount': model(ServiceAccount),
    'apps/v1/Deployment': model(Deployment),
    'apps/v1/StatefulSet': model(StatefulSet),
    'batch/v1/Job': model(Job),
    'networking.k8s.io/v1/NetworkPolicy': model(NetworkPolicy),
    'policy/v1/PodDisruptionBudget': model(PodDisruptionBudget),
    'autoscaling/v2/HorizontalPodAutoscaler': model(HorizontalPodAutoscaler),
    'rbac.authorization.k8s.io/v1/Role': model(Role),
    'rbac.authorization.k8s.io/v1/RoleBinding': model(RoleBinding),
    'keda.sh/v1alpha1/ScaledObject': model(ScaledObject),
    'keda.sh/v1alpha1/TriggerAuthentication': model(TriggerAuthentication),
    ...crdValidators(),
  };
}

export interface Workload {
  kind: string;
  name: string;
  template: IPodTemplateSpec;
}

/** Every pod template of the rendered objects: Deployments, StatefulSets and Jobs. */
export function workloads(objects: readonly KubernetesObject[]): Workload[] {
  return objects.flatMap((object) => {
    const spec = object.spec as { template?: IPodTemplateSpec } | undefined;
    return ['Deployment', 'StatefulSet', 'Job'].includes(object.kind) && spec?.template ? [{ kind: object.kind, name: object.metadata.name, template: spec.template }] : [];
  });
}

export function deployment(objects: readonly KubernetesObject[], name: string): IDeployment {
  const found = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === name);
  if (!found) throw new Error(`no Deployment ${name}`);
  return found as unknown as IDeployment;
}

export function objectsOf<T>(objects: readonly KubernetesObject[], kind: string): (KubernetesObject & T)[] {
  return objects.filter((object) => object.kind === kind) as (KubernetesObject & T)[];
}

/** The x-run script of the Dockerfile (the image's entry point for every X process). */
export function xRunScript(): string {
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
  const match = /<<'SH' \/usr\/local\/bin\/x-run\n([\s\S]*?)\nSH\n/.exec(dockerfile);
  if (!match?.[1]) throw new Error('the Dockerfile has no x-run heredoc');
  return `${match[1]}\n`;
}
