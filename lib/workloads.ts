/**
 * The Kubernetes side of a deployment: the cdk8s charts that k8s/workload-charts.ts composes for it
 * (namespace and service accounts, Kafka on Strimzi or the MSK topic Job, producer fleet,
 * SparkApplication, monitoring), embedded in the EKS cluster with `addCdk8sChart`.
 *
 * `npx cdk8s synth` builds the same charts from the same Deployment; here CDK tokens (MSK bootstrap
 * brokers, bucket name, image URIs, region) flow into them as plain strings.
 */
import type * as eks from 'aws-cdk-lib/aws-eks-v2';
import { App as Cdk8sApp } from 'cdk8s';
import { Construct, type IDependable } from 'constructs';
import type { Deployment } from '../deploy/deployment.ts';
import { composeWorkloadCharts, type DeployTimeValues, type WorkloadChartRole } from '../k8s/index.ts';

/** Construct id of each chart's manifest in the stack (and so of its logical id). */
const MANIFEST_IDS: Readonly<Record<WorkloadChartRole, string>> = {
  namespace: 'Namespace',
  topic: 'TopicJob',
  kafka: 'Kafka',
  producers: 'Producers',
  spark: 'SparkJob',
  monitoring: 'Monitoring',
};

/** Properties of {@link Workloads}. */
export interface WorkloadsProps {
  /** The cluster the charts are applied to. */
  readonly cluster: eks.ICluster;
  /** What to deploy: the plan, the configuration and where Kafka runs. */
  readonly deployment: Deployment;
  /** The stack's tokens for the values only a deployment knows. */
  readonly deployTime: DeployTimeValues;
  /** What must exist before any workload: node groups, the Pod Identity associations. */
  readonly workloadPrerequisites: readonly IDependable[];
  /** What installs the SparkApplication CRD (the spark-operator Helm chart). */
  readonly sparkOperator: IDependable;
  /** What installs the PodMonitor and PrometheusRule CRDs (the kube-prometheus-stack Helm chart). */
  readonly monitoring: IDependable;
  /**
   * With Kafka on Strimzi: what installs its CRDs and operator (its Helm chart), and what the Kafka
   * pods need first (their node groups and the EBS CSI driver). Required exactly when the
   * deployment's Kafka choice is `strimzi`.
   */
  readonly strimzi?: { readonly operator: IDependable; readonly prerequisites: readonly IDependable[] };
}

/**
 * The composed charts, applied to the cluster in their order, each after the charts it follows and
 * after what AWS must provide first:
 * - MSK: namespace -> topic Job -> producers; namespace + spark-operator -> Spark;
 * - Strimzi: namespace + Strimzi operator + Kafka nodes -> Kafka (with its topic and users) -> producers;
 *   Kafka + spark-operator -> Spark;
 * - both: namespace + kube-prometheus-stack -> monitoring (PodMonitors, alert rules, dashboards).
 * CloudFormation cannot wait for the topic Job to *complete* (or the Kafka to be Ready), only for it
 * to be applied; see composeWorkloadCharts for why the order still helps.
 */
export class Workloads extends Construct {
  public readonly namespaceManifest: eks.KubernetesManifest;
  /** The topic Job (MSK only; with Strimzi a KafkaTopic in {@link kafkaManifest} creates the topic). */
  public readonly topicManifest?: eks.KubernetesManifest;
  /** The Strimzi Kafka, node pools, topic and users (Strimzi only). */
  public readonly kafkaManifest?: eks.KubernetesManifest;
  public readonly producerManifest: eks.KubernetesManifest;
  public readonly sparkJobManifest: eks.KubernetesManifest;
  /** The PodMonitors, alert rules and Grafana dashboards. */
  public readonly monitoringManifest: eks.KubernetesManifest;
  /** Bootstrap servers the producers and Spark use (a token with MSK). */
  public readonly bootstrapServers: string;

  public constructor(scope: Construct, id: string, props: WorkloadsProps) {
    super(scope, id);
    const strimzi = props.deployment.kafkaChoice === 'strimzi';
    if (strimzi !== (props.strimzi !== undefined)) {
      throw new Error(`Workloads: strimzi (operator and prerequisites) must be given exactly when Kafka is on Strimzi; kafkaChoice is ${JSON.stringify(props.deployment.kafkaChoice)}`);
    }
    const composed = composeWorkloadCharts(new Cdk8sApp(), props.deployment, props.deployTime);
    this.bootstrapServers = composed.bootstrapServers;

    const manifests = new Map<WorkloadChartRole, eks.KubernetesManifest>();
    for (const { role, chart, after } of composed.charts) {
      const manifest = props.cluster.addCdk8sChart(MANIFEST_IDS[role], chart);
      manifest.node.addDependency(...after.map((previous) => manifests.get(previous)!));
      manifests.set(role, manifest);
    }
    const manifest = (role: WorkloadChartRole): eks.KubernetesManifest => {
      const found = manifests.get(role);
      if (found === undefined) throw new Error(`Workloads: the chart composition has no ${role} chart`);
      return found;
    };

    this.namespaceManifest = manifest('namespace');
    this.namespaceManifest.node.addDependency(...props.workloadPrerequisites);
    this.topicManifest = manifests.get('topic');
    this.kafkaManifest = manifests.get('kafka');
    if (this.kafkaManifest !== undefined && props.strimzi !== undefined) {
      this.kafkaManifest.node.addDependency(props.strimzi.operator, ...props.strimzi.prerequisites);
    }
    this.producerManifest = manifest('producers');
    this.sparkJobManifest = manifest('spark');
    this.sparkJobManifest.node.addDependency(props.sparkOperator);
    this.monitoringManifest = manifest('monitoring');
    this.monitoringManifest.node.addDependency(props.monitoring);
  }
}
