import { Lazy } from 'aws-cdk-lib';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRODUCER_IMAGE, POD_INDEX_LABEL, ProducerChart, type ProducerChartProps } from '../../k8s/producer-chart.ts';
import { testPlan } from '../deploy/fixtures.ts';
import { type Manifest, manifestOfKind, MSK_IAM, TEST_BOOTSTRAP } from './fixtures.ts';

const requiredProps: ProducerChartProps = { bootstrapServers: TEST_BOOTSTRAP, plan: testPlan(), kafkaSecurity: MSK_IAM };

function synthChart(props: Partial<ProducerChartProps> = {}): Manifest[] {
  return Testing.synth(new ProducerChart(Testing.app(), 'flight-producer', { ...requiredProps, ...props }));
}

function podSpec(props: Partial<ProducerChartProps> = {}): Manifest {
  return manifestOfKind(synthChart(props), 'StatefulSet').spec.template.spec;
}

describe('ProducerChart', () => {
  it('emits the ConfigMap, headless Service, StatefulSet and PodDisruptionBudget in flight-analytics', () => {
    expect(synthChart().map((m) => [m.kind, m.metadata.name, m.metadata.namespace])).toStrictEqual([
      ['ConfigMap', 'flight-producer', 'flight-analytics'],
      ['Service', 'flight-producer', 'flight-analytics'],
      ['StatefulSet', 'flight-producer', 'flight-analytics'],
      ['PodDisruptionBudget', 'flight-producer', 'flight-analytics'],
    ]);
  });

  it('runs the plan\'s replicas, which together send at least the target rate', () => {
    // GIVEN the 1.2 B/h plan
    const plan = testPlan();
    // WHEN the chart is synthesised from it
    const manifests = synthChart({ plan });
    const replicas = manifestOfKind(manifests, 'StatefulSet').spec.replicas;
    const ratePerPod = Number(manifestOfKind(manifests, 'ConfigMap').data.PRODUCER_RATE);
    // THEN the replicas are the plan's, and replicas x measured per-pod rate covers the target
    expect(replicas).toBe(plan.producer.replicas.value);
    expect(replicas * plan.input.producerEventsPerSecondPerPod).toBeGreaterThanOrEqual(plan.rates.targetEventsPerSecond);
    // AND each pod is paced to its share of the target, which it can sustain
    expect(replicas * ratePerPod).toBeGreaterThanOrEqual(plan.rates.targetEventsPerSecond);
    expect(ratePerPod).toBeLessThanOrEqual(plan.input.producerEventsPerSecondPerPod);
  });

  it('gives every pod a distinct worker id: its StatefulSet ordinal, through the downward API', () => {
    const container = podSpec().containers[0];
    expect(container.env).toStrictEqual([
      { name: 'PRODUCER_WORKER_ID', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${POD_INDEX_LABEL}']` } } },
    ]);
  });

  it('configures the producer through PRODUCER_* variables from its ConfigMap', () => {
    const manifests = synthChart({ topic: 'events-v2', awsRegion: 'eu-west-1', extraEnvironment: { PRODUCER_COMPRESSION: 'zstd' } });
    expect(manifestOfKind(manifests, 'ConfigMap').data).toStrictEqual({
      PRODUCER_AWS_REGION: 'eu-west-1',
      PRODUCER_BOOTSTRAP: TEST_BOOTSTRAP,
      PRODUCER_COMPRESSION: 'zstd',
      PRODUCER_LOG_FORMAT: 'json',
      // the probes and Prometheus reach the pod IP, not loopback
      PRODUCER_METRICS_HOST: '0.0.0.0',
      PRODUCER_METRICS_PORT: '9464',
      PRODUCER_RATE: '22223',
      PRODUCER_SECURITY: 'msk-iam',
      PRODUCER_TOPIC: 'events-v2',
      // one worker per pod, so worker ids stay one per pod ordinal
      PRODUCER_WORKERS: '1',
    });
    const container = manifestOfKind(manifests, 'StatefulSet').spec.template.spec.containers[0];
    expect(container.args).toStrictEqual(['produce']);
    expect(container.envFrom).toStrictEqual([{ configMapRef: { name: 'flight-producer' } }]);
  });

  it('rolls the pods when the configuration changes', () => {
    const hash = (props: Partial<ProducerChartProps>) =>
      manifestOfKind(synthChart(props), 'StatefulSet').spec.template.metadata.annotations['flight-analytics/config-sha256'];
    expect(hash({ topic: 'a' })).not.toBe(hash({ topic: 'b' }));
  });

  it('hashes the configuration the same way however CDK numbered its tokens (deterministic synth)', () => {
    // GIVEN bootstrap servers that are an unresolved CDK token, created after a different number of
    // other tokens each time (as in two syntheses of the stack)
    const hashWithTokenAfter = (earlierTokens: number): string => {
      for (let i = 0; i < earlierTokens; i++) Lazy.string({ produce: () => 'other' });
      const bootstrapServers = Lazy.string({ produce: () => 'b-1.msk:9098' });
      return manifestOfKind(synthChart({ bootstrapServers }), 'StatefulSet').spec.template.metadata.annotations[
        'flight-analytics/config-sha256'
      ];
    };
    // WHEN / THEN the pod annotation is the same
    expect(hashWithTokenAfter(0)).toBe(hashWithTokenAfter(5));
  });

  it('probes /healthz and /readyz on the metrics port, which Prometheus scrapes', () => {
    const manifest = manifestOfKind(synthChart(), 'StatefulSet');
    const container = manifest.spec.template.spec.containers[0];
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 9464 });
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 9464 });
    expect(manifest.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9464',
      'prometheus.io/path': '/metrics',
    });
  });

  it('runs as non-root 10001 with a read-only root, no escalation, no capabilities and RuntimeDefault seccomp', () => {
    const pod = podSpec();
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001 });
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
    expect(pod.volumes).toStrictEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
  });

  it('runs on the producer node group, spread evenly over zones, with time to flush on shutdown', () => {
    const pod = podSpec();
    expect(pod.nodeSelector).toStrictEqual({ 'flight-analytics/workload': 'producers' });
    expect(pod.tolerations).toStrictEqual([{ key: 'flight-analytics/workload', operator: 'Equal', value: 'producers', effect: 'NoSchedule' }]);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' });
    expect(pod.terminationGracePeriodSeconds).toBe(60);
    expect(pod.serviceAccountName).toBe('flight-producer');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('lets voluntary disruptions take one producer at a time', () => {
    expect(manifestOfKind(synthChart(), 'PodDisruptionBudget').spec).toStrictEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'flight-producer', 'app.kubernetes.io/part-of': 'flight-analytics' } },
    });
  });

  it('uses the image, replicas and resources it is given', () => {
    const manifest = manifestOfKind(
      synthChart({ replicas: 6, image: 'repo/producer@sha256:abc', resources: { cpuRequestMillis: 1500, cpuLimitMillis: 1500, memoryMebibytes: 768 } }),
      'StatefulSet',
    );
    expect(manifest.spec.replicas).toBe(6);
    const container = manifest.spec.template.spec.containers[0];
    expect(container.image).toBe('repo/producer@sha256:abc');
    expect(container.resources).toStrictEqual({ requests: { cpu: '1500m', memory: '768Mi' }, limits: { cpu: '1500m', memory: '768Mi' } });
    expect(podSpec().containers[0].image).toBe(DEFAULT_PRODUCER_IMAGE);
  });

  it.each<[string, Partial<ProducerChartProps>, string]>([
    ['replicas < 1', { replicas: 0 }, 'ProducerChart: replicas must be a whole number >= 1, got 0'],
    ['fractional replicas', { replicas: 1.5 }, 'ProducerChart: replicas must be a whole number >= 1, got 1.5'],
    ['empty bootstrapServers', { bootstrapServers: '' }, 'ProducerChart: bootstrapServers must be a non-empty string without whitespace, got ""'],
    ['empty topic', { topic: ' ' }, 'ProducerChart: topic must be a non-empty string without whitespace, got " "'],
    ['negative rate', { eventsPerSecondPerPod: -1 }, 'ProducerChart: eventsPerSecondPerPod must be a whole number >= 0 (0 = unlimited), got -1'],
    ['CPU limit below request', { resources: { cpuRequestMillis: 2000, cpuLimitMillis: 500 } }, 'ProducerChart: resources.cpuLimitMillis (500) must be >= resources.cpuRequestMillis (2000)'],
    ['a chart-owned variable in extraEnvironment', { extraEnvironment: { PRODUCER_WORKER_ID: '1' } }, 'ProducerChart: extraEnvironment must not set PRODUCER_WORKER_ID'],
    ['more workers per pod', { extraEnvironment: { PRODUCER_WORKERS: '4' } }, 'ProducerChart: extraEnvironment must not set PRODUCER_WORKERS'],
    ['unknown security', { kafkaSecurity: { kind: 'plaintext' } as never }, 'ProducerChart: kafkaSecurity must be {kind: "msk-iam" | "mtls"}, got {"kind":"plaintext"}'],
  ])('throws naming the prop and value for %s', (_case, props, message) => {
    expect(() => synthChart(props)).toThrow(message);
  });

  it('matches the snapshot', () => {
    expect(synthChart()).toMatchSnapshot();
  });
});
