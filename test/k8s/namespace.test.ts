import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { versions } from '../../deploy/versions.ts';
import { FlightAnalyticsNamespaceChart } from '../../k8s/namespace.ts';
import { manifestOfKind } from './fixtures.ts';

describe('FlightAnalyticsNamespaceChart', () => {
  const manifests = () => Testing.synth(new FlightAnalyticsNamespaceChart(Testing.app(), 'flight-analytics-namespace'));

  it('emits the Namespace first, then the producer and Spark service accounts', () => {
    expect(manifests().map((m) => [m.kind, m.metadata.name, m.automountServiceAccountToken])).toStrictEqual([
      ['Namespace', 'flight-analytics', undefined],
      ['ServiceAccount', 'flight-producer', false],
      // The driver creates its executors through the API server, so it keeps its token.
      ['ServiceAccount', 'flight-analytics-spark', true],
    ]);
  });

  it('enforces the restricted Pod Security Standard, pinned to the cluster version', () => {
    expect(manifestOfKind(manifests(), 'Namespace').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': `v${versions.kubernetes}`,
    });
  });
});
