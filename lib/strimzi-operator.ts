/**
 * The Strimzi operator (`-c kafka=strimzi`): turns the Kafka, KafkaNodePool, KafkaTopic and
 * KafkaUser objects of k8s/strimzi-kafka-chart.ts into a running KRaft cluster.
 */
import { Duration } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { NODE_GROUPS, WORKLOAD_LABEL_KEY } from '../deploy/names.ts';
import { versions } from '../deploy/versions.ts';

/** Helm repository of the Strimzi charts. */
export const STRIMZI_REPOSITORY = 'https://strimzi.io/charts/';
/** Namespace the cluster operator runs in. */
export const STRIMZI_OPERATOR_NAMESPACE = 'strimzi';

/** Properties of a {@link StrimziOperator}. */
export interface StrimziOperatorProps {
  readonly cluster: eks.ICluster;
  /** Namespace(s) whose Kafka objects the operator manages; they must exist before it is installed (it binds roles in them). */
  readonly watchNamespaces: readonly string[];
}

/**
 * The `strimzi-kafka-operator` Helm release (chart version from versions.json), which also installs
 * the CRDs, so anything that creates a Kafka object must depend on {@link chart}. The operator runs on
 * the system nodes, watches only the workload namespace, and makes every Kafka pod it creates meet
 * the *restricted* Pod Security Standard that namespace enforces (`STRIMZI_POD_SECURITY_PROVIDER_CLASS`).
 */
export class StrimziOperator extends Construct {
  public readonly chart: eks.HelmChart;

  public constructor(scope: Construct, id: string, props: StrimziOperatorProps) {
    super(scope, id);
    if (props.watchNamespaces.length === 0) {
      throw new Error('StrimziOperator: watchNamespaces must name at least one namespace');
    }
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      chart: 'strimzi-kafka-operator',
      repository: STRIMZI_REPOSITORY,
      version: versions.strimziChart,
      release: 'strimzi',
      namespace: STRIMZI_OPERATOR_NAMESPACE,
      createNamespace: true,
      wait: true,
      timeout: Duration.minutes(10),
      values: {
        watchNamespaces: [...props.watchNamespaces],
        nodeSelector: { [WORKLOAD_LABEL_KEY]: NODE_GROUPS.system.label },
        extraEnvs: [{ name: 'STRIMZI_POD_SECURITY_PROVIDER_CLASS', value: 'restricted' }],
      },
    });
  }
}
