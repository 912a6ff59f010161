/**
 * What Prometheus scrapes and what Grafana shows, as Prometheus Operator and Grafana-sidecar objects
 * (kube-prometheus-stack installs both; lib/monitoring.ts): PodMonitors for the producer fleet, the
 * Spark driver and executors, and the Strimzi brokers; the alert rules; the dashboards.
 *
 * The alert rules and dashboards are read from monitoring/ (k8s/monitoring-files.ts); nothing here
 * restates a query.
 */
import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import type { KafkaChoice } from '../deploy/config.ts';
import { WORKLOAD_NAMESPACE } from '../deploy/names.ts';
import { alertRules, dashboards, type PrometheusRuleSpec } from './monitoring-files.ts';
import { PRODUCER_NAME } from './producer-chart.ts';
import { SPARK_APPLICATION_NAME, SPARK_JMX_EXPORTER_PORT_NAME, SPARK_JOB_METRICS_PORT_NAME } from './spark-job-chart.ts';
import { STRIMZI_KAFKA_CLUSTER_NAME, STRIMZI_METRICS_PORT_NAME } from './strimzi-kafka-chart.ts';
import { requireText } from './validation.ts';

/** Name of the chart (its manifest: dist/NNNN-flight-monitoring.k8s.yaml, or the stack's `Monitoring` manifest). */
export const MONITORING_CHART_NAME = 'flight-monitoring';

/** Label and value the Grafana sidecar of kube-prometheus-stack looks for on dashboard ConfigMaps (its default). */
export const GRAFANA_DASHBOARD_LABEL_KEY = 'grafana_dashboard';
export const GRAFANA_DASHBOARD_LABEL_VALUE = '1';
export const GRAFANA_DASHBOARD_LABEL = { [GRAFANA_DASHBOARD_LABEL_KEY]: GRAFANA_DASHBOARD_LABEL_VALUE } as const;

/**
 * Amazon MSK's open monitoring serves the brokers' metrics under AWS's own JMX exporter names, with
 * the MBean's `name` in a label (`kafka_server_ReplicaManager_Value{name="UnderReplicatedPartitions"}`).
 * Recording rules give them the names monitoring/kafka-jmx-exporter.yaml produces, so one Kafka
 * dashboard serves both flavours. Keys are our names; values the MSK metric and its `name` label.
 */
export const MSK_METRIC_NAMES: Readonly<Record<string, { readonly metric: string; readonly name: string }>> = {
  kafka_server_brokertopicmetrics_bytesin_total: { metric: 'kafka_server_BrokerTopicMetrics_Count', name: 'BytesInPerSec' },
  kafka_server_brokertopicmetrics_bytesout_total: { metric: 'kafka_server_BrokerTopicMetrics_Count', name: 'BytesOutPerSec' },
  kafka_server_brokertopicmetrics_messagesin_total: { metric: 'kafka_server_BrokerTopicMetrics_Count', name: 'MessagesInPerSec' },
  kafka_server_replicamanager_underreplicatedpartitions: { metric: 'kafka_server_ReplicaManager_Value', name: 'UnderReplicatedPartitions' },
  kafka_server_replicamanager_underminisrpartitioncount: { metric: 'kafka_server_ReplicaManager_Value', name: 'UnderMinIsrPartitionCount' },
  kafka_server_replicamanager_partitioncount: { metric: 'kafka_server_ReplicaManager_Value', name: 'PartitionCount' },
  kafka_server_replicamanager_leadercount: { metric: 'kafka_server_ReplicaManager_Value', name: 'LeaderCount' },
};

/** The recording rules of {@link MSK_METRIC_NAMES}: each drops the `name` label and keeps the others (topic, instance). */
export function mskRecordingRules(): PrometheusRuleSpec {
  return {
    groups: [
      {
        name: 'msk-open-monitoring-names',
        rules: Object.entries(MSK_METRIC_NAMES).map(([record, { metric, name }]) => ({
          record,
          expr: `sum without (name) (${metric}{name="${name}"})`,
        })),
      },
    ],
  };
}

