/**
 * The kubeflow spark-operator: turns SparkApplication objects into driver and executor pods.
 */
import { Duration } from 'aws-cdk-lib';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { NODE_GROUPS, SPARK_SERVICE_ACCOUNT, WORKLOAD_LABEL_KEY } from '../deploy/names.ts';
import { versions } from '../deploy/versions.ts';

/** Helm repository of the kubeflow spark-operator chart. */
export const SPARK_OPERATOR_REPOSITORY = 'https://kubeflow.github.io/spark-operator';
/** Namespace the operator itself runs in. */
export const SPARK_OPERATOR_NAMESPACE = 'spark-operator';

/** Properties of a {@link SparkOperator}. */
export interface SparkOperatorProps {
  readonly cluster: eksv2.ICluster;
  /** Namespace(s) whose SparkApplications the operator acts on (the job namespace). */
  readonly jobNamespaces: readonly string[];
}

/**
 * The spark-operator Helm release (chart version from versions.json), watching only the job
 * namespace, with its controller and webhook on the system node group. The chart installs the
 * SparkApplication CRDs, so anything that creates a SparkApplication must depend on {@link chart}.
 */
export class SparkOperator extends Construct {
  public readonly chart: eksv2.HelmChart;

  public constructor(scope: Construct, id: string, props: SparkOperatorProps) {
    super(scope, id);
    if (props.jobNamespaces.length === 0) {
      throw new Error('SparkOperator: jobNamespaces must name at least one namespace');
    }
    const onSystemNodes = { nodeSelector: { [WORKLOAD_LABEL_KEY]: NODE_GROUPS.system.label } };
    this.chart = new eksv2.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      chart: 'spark-operator',
      repository: SPARK_OPERATOR_REPOSITORY,
      version: versions.sparkOperatorChart,
      release: 'spark-operator',
      namespace: SPARK_OPERATOR_NAMESPACE,
      createNamespace: true,
      wait: true,
      timeout: Duration.minutes(10),
      values: {
        spark: {
          jobNamespaces: [...props.jobNamespaces],
          // The k8s charts own the Spark service account (it carries the Pod Identity association);
          // the chart's RBAC binds the driver permissions to it by name.
          serviceAccount: { create: false, name: SPARK_SERVICE_ACCOUNT },
          rbac: { create: true },
        },
        controller: onSystemNodes,
        webhook: { enable: true, ...onSystemNodes },
      },
    });
  }
}
