/**
 * The producer pods and the topic Job call the producer CLI through arguments and PRODUCER_*
 * variables. Feed exactly what the manifests give a container to the producer's own parser, so a
 * renamed flag or variable fails here rather than in a CrashLoopBackOff.
 */
import { describe, expect, it } from 'vitest';
import { parseProducerConfig } from '../../producer/src/config.ts';
import { type Manifest, appCharts, manifestOfKind, manifestsOf, TEST_BOOTSTRAP } from './fixtures.ts';

/** The environment a container sees: its ConfigMap (envFrom) and its literal env entries. */
function containerEnvironment(container: Manifest, configMaps: Manifest[], podIndex: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    Object.assign(env, configMaps.find((cm) => cm.metadata.name === source.configMapRef.name).data);
  }
  for (const entry of container.env ?? []) {
    // The only fieldRef is the pod-index label; the kubelet fills it in.
    env[entry.name] = entry.value ?? podIndex;
  }
  return env;
}

describe('the manifests speak the producer CLI', () => {
  it('each producer pod parses as `produce` with its own worker id, the metrics server on the probed port', () => {
    const manifests = manifestsOf(appCharts()['flight-producer']!);
    const configMaps = manifests.filter((m) => m.kind === 'ConfigMap');
    const container = manifestOfKind(manifests, 'StatefulSet').spec.template.spec.containers[0];
    const workerIds = ['0', '7'].map((podIndex) => {
      const config = parseProducerConfig(container.args, containerEnvironment(container, configMaps, podIndex), 0);
      if (config.command !== 'produce') throw new Error(`expected produce, got ${config.command}`);
      expect(config.bootstrapBrokers.join(',')).toBe(TEST_BOOTSTRAP);
      expect(config.metricsPort).toBe(container.readinessProbe.httpGet.port);
      expect(config.metricsHost).toBe('0.0.0.0');
      expect(config.workers).toBe(1);
      expect(config.rate).toBeGreaterThan(0);
      return config.workerId;
    });
    expect(workerIds).toStrictEqual([0, 7]);
  });

  it('the topic Job parses as `topics` with the plan\'s partitions, replication and retention', () => {
    const job = manifestOfKind(manifestsOf(appCharts()['flight-events-topic']!), 'Job');
    const container = job.spec.template.spec.containers[0];
    const config = parseProducerConfig(container.args, containerEnvironment(container, [], ''), 0);
    if (config.command !== 'topics') throw new Error(`expected topics, got ${config.command}`);
    expect(config.partitions).toBe(132);
    expect(config.replicationFactor).toBe(3);
    expect(config.topicConfigs).toMatchObject({ 'retention.ms': String(24 * 3_600_000) });
  });
});
