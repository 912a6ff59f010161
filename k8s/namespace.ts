/**
 * The namespace every Flight Data Analytics workload runs in: the producers, the topic Job and the Spark job.
 */
import { Chart, type ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { PRODUCER_SERVICE_ACCOUNT, SPARK_SERVICE_ACCOUNT, WORKLOAD_NAMESPACE } from '../deploy/names.ts';
import { versions } from '../deploy/versions.ts';

/**
 * A Namespace that enforces the Kubernetes "restricted" Pod Security Standard, so a pod that runs as
 * root, keeps Linux capabilities or lacks a seccomp profile is rejected at admission instead of running.
 * The policy version is pinned to the cluster's Kubernetes minor (`versions.kubernetes`) so an upgrade
 * does not silently change what is allowed.
 */
export class FlightAnalyticsNamespace extends kplus.Namespace {
  public constructor(scope: Construct, id: string) {
    const policyVersion = `v${versions.kubernetes}`;
    super(scope, id, {
      metadata: {
        name: WORKLOAD_NAMESPACE,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': policyVersion,
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': policyVersion,
        },
      },
    });
  }
}

/** Name of the chart (and of its manifest, dist/NNNN-flight-analytics-namespace.k8s.yaml). */
export const NAMESPACE_CHART_NAME = 'flight-analytics-namespace';

/** Properties of a {@link FlightAnalyticsNamespaceChart}. */
export interface FlightAnalyticsNamespaceChartProps extends ChartProps {
  /** Service account of the producers and the topic Job. @default 'flight-producer' */
  readonly producerServiceAccountName?: string;
  /** Service account of the Spark driver and executors. @default 'flight-analytics-spark' */
  readonly sparkServiceAccountName?: string;
}

/**
 * The namespace and the workloads' service accounts, applied before the charts whose pods use them
 * (those charts declare a dependency on this one). The service accounts are the identities EKS Pod
 * Identity associations name, so they live with the namespace rather than with one workload.
 */
export class FlightAnalyticsNamespaceChart extends Chart {
  public readonly flightAnalyticsNamespace: FlightAnalyticsNamespace;
  public readonly producerServiceAccount: kplus.ServiceAccount;
  public readonly sparkServiceAccount: kplus.ServiceAccount;

  public constructor(scope: Construct, id: string, props: FlightAnalyticsNamespaceChartProps = {}) {
    super(scope, id, props);
    this.flightAnalyticsNamespace = new FlightAnalyticsNamespace(this, 'Namespace');
    const labels = { 'app.kubernetes.io/part-of': WORKLOAD_NAMESPACE };
    // The producer never calls the Kubernetes API: no token.
    this.producerServiceAccount = new kplus.ServiceAccount(this, 'ProducerServiceAccount', {
      metadata: { name: props.producerServiceAccountName ?? PRODUCER_SERVICE_ACCOUNT, namespace: WORKLOAD_NAMESPACE, labels },
      automountToken: false,
    });
    // The Spark driver creates and watches its executor pods through the API: it needs the token.
    this.sparkServiceAccount = new kplus.ServiceAccount(this, 'SparkServiceAccount', {
      metadata: { name: props.sparkServiceAccountName ?? SPARK_SERVICE_ACCOUNT, namespace: WORKLOAD_NAMESPACE, labels },
      automountToken: true,
    });
    this.producerServiceAccount.node.addDependency(this.flightAnalyticsNamespace);
    this.sparkServiceAccount.node.addDependency(this.flightAnalyticsNamespace);
  }
}
