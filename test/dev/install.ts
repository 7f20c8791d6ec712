// Installing Bosun for `make dev` and its tests: the CRDs, the operator in its own namespace
// watching one namespace (so it never meets the objects of other operators on a shared test
// cluster), its RBAC, and the store Secret. installCommands() is the one place that says how; it
// returns commands, so a dry run can print them.
//
// With the Helm chart (charts/bosun/templates), it is a `helm upgrade --install`. Until the chart
// has templates, the same objects are rendered from the kustomize bases in config/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { repoRoot } from '../cluster/paths.ts';
import type { Command } from './commands.ts';

export interface BosunImages {
  operator: string;
  inferenceServer: string;
  dataJobs: string;
  trainer: string;
}

export interface InstallSettings {
  /** Helm release name; also names the field manager of the rendered install. */
  release: string;
  /** The operator's namespace: its Deployment, Lease, store Secret and verification Jobs. */
  operatorNamespace: string;
  /** The one namespace the operator watches, where the demo's objects live. */
  watchNamespace: string;
  store: { endpoint: string; bucket: string; accessKey: string; secretKey: string };
  images: BosunImages;
  /** `Never` for images imported into the node, `IfNotPresent` for `kind load`. */
  imagePullPolicy: 'Never' | 'IfNotPresent';
  /**
   * The images' content hashes: local images keep one tag (`:local`), so a rebuilt image rolls the
   * operator through this annotation of its Pod template, and an unchanged one leaves it running.
   */
  imageHash: string;
  /**
   * `shared`: serving Pods get the store Secret, so they can store the input images the Dataset
   * collects back (under `sts` they log predictions without images: decision 0012). A dev
   * environment's one tenant needs no stronger isolation.
   */
  workloadCredentials: 'sts' | 'shared';
}

/** The kubectl every command goes through: the binary and its connection flags. */
export interface Kubectl {
  program: string;
  /** e.g. ['--kubeconfig', path] or ['--context', 'kind-bosun-dev']. */
  flags: string[];
}

/** The store Secret's name, with the chart (existingSecret) and config/ alike. */
export const STORE_SECRET = 'bosun-store';
export const IMAGE_HASH_ANNOTATION = 'bosun.dev/image-hash';
const CHART_DIR = join(repoRoot, 'charts', 'bosun');
const RESTRICTED = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
};

/** True once the chart has templates to install (another part of the project brings them). */
export function chartAvailable(): boolean {
  const templates = join(CHART_DIR, 'templates');
  return existsSync(templates) && readdirSync(templates).some((f) => f.endsWith('.yaml'));
}

type Doc = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

function readDocs(...path: string[]): Doc[] {
  return parseAllDocuments(readFileSync(join(repoRoot, ...path), 'utf8'))
    .map((d) => d.toJSON() as Doc)
    .filter(Boolean);
}

const base64 = (text: string) => Buffer.from(text).toString('base64');
const labelled = (extra: Record<string, string> = {}) => ({
  'app.kubernetes.io/name': 'bosun',
  'app.kubernetes.io/managed-by': 'bosun-dev',
  ...extra,
});

/** The operator's arguments for this install: the store, the one watched namespace, the images. */
export function operatorArgs(s: InstallSettings): string[] {
  return [
    `--store-endpoint=${s.store.endpoint}`,
    `--store-bucket=${s.store.bucket}`,
    '--store-credentials-secret=bosun-store',
    `--watch-namespace=${s.watchNamespace}`,
    `--image-pull-policy=${s.imagePullPolicy}`,
    `--workload-credentials=${s.workloadCredentials}`,
  ];
}

/**
 * The objects of config/rbac and config/manager, made to fit the settings: namespaces moved, one
 * replica (a laptop has no second node to fail over to), the images and arguments set, and the
 * ClusterRole bound in the watched namespace only, as `--watch-namespace` asks.
 */
