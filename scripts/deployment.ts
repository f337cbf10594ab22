import { relative } from 'node:path';
import { Document, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import type { z } from 'zod';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import { subgraphConfig, tracingConfig } from '../shared/config';
import { REPO_ROOT, department, services } from '../shared/registry';
import { departmentConfig } from '../shared/department/config';
import { applicationsConfig } from '../subgraphs/applications/config';
import { permitConfig } from '../subgraphs/permit/config';
import { gatewayConfig } from '../gateway/config';
import { documentsConfig } from '../documents/config';

/**
 * The deployment, described once from the service registry and each
 * service's configuration schema, and written out by `npm run generate` as
 * `docker-compose.yml` (one host) and `deploy/kubernetes.yaml` (a cluster).
 * Every variable a service reads is in its environment, from one of:
 * - the deployment itself (where the others are, the port, the database);
 * - the operator's secrets (`npm run keys -- --env` prints them), each private
 *   key only in its owner's environment;
 * - the operator's settings that have no safe default (the identity provider,
 *   the public URL), required;
 * - tunables, with the service's own default.
 * test/deployment.test.ts checks each service's environment against its schema.
 */

/** A configuration reader (shared/config.ts `defineConfig`). */
interface ConfigReader {
  schema: z.ZodObject<z.ZodRawShape>;
  parseEnv: (env: Record<string, string | undefined>) => unknown;
}

export type ServiceKind = 'gateway' | 'documents' | 'subgraph';

export interface DeployedService {
  name: string;
  kind: ServiceKind;
  /** The entry point and its arguments, relative to the image's /app. */
  command: string[];
  port: number;
  /** Published to the outside (the gateway, the documents service); the rest is reachable inside only. */
  published: boolean;
  configs: ConfigReader[];
  env: Record<string, EnvValue>;
}

/** Where one variable's value comes from. */
export type EnvValue =
  | { from: 'deployment'; compose: string; kubernetes: string }
  | { from: 'secret'; variable: string; what: string }
  | { from: 'setting'; variable: string; what: string; required: boolean }
  | { from: 'default'; variable: string; value: string };

/** Read by services but never set by the deployment, and why. */
export const NOT_DEPLOYED: Record<string, string> = {
  NODE_ENV: 'left unset: with NODE_ENV=production Apollo Server turns introspection off, and analysts\' GraphiQL would lose its schema',
  JWT_SECRET: 'the development identity provider\'s HS256 secret: a deployment checks tokens against its identity provider\'s JWKS (JWT_JWKS_URL)',
  GATEWAY_IDENTITY_JWKS_URL: 'the public identity keys are given directly (GATEWAY_IDENTITY_JWKS), so no subgraph depends on the gateway to start',
};

/** Keys, each in the environment of the services that may hold it (docs/security.md). */
const SECRETS: Record<string, { variable: (service: string) => string; what: string }> = {
  GATEWAY_IDENTITY_KEYS: { variable: () => 'GATEWAY_IDENTITY_KEYS', what: 'the gateway\'s private identity keys' },
  GATEWAY_IDENTITY_JWKS: { variable: () => 'GATEWAY_IDENTITY_JWKS', what: 'the gateway\'s public identity keys' },
  EVENT_VERIFY_KEYS: { variable: () => 'EVENT_VERIFY_KEYS', what: 'every service\'s public event keys' },
  EVENT_SIGNING_KEY: { variable: (service) => `EVENT_SIGNING_KEY_${envName(service)}`, what: 'this service\'s own private event key' },
  PERMIT_SIGNING_KEYS: { variable: () => 'PERMIT_SIGNING_KEYS', what: 'the private keys signing QR codes' },
  MONGODB_URI: { variable: () => 'MONGODB_URI', what: 'the database replica set (with credentials)' },
};

/** Settings with no default that is safe in production: the operator states them. */
const REQUIRED_SETTINGS: Record<string, string> = {
  JWT_JWKS_URL: 'the identity provider\'s JWKS URL',
  JWT_ISSUER: 'the identity provider\'s issuer (iss)',
  PUBLIC_BASE_URL: 'the documents service\'s public URL, put in QR codes',
};

/** The database in the compose file: a three-member replica set. */
export const MONGO_MEMBERS = ['mongo-1', 'mongo-2', 'mongo-3'];
const COMPOSE_MONGODB_URI = `mongodb://${MONGO_MEMBERS.map((m) => `${m}:27017`).join(',')}/?replicaSet=rs0`;

/** Replicas per service in the cluster (and per subgraph on one host): two, so one can restart while the other serves. */
export const REPLICAS = 2;
export const IMAGE = 'yiye-platform:latest';

export const envName = (service: string) => service.toUpperCase().replace(/-/g, '_');

/** The whole platform as deployed: every federated subgraph, the gateway and the documents service. */
export function deployedServices(): DeployedService[] {
  const urls = (host: (name: string) => string) => JSON.stringify(Object.fromEntries(services().map((s) => [s.name, `http://${host(s.name)}:${s.port}`])));
  const fixed = (name: string, port: number): Record<string, EnvValue> => ({
    OTEL_SERVICE_NAME: { from: 'deployment', compose: name, kubernetes: name },
    LISTEN_HOST: { from: 'deployment', compose: '0.0.0.0', kubernetes: '0.0.0.0' },
    PORT: { from: 'deployment', compose: String(port), kubernetes: String(port) },
    // Compose and Kubernetes both resolve a service's name to its replicas.
    SERVICE_URLS: { from: 'deployment', compose: urls((n) => n), kubernetes: urls((n) => n) },
    GATEWAY_URL: { from: 'deployment', compose: 'http://gateway:4000', kubernetes: 'http://gateway:4000' },
  });
  const subgraphConfigs = (name: string): ConfigReader[] => [
    tracingConfig,
    subgraphConfig,
    ...(name === 'applications' ? [applicationsConfig] : name === 'permit' ? [permitConfig] : department(name) ? [departmentConfig] : []),
  ];
  const all: Omit<DeployedService, 'env'>[] = [
    ...services().map((s) => ({
      name: s.name,
      kind: 'subgraph' as const,
      command: [relative(REPO_ROOT, s.entry), ...s.args.map((a) => relative(REPO_ROOT, a))],
      port: s.port,
      published: false,
      configs: subgraphConfigs(s.name),
    })),
    { name: 'gateway', kind: 'gateway', command: ['gateway/main.ts'], port: 4000, published: true, configs: [tracingConfig, gatewayConfig] },
    { name: 'documents', kind: 'documents', command: ['documents/main.ts'], port: 4080, published: true, configs: [tracingConfig, documentsConfig] },
  ];
  return all.map((service) => {
    const deployment = fixed(service.name, service.port);
    const env: Record<string, EnvValue> = {};
    for (const variable of readVariables(service.configs)) {
      if (NOT_DEPLOYED[variable]) continue;
      const field = service.configs.map((c) => c.schema.shape[variable]).find(Boolean)!;
      if (deployment[variable]) env[variable] = deployment[variable];
      else if (variable === 'MONGODB_URI') env[variable] = { from: 'deployment', compose: COMPOSE_MONGODB_URI, kubernetes: '' };
      else if (SECRETS[variable]) env[variable] = { from: 'secret', variable: SECRETS[variable].variable(service.name), what: SECRETS[variable].what };
      else if (REQUIRED_SETTINGS[variable]) env[variable] = { from: 'setting', variable, what: REQUIRED_SETTINGS[variable], required: true };
      else {
        const fallback = (field as z.ZodType).safeParse(undefined);
        if (fallback.success && fallback.data !== undefined) env[variable] = { from: 'default', variable, value: String(fallback.data) };
        else env[variable] = { from: 'setting', variable, what: 'optional', required: false };
      }
    }
    return { ...service, env };
  });
}

/** Every variable the configuration readers read (their schemas' keys). */
export function readVariables(configs: ConfigReader[]): string[] {
  return [...new Set(configs.flatMap((c) => Object.keys(c.schema.shape)))];
}

/** In Kubernetes the database is the operator's replica set: its URI (with credentials) is a secret. */
function kubernetesValue(value: EnvValue): EnvValue {
  return value.from === 'deployment' && value.kubernetes === '' ? { from: 'secret', variable: 'MONGODB_URI', what: SECRETS.MONGODB_URI.what } : value;
}

// ---------------------------------------------------------------------------
// docker-compose.yml
// ---------------------------------------------------------------------------

const HEALTHCHECK = (path: string, port: number) => ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${port}${path}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`];

function composeValue(value: EnvValue): string {
  switch (value.from) {
    case 'deployment':
      return value.compose;
    case 'secret':
      return `\${${value.variable}:?set ${value.variable}: ${value.what} (npm run keys -- --env)}`;
    case 'setting':
      return value.required ? `\${${value.variable}:?set ${value.variable}: ${value.what}}` : `\${${value.variable}:-}`;
    case 'default':
      return `\${${value.variable}:-${value.value}}`;
  }
}

const COMPOSE_HEADER = `# Generated by \`npm run generate\` from the service registry and each service's
# configuration schema (scripts/deployment.ts): do not edit; test/deployment.test.ts
# checks it. docs/operations.md says how to deploy, scale, observe and rotate keys.
#
#   npm run keys -- --env > .env     # every key, as the variables below read them
#   echo "JWT_JWKS_URL=https://…/jwks.json" >> .env    # the identity provider
#   echo "JWT_ISSUER=https://…" >> .env
#   echo "PUBLIC_BASE_URL=https://…" >> .env           # where the public reaches the documents service
#   docker compose up -d --build
#
# MongoDB runs as a three-member replica set (initiated by mongo-1's health check);
# every subgraph runs ${REPLICAS} replicas on it. The gateway (4000) and the documents
# service (4080) publish ports; nothing else is reachable from outside. Not run here:
# the development machines have no container engine (docs/operations.md).
`;

/** The compose file's text. */
export function composeFile(): string {
  const deployed = deployedServices();
  const doc = new Document({});
  const root = doc.contents as YAMLMap;
  // Variables every service of a kind shares go in one anchored block each.
  const subgraphs = deployed.filter((s) => s.kind === 'subgraph');
  const shared = Object.keys(subgraphs[0].env).filter((v) => subgraphs.every((s) => v in s.env && composeValue(s.env[v]) === composeValue(subgraphs[0].env[v])));
  const subgraphEnv = doc.createNode(Object.fromEntries(shared.map((v) => [v, composeValue(subgraphs[0].env[v])])));
  subgraphEnv.anchor = 'subgraph-env';
  root.add(doc.createPair('x-subgraph-env', subgraphEnv));

  const services: Record<string, unknown> = {};
  for (const member of MONGO_MEMBERS) {
    const first = member === MONGO_MEMBERS[0];
    services[member] = {
      image: 'mongo:7',
      command: ['--replSet', 'rs0', '--bind_ip_all'],
      restart: 'unless-stopped',
      volumes: [`${member}-data:/data/db`],
      healthcheck: {
        test: [
          'CMD',
          'mongosh',
          '--quiet',
          '--eval',
          first
            ? `try { rs.status() } catch (e) { rs.initiate({ _id: 'rs0', members: [${MONGO_MEMBERS.map((m, i) => `{ _id: ${i}, host: '${m}:27017'${i === 0 ? ', priority: 2' : ''} }`).join(', ')}] }) }; if (!db.hello().isWritablePrimary && !db.hello().secondary) quit(1)`
            : 'if (!db.hello().isWritablePrimary && !db.hello().secondary) quit(1)',
        ],
        interval: '5s',
        timeout: '10s',
        retries: 30,
        start_period: '10s',
      },
      ...(first ? { depends_on: MONGO_MEMBERS.slice(1) } : {}),
    };
  }
  for (const service of deployed) {
    services[service.name] = {
      build: '.',
      image: IMAGE,
      command: service.command,
      restart: 'unless-stopped',
      environment: Object.fromEntries(
        Object.entries(service.env)
          .filter(([v]) => service.kind !== 'subgraph' || !shared.includes(v))
          .map(([v, value]) => [v, composeValue(value)]),
      ),
      ...(service.published ? { ports: [`${service.port}:${service.port}`] } : { deploy: { replicas: REPLICAS } }),
      depends_on:
        service.kind === 'subgraph'
          ? { [MONGO_MEMBERS[0]]: { condition: 'service_healthy' } }
          : service.kind === 'gateway'
            ? subgraphs.map((s) => s.name)
            : ['gateway'],
      healthcheck: { test: HEALTHCHECK('/readyz', service.port), interval: '10s', timeout: '3s', retries: 5, start_period: '20s' },
      stop_grace_period: '10s',
    };
  }
  const servicesNode = doc.createNode(services) as YAMLMap;
  // Each subgraph's environment starts from the shared block (a YAML merge key).
  for (const service of subgraphs) {
    const env = (servicesNode.get(service.name) as YAMLMap).get('environment') as YAMLMap;
    env.items.unshift(doc.createPair('<<', doc.createAlias(subgraphEnv)) as Pair);
  }
  // Ports quoted, as the compose documentation asks ("4000:4000" is no number in any YAML version).
  for (const service of deployed.filter((s) => s.published)) {
    for (const item of ((servicesNode.get(service.name) as YAMLMap).get('ports') as YAMLSeq<Scalar>).items) item.type = 'QUOTE_DOUBLE';
  }
  root.add(doc.createPair('services', servicesNode));
  root.add(doc.createPair('volumes', Object.fromEntries(MONGO_MEMBERS.map((m) => [`${m}-data`, null]))));
  doc.commentBefore = COMPOSE_HEADER.trimEnd().replace(/^#/gm, '');
  return doc.toString({ lineWidth: 0, merge: true } as never);
}

// ---------------------------------------------------------------------------
// deploy/kubernetes.yaml
// ---------------------------------------------------------------------------

/** The Secret every service reads its keys and required settings from; the operator creates it (docs/operations.md). */
export const KUBERNETES_SECRET = 'yiye-platform';

function kubernetesEnv(service: DeployedService): IEnvVar[] {
  return Object.entries(service.env).map(([name, raw]) => {
    const value = kubernetesValue(raw);
    switch (value.from) {
      case 'deployment':
        return { name, value: value.kubernetes };
      case 'default':
        return { name, value: value.value };
      case 'secret':
        return { name, valueFrom: { secretKeyRef: { name: KUBERNETES_SECRET, key: value.variable } } };
      case 'setting':
        return { name, valueFrom: { secretKeyRef: { name: KUBERNETES_SECRET, key: value.variable, optional: !value.required } } };
    }
  });
}

/** Every object of the cluster deployment, validated against the Kubernetes schemas. */
export function kubernetesObjects(): (Deployment | Service | PodDisruptionBudget)[] {
  const objects: (Deployment | Service | PodDisruptionBudget)[] = [];
  for (const service of deployedServices()) {
    const labels = { 'app.kubernetes.io/name': service.name, 'app.kubernetes.io/part-of': 'yiye-platform' };
    const probe = (path: string, period: number) => ({ httpGet: { path, port: service.port }, periodSeconds: period, timeoutSeconds: 3 });
    objects.push(
      new Deployment({
        metadata: { name: service.name, labels },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: labels },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels },
            spec: {
              securityContext: { runAsNonRoot: true, runAsUser: 1000 },
              terminationGracePeriodSeconds: 15,
              containers: [
                {
                  name: service.name,
                  image: IMAGE,
                  args: service.command,
                  ports: [{ name: 'http', containerPort: service.port }],
                  env: kubernetesEnv(service),
                  readinessProbe: probe('/readyz', 10),
                  livenessProbe: { ...probe('/healthz', 20), failureThreshold: 3 },
                  startupProbe: { ...probe('/healthz', 2), failureThreshold: 60 },
                  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                },
              ],
            },
          },
        },
      }),
      new Service({ metadata: { name: service.name, labels }, spec: { selector: labels, ports: [{ name: 'http', port: service.port, targetPort: service.port }] } }),
      new PodDisruptionBudget({ metadata: { name: service.name, labels }, spec: { minAvailable: 1, selector: { matchLabels: labels } } }),
    );
  }
  for (const object of objects) object.validate();
  return objects;
}

const KUBERNETES_HEADER = `# Generated by \`npm run generate\` (scripts/deployment.ts): do not edit.
# Every service as a Deployment of ${REPLICAS} replicas with a Service and a disruption
# budget. Not included: the MongoDB replica set (the operator's own, its URI in the
# Secret) and the ingress for the gateway and the documents service.
#   npm run keys -- --env > keys.env   # then add MONGODB_URI, JWT_JWKS_URL, JWT_ISSUER, PUBLIC_BASE_URL
#   kubectl create secret generic ${KUBERNETES_SECRET} --from-env-file=keys.env
#   kubectl apply -f deploy/kubernetes.yaml
# Not run here: no cluster on the development machines (docs/operations.md).`;

export function kubernetesFile(): string {
  const body = kubernetesObjects()
    .map((object) => new Document(object.toJSON()).toString({ lineWidth: 0 }))
    .join('---\n');
  return `${KUBERNETES_HEADER}\n${body}`;
}

/** What `npm run generate` writes for the deployment, as repository-relative path → content. */
export function deploymentFiles(): Map<string, string> {
  return new Map([
    ['docker-compose.yml', composeFile()],
    ['deploy/kubernetes.yaml', kubernetesFile()],
  ]);
}
