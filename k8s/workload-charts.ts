/**
 * The one place that decides which charts a deployment applies, in which order, and how each
 * workload authenticates to Kafka. k8s/main.ts (`cdk8s synth`, which writes dist/) and
 * lib/workloads.ts (`cdk deploy`, through addCdk8sChart) both build their charts here, from the same
 * Deployment, so the manifests a reviewer reads in dist/ are the ones the stack applies.
 */
import type { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import type { KafkaChoice } from '../deploy/config.ts';
import type { Deployment } from '../deploy/deployment.ts';
import { PRODUCER_SERVICE_ACCOUNT, SPARK_SERVICE_ACCOUNT } from '../deploy/names.ts';
import { mskBrokerType } from '../deploy/plan/instance-types.ts';
import type { KafkaSecurity } from './kafka-security.ts';
import { MONITORING_CHART_NAME, MonitoringChart } from './monitoring-chart.ts';
import { FlightAnalyticsNamespaceChart, NAMESPACE_CHART_NAME } from './namespace.ts';
import { PRODUCER_NAME, ProducerChart } from './producer-chart.ts';
import { SPARK_APPLICATION_NAME, SparkJobChart } from './spark-job-chart.ts';
import { brokerResourcesForNode, STRIMZI_KAFKA_CHART_NAME, StrimziKafkaChart, strimziBootstrapServers, strimziClientTls } from './strimzi-kafka-chart.ts';
import { TOPIC_JOB_NAME, TopicChart } from './topic-chart.ts';

/**
 * The values only a deployment knows. In the CDK stack they are tokens (MSK's brokers, the bucket,
 * the image URIs, the region); `cdk8s synth` shows placeholders unless told (see k8s/main.ts).
 */
export interface DeployTimeValues {
  /** Bootstrap servers of Amazon MSK (SASL/IAM over TLS); needed with MSK only, Strimzi's in-cluster address is fixed. */
  readonly mskBootstrapServers?: string;
  /** The analytics bucket: checkpoints, output and quarantine. */
  readonly bucketName: string;
  readonly producerImage: string;
  readonly sparkJobImage: string;
  /** Region of MSK and the bucket, for IAM auth and S3A. */
  readonly awsRegion: string;
}

/** What a chart is for; lib/workloads.ts names its manifests by it. */
export type WorkloadChartRole = 'namespace' | 'kafka' | 'topic' | 'producers' | 'spark' | 'monitoring';

export interface WorkloadChart {
  readonly role: WorkloadChartRole;
  readonly chart: Chart;
  /** The charts that must be applied before this one. */
  readonly after: readonly WorkloadChartRole[];
}

/** The charts of a deployment, in the order they are applied, and the bootstrap servers they use. */
export interface WorkloadCharts {
  readonly charts: readonly WorkloadChart[];
  readonly bootstrapServers: string;
}

/** How a workload running as `serviceAccount` authenticates to the deployment's Kafka. */
export function kafkaSecurityFor(kafkaChoice: KafkaChoice, serviceAccount: string): KafkaSecurity {
  return kafkaChoice === 'msk' ? { kind: 'msk-iam' } : { kind: 'mtls', ...strimziClientTls(serviceAccount) };
}

/**
 * The deployment's charts, created in `scope` (a cdk8s App) with cdk8s dependencies that follow the
 * apply order:
 * - MSK: namespace and service accounts -> topic Job -> producers; namespace -> Spark.
 * - Strimzi: namespace -> Kafka (its node pools, topic and users) -> producers; Kafka -> Spark.
 * - Both: namespace -> monitoring (PodMonitors, alert rules, dashboards; the Prometheus Operator's
 *   CRDs must be installed first, by kube-prometheus-stack).
 * The producers wait for the topic: one started before it exists exits naming the missing topic,
 * and Kubernetes restarts it with back-off; applying the fleet after keeps that window short.
 */
export function composeWorkloadCharts(scope: Construct, deployment: Deployment, deployTime: DeployTimeValues): WorkloadCharts {
  const { plan, config, kafkaChoice } = deployment;
  if (kafkaChoice === 'msk' && deployTime.mskBootstrapServers === undefined) {
    throw new Error('composeWorkloadCharts: deployTime.mskBootstrapServers is needed when Kafka is MSK');
  }
  const bootstrapServers = kafkaChoice === 'msk' ? deployTime.mskBootstrapServers! : strimziBootstrapServers();
  const common = { plan, bootstrapServers, topic: config.topicName, awsRegion: deployTime.awsRegion };

  const charts: WorkloadChart[] = [{ role: 'namespace', chart: new FlightAnalyticsNamespaceChart(scope, NAMESPACE_CHART_NAME), after: [] }];
  const topicSource: WorkloadChart =
    kafkaChoice === 'msk'
      ? {
          role: 'topic',
          chart: new TopicChart(scope, TOPIC_JOB_NAME, { ...common, image: deployTime.producerImage, kafkaSecurity: kafkaSecurityFor(kafkaChoice, PRODUCER_SERVICE_ACCOUNT) }),
          after: ['namespace'],
        }
      : {
          role: 'kafka',
          chart: new StrimziKafkaChart(scope, STRIMZI_KAFKA_CHART_NAME, {
            plan,
            topic: config.topicName,
            sparkConsumerGroup: config.sparkConsumerGroup,
            brokerReplicas: config.kafka.brokerCount,
            brokerVolumeGiB: config.kafka.brokerVolumeGiB,
            // A broker node is the EC2 twin of the MSK broker type (kafka.m7g.2xlarge -> m7g.2xlarge).
            brokerResources: brokerResourcesForNode(mskBrokerType('flightAnalytics.kafka.brokerInstanceType', config.kafka.brokerInstanceType).vcpus),
            ...(config.kafka.provisionedThroughputMibPerSecond === undefined
              ? {}
              : { volumeThroughputMibPerSecond: Math.ceil(config.kafka.provisionedThroughputMibPerSecond) }),
          }),
          after: ['namespace'],
        };
  charts.push(topicSource);
  charts.push({
    role: 'producers',
    chart: new ProducerChart(scope, PRODUCER_NAME, { ...common, image: deployTime.producerImage, kafkaSecurity: kafkaSecurityFor(kafkaChoice, PRODUCER_SERVICE_ACCOUNT) }),
    after: [topicSource.role],
  });
  charts.push({
    role: 'spark',
    chart: new SparkJobChart(scope, SPARK_APPLICATION_NAME, {
      ...common,
      image: deployTime.sparkJobImage,
      bucketName: deployTime.bucketName,
      consumerGroupId: config.sparkConsumerGroup,
      kafkaSecurity: kafkaSecurityFor(kafkaChoice, SPARK_SERVICE_ACCOUNT),
    }),
    after: kafkaChoice === 'msk' ? ['namespace'] : ['namespace', 'kafka'],
  });
  charts.push({ role: 'monitoring', chart: new MonitoringChart(scope, MONITORING_CHART_NAME, { kafkaChoice }), after: ['namespace'] });

  const byRole = new Map(charts.map((entry) => [entry.role, entry.chart]));
  for (const { chart, after } of charts) {
    chart.addDependency(...after.map((role) => byRole.get(role)!));
  }
  return { charts, bootstrapServers };
}