export function renderFromConfig(s: InstallSettings): Doc[] {
  const docs: Doc[] = [];
  const rbac = [
    'service_account.yaml',
    'role.yaml',
    'operator_namespace_role.yaml',
    'operator_namespace_role_binding.yaml',
  ];
  for (const file of rbac) docs.push(...readDocs('config', 'rbac', file));
  docs.push({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'bosun-operator', namespace: s.watchNamespace, labels: labelled() },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'bosun-operator' },
    subjects: [{ kind: 'ServiceAccount', name: 'bosun-operator', namespace: s.operatorNamespace }],
  } as Doc);
  docs.push(...readDocs('config', 'manager', 'manager.yaml'));
  for (const doc of docs) {
    if (doc.metadata.namespace === 'bosun-system') doc.metadata.namespace = s.operatorNamespace;
    for (const subject of (doc.subjects as { namespace?: string }[] | undefined) ?? [])
      if (subject.namespace === 'bosun-system') subject.namespace = s.operatorNamespace;
    if (doc.kind === 'Deployment') setOperatorDeployment(doc, s);
  }
  return docs;
}

interface Container {
  image: string;
  imagePullPolicy?: string;
  args?: string[];
  env?: { name: string; value?: string }[];
}

function setOperatorDeployment(doc: Doc, s: InstallSettings): void {
  const spec = doc.spec as {
    replicas: number;
    template: { metadata: { annotations?: Record<string, string> }; spec: { containers: Container[] } };
  };
  spec.replicas = 1;
  spec.template.metadata.annotations = {
    ...spec.template.metadata.annotations,
    [IMAGE_HASH_ANNOTATION]: s.imageHash,
  };
  const container = spec.template.spec.containers[0] as Container;
  container.image = s.images.operator;
  container.imagePullPolicy = s.imagePullPolicy;
  container.args = operatorArgs(s);
  const images: Record<string, string> = {
    BOSUN_OPERATOR_IMAGE: s.images.operator,
    BOSUN_INFERENCE_SERVER_IMAGE: s.images.inferenceServer,
    BOSUN_DATA_JOBS_IMAGE: s.images.dataJobs,
    BOSUN_TRAINER_IMAGE: s.images.trainer,
  };
  for (const entry of container.env ?? []) if (entry.name in images) entry.value = images[entry.name];
}

/**
 * The store credentials: in the operator's namespace, and under `shared` also where the writer
 * Jobs and serving Pods run, since a Pod reads only Secrets of its own namespace (decision 0008).
 */
function storeSecrets(s: InstallSettings): Doc[] {
  const namespaces = [s.operatorNamespace, ...(s.workloadCredentials === 'shared' ? [s.watchNamespace] : [])];
  return namespaces.map((namespace) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: STORE_SECRET, namespace, labels: labelled() },
    // data, not stringData: server-side apply owns the fields it is sent, and stringData is never stored.
    data: { accessKeyId: base64(s.store.accessKey), secretAccessKey: base64(s.store.secretKey) },
  }));
}

function namespaceDoc(name: string): Doc {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { ...RESTRICTED, ...labelled() } },
  };
}

/** A reference split as the chart takes images: `[registry/]repository:tag`. */
export function splitImageRef(ref: string): { registry: string; repository: string; tag: string } {
  const at = ref.lastIndexOf(':');
  if (at < 0 || ref.slice(at).includes('/')) throw new Error(`image ${ref} has no tag`);
  const [name, tag] = [ref.slice(0, at), ref.slice(at + 1)];
  const first = name.split('/')[0] as string;
  // A first part with a dot or a port, or localhost, names a registry (as Docker reads it).
  const hasRegistry = name.includes('/') && (first === 'localhost' || /[.:]/.test(first));
  return hasRegistry
    ? { registry: first, repository: name.slice(first.length + 1), tag }
    : { registry: '', repository: name, tag };
}