/** Properties of a {@link MonitoringChart}. */
export interface MonitoringChartProps extends ChartProps {
  /** Where Kafka runs: Strimzi's brokers get a PodMonitor; MSK's are scraped by the stack (lib/monitoring.ts) and renamed here. */
  readonly kafkaChoice: KafkaChoice;
  /** Namespace of the workloads, their monitors, rules and dashboards. @default 'flight-analytics' */
  readonly namespace?: string;
}

/**
 * In the workloads' namespace:
 * - PodMonitor `flight-producer`: every producer pod's `metrics` port (9464);
 * - PodMonitor `flight-analytics`: the Spark driver's `job-metrics` port (9091: lag, rates, counters)
 *   and the JMX exporter port of the driver and executors (JVM and Spark metrics);
 * - PodMonitor `flight-kafka` (Strimzi): the JMX exporter port of every broker and controller;
 * - PrometheusRule `flight-analytics`: monitoring/alert-rules.json, embedded as it is;
 * - PrometheusRule `flight-analytics-msk-names` (MSK): {@link mskRecordingRules};
 * - one ConfigMap per dashboard, labelled for the Grafana sidecar, which watches every namespace.
 */
export class MonitoringChart extends Chart {
  public readonly podMonitors: ApiObject[] = [];
  public readonly alertRule: ApiObject;
  public readonly dashboardConfigMaps: ApiObject[];

  public constructor(scope: Construct, id: string, props: MonitoringChartProps) {
    super(scope, id, props);
    const namespace = requireText('MonitoringChart', 'namespace', props.namespace ?? WORKLOAD_NAMESPACE);
    const partOf = { 'app.kubernetes.io/part-of': WORKLOAD_NAMESPACE };
    const metadata = (name: string, labels: Record<string, string> = {}) => ({ name, namespace, labels: { ...partOf, ...labels } });

    const podMonitor = (objectId: string, name: string, matchLabels: Record<string, string>, ports: string[]): void => {
      this.podMonitors.push(
        new ApiObject(this, objectId, {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PodMonitor',
          metadata: metadata(name),
          spec: {
            selector: { matchLabels },
            podMetricsEndpoints: ports.map((port) => ({ port, path: '/metrics', scheme: 'http' })),
          },
        }),
      );
    };
    podMonitor('ProducerPodMonitor', PRODUCER_NAME, { 'app.kubernetes.io/name': PRODUCER_NAME }, ['metrics']);
    // Driver and executors carry the same labels; only the driver has the job-metrics port, so an
    // executor is scraped on its JMX exporter alone.
    podMonitor('SparkPodMonitor', SPARK_APPLICATION_NAME, { 'app.kubernetes.io/name': SPARK_APPLICATION_NAME }, [
      SPARK_JOB_METRICS_PORT_NAME,
      SPARK_JMX_EXPORTER_PORT_NAME,
    ]);
    if (props.kafkaChoice === 'strimzi') {
      // Labels and port name Strimzi gives every pod of a Kafka cluster it runs (brokers and controllers).
      podMonitor('KafkaPodMonitor', STRIMZI_KAFKA_CLUSTER_NAME, { 'strimzi.io/cluster': STRIMZI_KAFKA_CLUSTER_NAME, 'strimzi.io/kind': 'Kafka' }, [
        STRIMZI_METRICS_PORT_NAME,
      ]);
    }

    this.alertRule = new ApiObject(this, 'AlertRules', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: metadata('flight-analytics'),
      spec: alertRules(),
    });
    if (props.kafkaChoice === 'msk') {
      new ApiObject(this, 'MskMetricNames', {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: metadata('flight-analytics-msk-names'),
        spec: mskRecordingRules(),
      });
    }

    this.dashboardConfigMaps = Object.entries(dashboards()).map(
      ([name, dashboard]) =>
        new ApiObject(this, `Dashboard-${name}`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: metadata(`flight-dashboard-${name}`, GRAFANA_DASHBOARD_LABEL),
          data: { [`${name}.json`]: JSON.stringify(dashboard, null, 2) },
        }),
    );
  }
}
