/**
 * The charts, and the composition that picks them for a deployment (workload-charts.ts), for
 * `k8s/main.ts` (`npx cdk8s synth`) and for the CDK stack (lib/workloads.ts), which embeds the same
 * charts with `cluster.addCdk8sChart(...)` and passes CDK tokens (bootstrap servers, bucket, image
 * URIs) as plain strings.
 */
export { FlightAnalyticsNamespace, FlightAnalyticsNamespaceChart, type FlightAnalyticsNamespaceChartProps, NAMESPACE_CHART_NAME } from './namespace.ts';
export { KAFKA_SECURITY_KINDS, type KafkaSecurity } from './kafka-security.ts';
export {
  DEFAULT_PRODUCER_IMAGE,
  POD_INDEX_LABEL,
  PRODUCER_METRICS_PORT,
  PRODUCER_CLIENT_TLS_FILES,
  PRODUCER_NAME,
  PRODUCER_UID,
  ProducerChart,
  type ProducerChartProps,
  type ProducerImageKafkaProps,
  type ProducerResources,
  producerKafkaEnvironment,
} from './producer-chart.ts';
export { TOPIC_JOB_NAME, TopicChart, type TopicChartProps } from './topic-chart.ts';
export {
  CLIENT_TLS_KAFKA_OPTIONS,
  DEFAULT_SPARK_JOB_IMAGE,
  JMX_EXPORTER_JAR,
  MAIN_APPLICATION_FILE,
  MSK_IAM_KAFKA_OPTIONS,
  SPARK_APPLICATION_NAME,
  SPARK_JMX_EXPORTER_PORT_NAME,
  SPARK_JOB_METRICS_PORT_NAME,
  SparkJobChart,
  type SparkJobChartProps,
} from './spark-job-chart.ts';
export { NODE_GROUP_LABELS } from './scheduling.ts';
export { GRAFANA_DASHBOARD_LABEL, GRAFANA_DASHBOARD_LABEL_KEY, GRAFANA_DASHBOARD_LABEL_VALUE, MONITORING_CHART_NAME, MonitoringChart, type MonitoringChartProps, MSK_METRIC_NAMES, mskRecordingRules } from './monitoring-chart.ts';
export { alertRules, dashboards, kafkaJmxExporterConfig, type PrometheusRuleSpec } from './monitoring-files.ts';
export {
  brokerResourcesForNode,
  CONTROLLER_RESOURCES,
  KAFKA_METRICS_CONFIG_KEY,
  KAFKA_METRICS_CONFIG_MAP,
  KAFKA_STORAGE_CLASS,
  type KafkaPodResources,
  STRIMZI_CONTROLLER_REPLICAS,
  STRIMZI_KAFKA_CHART_NAME,
  STRIMZI_KAFKA_CLUSTER_NAME,
  STRIMZI_METRICS_PORT_NAME,
  STRIMZI_TLS_LISTENER_PORT,
  StrimziKafkaChart,
  type StrimziKafkaChartProps,
  type StrimziClientTls,
  strimziBootstrapServers,
  strimziClientTls,
} from './strimzi-kafka-chart.ts';
export { productionSparkConf } from './spark-conf.ts';
export { composeWorkloadCharts, type DeployTimeValues, kafkaSecurityFor, type WorkloadChart, type WorkloadChartRole, type WorkloadCharts } from './workload-charts.ts';