/** The chart's values for these settings; the four images must share registry and tag, as released. */
export function helmValues(s: InstallSettings): Record<string, unknown> {
  const operator = splitImageRef(s.images.operator);
  const other = (ref: string) => {
    const image = splitImageRef(ref);
    if (image.registry !== operator.registry || image.tag !== operator.tag)
      throw new Error(
        `image ${ref}: the chart takes one registry and tag for all four images (${s.images.operator})`,
      );
    return { image: { repository: image.repository } };
  };
  return {
    replicas: 1,
    image: { ...operator, pullPolicy: s.imagePullPolicy },
    inferenceServer: other(s.images.inferenceServer),
    dataJobs: other(s.images.dataJobs),
    trainer: other(s.images.trainer),
    watchNamespace: s.watchNamespace,
    store: {
      endpoint: s.store.endpoint,
      bucket: s.store.bucket,
      // Applied beforehand, in the watched namespace too (the chart makes it in its own only).
      existingSecret: STORE_SECRET,
      workloadCredentials: s.workloadCredentials,
    },
    // Applied with kubectl beforehand: the test tooling applies the same CRDs, and Helm would
    // refuse to adopt objects it did not create.
    crds: { enabled: false },
    podAnnotations: { [IMAGE_HASH_ANNOTATION]: s.imageHash },
  };
}

/** The operator's Deployment: the chart names it after the release, config/ names it bosun-operator. */
export function operatorDeployment(s: InstallSettings, withChart: boolean): string {
  if (!withChart) return 'bosun-operator';
  const full = s.release.includes('bosun') ? s.release : `${s.release}-bosun`;
  return `${full}-operator`;
}

/** Every command that installs (or upgrades in place) Bosun with these settings. */
export function installCommands(s: InstallSettings, kubectl: Kubectl, helm?: string): Command[] {
  const k = (args: string[], extra: Partial<Command> = {}): Command => ({
    program: kubectl.program,
    args: [...kubectl.flags, ...args],
    ...extra,
  });
  const apply = ['apply', '--server-side', '--force-conflicts', `--field-manager=${s.release}`];
  const namespace = k([...apply, '-f', '-'], {
    input: [...[s.operatorNamespace, s.watchNamespace].map(namespaceDoc), ...storeSecrets(s)]
      .map((d) => stringify(d))
      .join('---\n'),
    why: `the operator's namespace and the one it watches (Pod Security "restricted"), the store Secret ${STORE_SECRET}`,
  });
  const withChart = helm !== undefined && chartAvailable();
  const wait = k(
    [
      '-n',
      s.operatorNamespace,
      'rollout',
      'status',
      `deployment/${operatorDeployment(s, withChart)}`,
      '--timeout=180s',
    ],
    { why: 'wait until the operator runs' },
  );
  const crds = [
    k([...apply, '-f', join(repoRoot, 'crds')], { why: 'the CRDs' }),
    k([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/datasets.bosun.dev',
      'crd/trainingruns.bosun.dev',
      'crd/modelversions.bosun.dev',
      'crd/inferenceservices.bosun.dev',
    ]),
  ];
  if (withChart) {
    return [
      ...crds,
      namespace,
      {
        program: helm as string,
        args: [
          'upgrade',
          '--install',
          s.release,
          CHART_DIR,
          '--namespace',
          s.operatorNamespace,
          '--create-namespace',
          '--values',
          '-',
          '--wait',
          '--timeout=5m',
          ...(kubectl.flags[0] === '--kubeconfig' ? ['--kubeconfig', kubectl.flags[1] as string] : []),
          ...(kubectl.flags[0] === '--context' ? ['--kube-context', kubectl.flags[1] as string] : []),
        ],
        input: stringify(helmValues(s)),
        why: 'install Bosun with its Helm chart (upgrade in place when installed)',
      },
      wait,
    ];
  }
  return [
    k([...apply, '-f', join(repoRoot, 'crds')], { why: 'the CRDs' }),
    namespace,
    k([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/datasets.bosun.dev',
      'crd/trainingruns.bosun.dev',
      'crd/modelversions.bosun.dev',
      'crd/inferenceservices.bosun.dev',
    ]),
    k([...apply, '-f', '-'], {
      input: renderFromConfig(s)
        .map((d) => stringify(d))
        .join('---\n'),
      why: `the operator in ${s.operatorNamespace}, watching ${s.watchNamespace} (from config/; the Helm chart has no templates yet)`,
    }),
    wait,
  ];
}
