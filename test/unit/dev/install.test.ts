import { describe, expect, it } from 'vitest';
import { render } from '../../dev/commands.ts';
import {
  helmValues,
  type InstallSettings,
  installCommands,
  operatorDeployment,
  renderFromConfig,
  splitImageRef,
} from '../../dev/install.ts';

const settings: InstallSettings = {
  release: 'bosun-dev',
  operatorNamespace: 'ops',
  watchNamespace: 'demo',
  store: { endpoint: 'http://10.0.0.1:9000', bucket: 'bosun', accessKey: 'ak', secretKey: 'sk' },
  images: {
    operator: 'localhost/bosun/operator:local',
    inferenceServer: 'localhost/bosun/inference-server:local',
    dataJobs: 'localhost/bosun/data-jobs:local',
    trainer: 'localhost/bosun/trainer:local',
  },
  imagePullPolicy: 'Never',
  imageHash: 'abc',
  workloadCredentials: 'shared',
};

describe('splitImageRef', () => {
  it('splits registry, repository and tag as Docker reads them', () => {
    expect(splitImageRef('localhost/bosun/operator:local')).toEqual({
      registry: 'localhost',
      repository: 'bosun/operator',
      tag: 'local',
    });
    expect(splitImageRef('quay.io:443/a/b:1.0')).toEqual({
      registry: 'quay.io:443',
      repository: 'a/b',
      tag: '1.0',
    });
    expect(splitImageRef('bosun/operator:0.1.0')).toEqual({
      registry: '',
      repository: 'bosun/operator',
      tag: '0.1.0',
    });
    expect(() => splitImageRef('localhost:5000/bosun/operator')).toThrow('has no tag');
  });
});

describe('helmValues', () => {
  it('gives the chart one registry and tag, the watched namespace, the store and no CRDs', () => {
    expect(helmValues(settings)).toMatchObject({
      replicas: 1,
      image: { registry: 'localhost', repository: 'bosun/operator', tag: 'local', pullPolicy: 'Never' },
      trainer: { image: { repository: 'bosun/trainer' } },
      watchNamespace: 'demo',
      store: {
        endpoint: 'http://10.0.0.1:9000',
        existingSecret: 'bosun-store',
        workloadCredentials: 'shared',
      },
      crds: { enabled: false },
      podAnnotations: { 'bosun.dev/image-hash': 'abc' },
    });
  });

  it('refuses images of different tags, which the chart cannot express', () => {
    expect(() =>
      helmValues({ ...settings, images: { ...settings.images, trainer: 'localhost/bosun/trainer:other' } }),
    ).toThrow('one registry and tag');
  });
});

describe('installCommands', () => {
  const kubectl = { program: 'kubectl', flags: ['--kubeconfig', '/k'] };

  it('with the chart: CRDs and namespaces by kubectl, then helm upgrade --install, then a wait', () => {
    const text = installCommands(settings, kubectl, '/bin/helm').map(render).join('\n');
    expect(text).toContain('/bin/helm upgrade --install bosun-dev');
    expect(text).toContain('--namespace ops --create-namespace --values - --wait');
    expect(text).toContain('rollout status deployment/bosun-dev-operator');
    expect(text.indexOf('crds')).toBeLessThan(text.indexOf('helm upgrade'));
  });

  it('puts the store Secret in the watched namespace too under shared credentials', () => {
    const text = installCommands(settings, kubectl, '/bin/helm').map(render).join('\n');
    expect(text.match(/name: bosun-store\n\s+namespace: (\S+)/g)?.map((m) => m.split(' ').pop())).toEqual([
      'ops',
      'demo',
    ]);
    const sts = installCommands({ ...settings, workloadCredentials: 'sts' }, kubectl, '/bin/helm')
      .map(render)
      .join('\n');
    expect(sts.match(/name: bosun-store\n\s+namespace: (\S+)/g)).toHaveLength(1);
  });

  it('without helm: the objects of config/, moved and bound to the watched namespace only', () => {
    const docs = renderFromConfig(settings);
    expect(docs.find((d) => d.kind === 'ClusterRoleBinding')).toBeUndefined();
    expect(docs.find((d) => d.kind === 'RoleBinding' && d.metadata.namespace === 'demo')).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'bosun-operator' },
      subjects: [{ name: 'bosun-operator', namespace: 'ops' }],
    });
    const deployment = docs.find((d) => d.kind === 'Deployment') as unknown as {
      metadata: { namespace: string };
      spec: { replicas: number; template: { spec: { containers: { image: string; args: string[] }[] } } };
    };
    expect(deployment.metadata.namespace).toBe('ops');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.template.spec.containers[0]?.image).toBe('localhost/bosun/operator:local');
    expect(deployment.spec.template.spec.containers[0]?.args).toContain('--watch-namespace=demo');
    expect(deployment.spec.template.spec.containers[0]?.args).toContain('--workload-credentials=shared');
    expect(
      docs.every((d) => d.metadata.namespace === undefined || ['ops', 'demo'].includes(d.metadata.namespace)),
    ).toBe(true);
    expect(operatorDeployment(settings, false)).toBe('bosun-operator');
    const text = installCommands(settings, kubectl).map(render).join('\n');
    expect(text).not.toContain('helm');
    expect(text).toContain('rollout status deployment/bosun-operator');
  });
});
