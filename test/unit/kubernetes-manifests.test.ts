// deploy/kubernetes/ against the service it deploys: the environment loads as a production
// configuration (secrets read from the mounted Secret through *_FILE), every variable is one the
// configuration reads, probes and ports are the service's, and the shutdown fits the grace period.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { parseYamlDocuments, type Yaml } from '../support/yaml-subset.js';

const DIR = new URL('../../deploy/kubernetes/', import.meta.url).pathname;

type Obj = { [key: string]: Yaml };
const obj = (v: Yaml | undefined): Obj => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`not a mapping: ${JSON.stringify(v)}`);
  return v;
};
const list = (v: Yaml | undefined): Yaml[] => {
  if (!Array.isArray(v)) throw new TypeError(`not a list: ${JSON.stringify(v)}`);
  return v;
};
const str = (v: Yaml | undefined): string => {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TypeError(`not a scalar: ${JSON.stringify(v)}`);
};
const at = (v: Yaml | undefined, ...path: string[]): Yaml | undefined => path.reduce<Yaml | undefined>((o, k) => obj(o)[k], v);

const resources = list(at(parseYamlDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0], 'resources')).map(str);
const manifests = resources.flatMap((file) => parseYamlDocuments(readFileSync(join(DIR, file), 'utf8')));
const byKind = (kind: string): Obj => {
  const found = manifests.filter((m) => obj(m)['kind'] === kind);
  expect(found).toHaveLength(1);
  return obj(found[0]);
};

const deployment = byKind('Deployment');
const pod = obj(at(deployment, 'spec', 'template', 'spec'));
const container = obj(list(pod['containers'])[0]);
const env = list(container['env']).map((e) => [str(obj(e)['name']), str(obj(e)['value'])] as const);
const ports = new Map(list(container['ports']).map((p) => [str(obj(p)['name']), Number(obj(p)['containerPort'])]));

// What the Secret `scope-auth` would hold, written where the manifest mounts it (remapped to a temp dir).
const SECRET_VALUES: Record<string, string> = {
  SECRET_PEPPER: randomBytes(24).toString('hex'),
  KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  METRICS_TOKEN: randomBytes(24).toString('hex'),
  DATABASE_URL: 'postgres://scope_auth@db.internal:5432/scope_auth',
  REDIS_URL: 'redis://redis.internal:6379',
};

describe('deploy/kubernetes', () => {
  let dir: string;
  let base: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'scope-auth-k8s-'));
    base = {};
    for (const [name, value] of env) {
      if (!name.endsWith('_FILE')) {
        base[name] = value;
        continue;
      }
      const secret = SECRET_VALUES[name.slice(0, -'_FILE'.length)];
      if (secret === undefined) throw new Error(`no test value for ${name}`);
      const file = join(dir, value.replaceAll('/', '_'));
      writeFileSync(file, `${secret}\n`);
      base[name] = file;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds a Deployment, Service, PodDisruptionBudget and HorizontalPodAutoscaler that point at each other', () => {
    const labels = obj(at(deployment, 'spec', 'template', 'metadata', 'labels'));
    expect(at(deployment, 'spec', 'selector', 'matchLabels')).toEqual(labels);
    expect(at(byKind('Service'), 'spec', 'selector')).toEqual(labels);
    expect(at(byKind('PodDisruptionBudget'), 'spec', 'selector', 'matchLabels')).toEqual(labels);
    expect(ports.has(str(list(at(byKind('Service'), 'spec', 'ports')).map((p) => obj(p)['targetPort'])[0]))).toBe(true);
    const hpa = byKind('HorizontalPodAutoscaler');
    expect(at(hpa, 'spec', 'scaleTargetRef')).toMatchObject({ kind: 'Deployment', name: at(deployment, 'metadata', 'name') });
    expect(list(at(hpa, 'spec', 'metrics')).map((m) => at(m, 'resource', 'name'))).toEqual(['cpu']);
  });

  it('configures a valid production instance, every secret read from the mounted Secret', () => {
    const config: Config = loadConfig(base);
    expect(config.port).toBe(ports.get('http'));
    expect(config.metricsPort).toBe(ports.get('metrics'));
    expect(config.secretPepper.toString()).toBe(SECRET_VALUES['SECRET_PEPPER']);
    const mounts = list(container['volumeMounts']).map((m) => obj(m));
    const secretVolumes = new Set(list(pod['volumes']).flatMap((v) => (obj(v)['secret'] ? [str(obj(v)['name'])] : [])));
    for (const [name, path] of env.filter(([n]) => n.endsWith('_FILE'))) {
      const mount = mounts.find((m) => path.startsWith(`${str(m['mountPath'])}/`));
      expect({ name, volume: mount && secretVolumes.has(str(mount['name'])) }).toEqual({ name, volume: true });
    }
    // No secret in clear in the manifest.
    expect(env.filter(([n]) => n in SECRET_VALUES)).toEqual([]);
  });

  it('names only variables the configuration reads (each one, made invalid, is refused)', () => {
    for (const [name] of env) {
      const bad = name.endsWith('_FILE') ? join(dir, 'missing') : '%not valid%';
      expect(() => loadConfig({ ...base, [name]: bad })).toThrow(name);
    }
  });

  it('probes /healthz and /readyz on the service port, and stops within the grace period', () => {
    for (const probe of ['startupProbe', 'livenessProbe'])
      expect(at(container, probe, 'httpGet')).toEqual({ path: '/healthz', port: 'http' });
    expect(at(container, 'readinessProbe', 'httpGet')).toEqual({ path: '/readyz', port: 'http' });
    const config = loadConfig(base);
    const preStop = list(at(container, 'lifecycle', 'preStop', 'exec', 'command'));
    expect(preStop[0]).toBe('sleep');
    const stoppingMs = Number(preStop[1]) * 1000 + config.shutdownDrainMs + config.shutdownTimeoutMs;
    expect(config.shutdownDrainMs).toBeGreaterThan(0);
    expect(Number(pod['terminationGracePeriodSeconds']) * 1000).toBeGreaterThan(stoppingMs);
  });

  it('runs as a non-root user with no privilege to gain', () => {
    expect(at(pod, 'securityContext', 'runAsNonRoot')).toBe(true);
    expect(Number(at(pod, 'securityContext', 'runAsUser'))).toBeGreaterThan(0);
    expect(obj(container['securityContext'])).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });
});
