import { Testing, Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { FLIGHT_ANALYTICS_NAMESPACE } from '../../k8s/namespace.ts';
import { DEFAULT_PRODUCER_IMAGE, ProducerChart, type ProducerChartProps } from '../../k8s/producer-chart.ts';
import { versions } from '../../lib/versions.ts';

/** The kubectl Lambda's payload limit when CDK applies a manifest to EKS (aws-cdk #19165). */
const KUBECTL_PAYLOAD_LIMIT_BYTES = 262_144;

const requiredProps: ProducerChartProps = { bootstrapServers: 'broker-1:9098,broker-2:9098', topic: 'flight-events' };

// Manifests are plain JSON-like objects; `any` keeps the assertions readable.
type Manifest = any;

function synthChart(props: Partial<ProducerChartProps> = {}): Manifest[] {
  const chart = new ProducerChart(Testing.app(), 'flight-producer', { ...requiredProps, ...props });
  return Testing.synth(chart);
}

function manifestOfKind(manifests: Manifest[], kind: string): Manifest {
  const matching = manifests.filter((m) => m.kind === kind);
  expect(matching).toHaveLength(1);
  return matching[0];
}

describe('ProducerChart', () => {
  it('emits the Namespace first, then the ServiceAccount and the Deployment inside it', () => {
    // GIVEN the required props only
    // WHEN the chart is synthesised
    const manifests = synthChart();
    // THEN the objects come in an order `kubectl apply` can create them in
    expect(manifests.map((m) => [m.kind, m.metadata.name, m.metadata.namespace])).toStrictEqual([
      ['Namespace', FLIGHT_ANALYTICS_NAMESPACE, undefined],
      ['ServiceAccount', 'flight-producer', FLIGHT_ANALYTICS_NAMESPACE],
      ['Deployment', 'flight-producer', FLIGHT_ANALYTICS_NAMESPACE],
    ]);
  });

  it('enforces the restricted Pod Security Standard on the namespace, pinned to the cluster version', () => {
    const namespace = manifestOfKind(synthChart(), 'Namespace');
    expect(namespace.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': `v${versions.kubernetes}`,
    });
  });

  it('runs the container as non-root 10001 with a read-only root, no escalation, no capabilities and RuntimeDefault seccomp', () => {
    // GIVEN the default chart
    // WHEN it is synthesised
    const pod = manifestOfKind(synthChart(), 'Deployment').spec.template.spec;
    // THEN the pod and its container are locked down
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 });
    expect(pod.containers).toHaveLength(1);
    expect(pod.containers[0].securityContext).toStrictEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // AND only /tmp is writable, through a size-limited emptyDir
    expect(pod.containers[0].volumeMounts).toStrictEqual([{ mountPath: '/tmp', name: 'tmp' }]);
    expect(pod.volumes).toStrictEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it('runs as the flight-producer ServiceAccount without a Kubernetes API token', () => {
    const manifests = synthChart();
    const pod = manifestOfKind(manifests, 'Deployment').spec.template.spec;
    expect(pod.serviceAccountName).toBe('flight-producer');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(manifestOfKind(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(false);
  });

  it('passes the bootstrap servers and topic as produce arguments, with the default local image', () => {
    const container = manifestOfKind(synthChart(), 'Deployment').spec.template.spec.containers[0];
    expect(container.args).toStrictEqual(['produce', '--bootstrap', 'broker-1:9098,broker-2:9098', '--topic', 'flight-events']);
    expect(container.image).toBe(DEFAULT_PRODUCER_IMAGE);
    expect(container.imagePullPolicy).toBe('IfNotPresent');
  });

  it('sets the replicas, image and resources it is given', () => {
    // GIVEN explicit replicas, image and resources
    const deployment = manifestOfKind(
      synthChart({
        replicas: 6,
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/flight-producer@sha256:abc',
        resources: { cpuRequestMillis: 1500, cpuLimitMillis: 1500, memoryMebibytes: 768 },
      }),
      'Deployment',
    );
    // THEN the Deployment uses them
    expect(deployment.spec.replicas).toBe(6);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/flight-producer@sha256:abc');
    expect(container.resources).toStrictEqual({
      requests: { cpu: '1500m', memory: '768Mi' },
      limits: { cpu: '1500m', memory: '768Mi' },
    });
  });

  it('selects its pods by stable app.kubernetes.io labels', () => {
    const deployment = manifestOfKind(synthChart(), 'Deployment');
    const labels = { 'app.kubernetes.io/name': 'flight-producer', 'app.kubernetes.io/part-of': 'flight-analytics' };
    expect(deployment.spec.selector).toStrictEqual({ matchLabels: labels });
    expect(deployment.spec.template.metadata.labels).toMatchObject(labels);
  });

  it.each<[string, Partial<ProducerChartProps>, string]>([
    ['replicas < 1', { replicas: 0 }, 'ProducerChart: replicas must be a whole number >= 1, got 0'],
    ['fractional replicas', { replicas: 1.5 }, 'ProducerChart: replicas must be a whole number >= 1, got 1.5'],
    ['NaN replicas', { replicas: Number.NaN }, 'ProducerChart: replicas must be a whole number >= 1, got NaN'],
    ['empty bootstrapServers', { bootstrapServers: '' }, 'ProducerChart: bootstrapServers must be a non-empty string without whitespace, got ""'],
    ['bootstrapServers with spaces', { bootstrapServers: 'a:9092, b:9092' }, 'ProducerChart: bootstrapServers must be a non-empty string without whitespace, got "a:9092, b:9092"'],
    ['empty topic', { topic: ' ' }, 'ProducerChart: topic must be a non-empty string without whitespace, got " "'],
    ['empty image', { image: '' }, 'ProducerChart: image must be a non-empty string without whitespace, got ""'],
    ['zero memory', { resources: { memoryMebibytes: 0 } }, 'ProducerChart: resources.memoryMebibytes must be a whole number >= 1, got 0'],
    [
      'CPU limit below request',
      { resources: { cpuRequestMillis: 2000, cpuLimitMillis: 500 } },
      'ProducerChart: resources.cpuLimitMillis (500) must be >= resources.cpuRequestMillis (2000)',
    ],
  ])('throws naming the prop and value for %s', (_case, props, message) => {
    expect(() => synthChart(props)).toThrow(message);
  });

  it('stays far below the kubectl payload limit, so CDK can apply it to EKS in one piece', () => {
    const bytes = Buffer.byteLength(Yaml.stringify(...synthChart()), 'utf8');
    expect(bytes).toBeLessThan(KUBECTL_PAYLOAD_LIMIT_BYTES / 10);
  });

  it('matches the snapshot', () => {
    expect(synthChart()).toMatchSnapshot();
  });
});
