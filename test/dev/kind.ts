// `make dev CLUSTER=kind`: the same demo on a kind cluster, for a machine with Docker. The images
// are built with `docker build` from their Dockerfiles under the same names the local node uses,
// loaded with `kind load docker-image`; MinIO and PostgreSQL run as Pods in their own namespace,
// reached from this machine through `kubectl port-forward`. The plan is a list of commands, so
// `--dry-run` prints every one of them; the project's own machines have no Docker engine, so only
// the dry run is checked there (test/unit/dev/kind.test.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { ArtifactStore } from '../../lib/store/client.ts';
import { KubeClient } from '../../operator/runtime/kube-client.ts';
import { discoverImages, imageRef } from '../cluster/local-images.ts';
import { cacheDir, repoRoot } from '../cluster/paths.ts';
import { type Command, execute, render } from './commands.ts';
import { type InstallSettings, installCommands, type Kubectl } from './install.ts';
import { lineageTable } from './lineage.ts';
import { FULL_DEMO, runDemo } from './loop.ts';
import { consoleProgress } from './progress.ts';

export const KIND_CLUSTER = 'bosun-dev';
export const INFRA_NAMESPACE = 'bosun-dev-infra';
/** Pinned images of the two stores; pulled by Docker on the user's machine, never here. */
export const MINIO_IMAGE = 'quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z';
export const POSTGRES_IMAGE = 'postgres:15-bookworm';
/** Local ports of the port-forwards the demo uses from this machine. */
export const FORWARDED = { minio: 19000, postgres: 15432 };

export interface KindCredentials {
  minioUser: string;
  minioPassword: string;
  postgresPassword: string;
}

/** Kept in the cache, so a second run talks to the stores the first one started. */
function credentials(dryRun: boolean): KindCredentials {
  if (dryRun) return { minioUser: 'bosun', minioPassword: '<generated>', postgresPassword: '<generated>' };
  const file = join(cacheDir(), 'dev', 'kind-credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as KindCredentials;
  const made = {
    minioUser: 'bosun',
    minioPassword: randomBytes(18).toString('base64url'),
    postgresPassword: randomBytes(18).toString('base64url'),
  };
  mkdirSync(join(cacheDir(), 'dev'), { recursive: true });
  writeFileSync(file, JSON.stringify(made), { mode: 0o600 });
  return made;
}

const KUBECTL: Kubectl = { program: 'kubectl', flags: ['--context', `kind-${KIND_CLUSTER}`] };

/** MinIO and PostgreSQL as single Pods with their Services, restricted like everything else. */
export function infraManifest(c: KindCredentials): string {
  const restricted = {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
  const server = (name: string, image: string, port: number, container: Record<string, unknown>) => [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: INFRA_NAMESPACE },
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            securityContext: { runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
            containers: [
              { name, image, ports: [{ containerPort: port }], securityContext: restricted, ...container },
            ],
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: INFRA_NAMESPACE },
      spec: { selector: { app: name }, ports: [{ port, targetPort: port }] },
    },
  ];
  const docs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: INFRA_NAMESPACE } },
    ...server('minio', MINIO_IMAGE, 9000, {
      args: ['server', '/data'],
      env: [
        { name: 'MINIO_ROOT_USER', value: c.minioUser },
        { name: 'MINIO_ROOT_PASSWORD', value: c.minioPassword },
      ],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
    }),
    ...server('postgres', POSTGRES_IMAGE, 5432, {
      env: [
        { name: 'POSTGRES_USER', value: 'bosun' },
        { name: 'POSTGRES_PASSWORD', value: c.postgresPassword },
        { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
      ],
      volumeMounts: [
        { name: 'data', mountPath: '/var/lib/postgresql/data' },
        { name: 'data', mountPath: '/var/run/postgresql', subPath: 'run' },
      ],
    }),
  ];
  return docs.map((d) => stringify(d)).join('---\n');
}

export function kindSettings(c: KindCredentials, helmHash: string): InstallSettings {
  return {
    release: 'bosun-dev',
    operatorNamespace: 'bosun-system',
    watchNamespace: 'bosun-demo',
    store: {
      endpoint: `http://minio.${INFRA_NAMESPACE}.svc:9000`,
      bucket: 'bosun',
      accessKey: c.minioUser,
      secretKey: c.minioPassword,
    },
    images: {
      operator: imageRef('operator'),
      inferenceServer: imageRef('inference-server'),
      dataJobs: imageRef('data-jobs'),
      trainer: imageRef('trainer'),
    },
    // kind load puts the images into the node's containerd: nothing is pulled.
    imagePullPolicy: 'Never',
    imageHash: helmHash,
    workloadCredentials: 'shared',
  };
}

