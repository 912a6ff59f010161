/**
 * The names the charts and the CDK stack must agree on: node group labels and taints (lib/cluster.ts)
 * and the service accounts Pod Identity binds (lib/identities.ts).
 */
import { describe, expect, it } from 'vitest';
import { NODE_GROUP_LABELS, PRODUCER_SERVICE_ACCOUNT, SPARK_SERVICE_ACCOUNT, WORKLOAD_LABEL_KEY } from '../../k8s/index.ts';

describe('k8s and lib agree', () => {
  it('on the node group label key and values', async () => {
    const cluster = await import('../../lib/cluster.ts');
    expect(WORKLOAD_LABEL_KEY).toBe(cluster.WORKLOAD_LABEL_KEY);
    for (const [group, label] of Object.entries(NODE_GROUP_LABELS)) {
      expect(cluster.NODE_GROUP_WORKLOADS[group as keyof typeof NODE_GROUP_LABELS]).toStrictEqual({ labelValue: label, tainted: true });
    }
  });

  it('on the service account names', async () => {
    const identities = await import('../../lib/identities.ts');
    expect(PRODUCER_SERVICE_ACCOUNT).toBe(identities.PRODUCER_SERVICE_ACCOUNT);
    expect(SPARK_SERVICE_ACCOUNT).toBe(identities.SPARK_SERVICE_ACCOUNT);
  });
});