/** Every command of `make dev CLUSTER=kind` before the demo, in order. */
export function kindCommands(c: KindCredentials, helm: string | undefined, imageHash: string): Command[] {
  const commands: Command[] = [
    {
      program: 'kind',
      args: ['create', 'cluster', '--name', KIND_CLUSTER, '--wait', '120s'],
      why: `a kind cluster (skipped when kind get clusters lists ${KIND_CLUSTER})`,
    },
  ];
  for (const image of discoverImages()) {
    const ref = imageRef(image.name);
    commands.push(
      {
        program: 'docker',
        args: ['build', '-f', relative(repoRoot, image.dockerfile), '-t', ref, '.'],
        why: `build ${image.name} from its Dockerfile (in the repository root)`,
      },
      { program: 'kind', args: ['load', 'docker-image', ref, '--name', KIND_CLUSTER] },
    );
  }
  commands.push(
    {
      program: KUBECTL.program,
      args: [...KUBECTL.flags, 'apply', '-f', '-'],
      input: infraManifest(c),
      why: `MinIO and PostgreSQL in ${INFRA_NAMESPACE}`,
    },
    {
      program: KUBECTL.program,
      args: [
        ...KUBECTL.flags,
        '-n',
        INFRA_NAMESPACE,
        'rollout',
        'status',
        'deployment/minio',
        'deployment/postgres',
        '--timeout=300s',
      ],
    },
    ...forwardCommands(),
    {
      program: 'node',
      args: ['-e', `/* create bucket bosun on http://127.0.0.1:${FORWARDED.minio} */`],
      why: 'the bucket (done in-process with the MinIO client)',
    },
    ...installCommands(kindSettings(c, imageHash), KUBECTL, helm),
  );
  return commands;
}

function forwardCommands(): Command[] {
  return (['minio', 'postgres'] as const).map((name) => ({
    program: KUBECTL.program,
    args: [
      ...KUBECTL.flags,
      '-n',
      INFRA_NAMESPACE,
      'port-forward',
      `service/${name}`,
      `${FORWARDED[name]}:${name === 'minio' ? 9000 : 5432}`,
    ],
    why: `reach ${name} from this machine (kept running in the background while the demo runs)`,
  }));
}

/** `make dev CLUSTER=kind`: runs the plan, then the demo; with dryRun, returns the plan's text. */
export async function kindUp(options: { dryRun: boolean; helm: string | undefined }): Promise<string[]> {
  const c = credentials(options.dryRun);
  const plan = kindCommands(c, options.helm, '<image ids>');
  if (options.dryRun)
    return [
      '# make dev CLUSTER=kind, as it would run (no Docker engine is needed to print this):',
      ...plan.map(render),
      '# then the demo (test/dev/loop.ts) against the forwarded ports, and the lineage table',
    ];
  const progress = consoleProgress(plan.length + 5);
  const forwards: ChildProcess[] = [];
  try {
    const clusters = await execute({ program: 'kind', args: ['get', 'clusters'] });
    for (const command of plan) {
      progress.step(render({ ...command, input: undefined, why: undefined }));
      if (
        command.program === 'kind' &&
        command.args[0] === 'create' &&
        clusters.split('\n').includes(KIND_CLUSTER)
      )
        continue;
      if (command.args.includes('port-forward')) {
        forwards.push(spawn(command.program, command.args, { stdio: 'ignore' }));
        await new Promise((r) => setTimeout(r, 2000));
        continue;
      }
      if (command.program === 'node') {
        const { ensureBucket } = await import('./cli.ts');
        await ensureBucket(
          { host: '127.0.0.1', port: FORWARDED.minio, accessKey: c.minioUser, secretKey: c.minioPassword },
          'bosun',
        );
        continue;
      }
      await execute(command);
    }
    const kc = new KubeConfig();
    kc.loadFromDefault();
    kc.setCurrentContext(`kind-${KIND_CLUSTER}`);
    const bucket = 'bosun';
    const result = await runDemo(
      {
        client: new KubeClient(kc),
        namespace: 'bosun-demo',
        bucket,
        table: 'digits_predictions',
        store: new ArtifactStore({
          endpoint: `http://127.0.0.1:${FORWARDED.minio}`,
          bucket,
          accessKey: c.minioUser,
          secretKey: c.minioPassword,
        }),
        database: {
          url: `postgres://bosun:${c.postgresPassword}@127.0.0.1:${FORWARDED.postgres}/bosun`,
          urlForPods: `postgres://bosun:${c.postgresPassword}@postgres.${INFRA_NAMESPACE}.svc:5432/bosun`,
        },
      },
      FULL_DEMO,
      progress,
    );
    return [
      lineageTable(
        {
          url: result.service.status?.url ?? '',
          serving: result.service.status?.primary?.modelVersion ?? '',
        },
        result.lineage,
      ),
      `Look around: kubectl --context kind-${KIND_CLUSTER} -n bosun-demo get bosun`,
      `Stop: make dev-down CLUSTER=kind (kind delete cluster --name ${KIND_CLUSTER})`,
    ];
  } finally {
    for (const f of forwards) f.kill('SIGTERM');
  }
}

export async function kindDown(options: { dryRun: boolean }): Promise<string[]> {
  const command: Command = { program: 'kind', args: ['delete', 'cluster', '--name', KIND_CLUSTER] };
  if (options.dryRun) return [render(command)];
  await execute(command);
  return [`deleted the kind cluster ${KIND_CLUSTER}`];
}
