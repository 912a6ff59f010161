/**
 * Prometheus, Alertmanager and Grafana on the cluster: the kube-prometheus-stack Helm chart (the
 * Prometheus Operator's way, docs/observability.md says why). The charts of k8s/monitoring-chart.ts
 * bring what to scrape (PodMonitors), the alert rules and the dashboards; this release installs the
 * CRDs they need and the servers that use them.
 */
import { Duration } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { NODE_GROUPS, WORKLOAD_LABEL_KEY } from '../deploy/names.ts';
import { versions } from '../deploy/versions.ts';
import { GRAFANA_DASHBOARD_LABEL_KEY, GRAFANA_DASHBOARD_LABEL_VALUE } from '../k8s/index.ts';

/** Helm repository of the prometheus-community charts. */
export const PROMETHEUS_COMMUNITY_REPOSITORY = 'https://prometheus-community.github.io/helm-charts';
/** Namespace of Prometheus, Alertmanager, Grafana and the operator. */
export const MONITORING_NAMESPACE = 'monitoring';
/** Helm release name; the Grafana admin Secret is `<release>-grafana`. */
export const MONITORING_RELEASE = 'kube-prometheus-stack';
/** How long Prometheus keeps samples. Its volume is an emptyDir: a restarted Prometheus starts empty. */
export const PROMETHEUS_RETENTION = '3d';

/** MSK's brokers and their open-monitoring ports (lib/kafka.ts): each broker's JMX exporter and node exporter. */
export interface MskScrapeTargets {
  /** DNS name of every broker (tokens, from the MSK API). */
  readonly brokerHosts: readonly string[];
  readonly jmxExporterPort: number;
  readonly nodeExporterPort: number;
}

/** Properties of a {@link Monitoring}. */
export interface MonitoringProps {
  readonly cluster: eks.ICluster;
  /** With Amazon MSK: its brokers, scraped on their open-monitoring ports. Leave out with Strimzi (a PodMonitor scrapes it). */
  readonly msk?: MskScrapeTargets;
}

/**
 * The kube-prometheus-stack release (chart version from versions.json) in the `monitoring` namespace:
 * - Prometheus selects every PodMonitor, ServiceMonitor and PrometheusRule in the cluster, not only
 *   the release's own, so the workload namespace's monitors and rules need no Helm label;
 * - with MSK, an extra scrape job reads each broker's JMX exporter (11001) and node exporter (11002);
 * - scrapes of the control-plane parts EKS manages (etcd, scheduler, controller manager, kube-proxy)
 *   are off: EKS does not expose them to pods;
 * - Grafana keeps the chart's admin Secret, whose password the chart generates (40 random characters)
 *   on install and keeps on upgrade: no password is in the template or in git. Anonymous access and
 *   sign-up stay off, and no Service is exposed outside the cluster (reach it with kubectl port-forward);
 * - the operator, Prometheus, Alertmanager, Grafana and kube-state-metrics run on the system nodes,
 *   as the non-root users the chart sets by default.
 * Anything that creates a PodMonitor or PrometheusRule must depend on {@link chart} (it installs the CRDs).
 */
export class Monitoring extends Construct {
  public readonly chart: eks.HelmChart;

  public constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const onSystemNodes = { nodeSelector: { [WORKLOAD_LABEL_KEY]: NODE_GROUPS.system.label } };
    const additionalScrapeConfigs = props.msk === undefined ? [] : mskScrapeConfigs(props.msk);
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      chart: 'kube-prometheus-stack',
      repository: PROMETHEUS_COMMUNITY_REPOSITORY,
      version: versions.kubePrometheusStackChart,
      release: MONITORING_RELEASE,
      namespace: MONITORING_NAMESPACE,
      createNamespace: true,
      wait: true,
      timeout: Duration.minutes(15),
      values: {
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeEtcd: { enabled: false },
        kubeProxy: { enabled: false },
        prometheusOperator: { ...onSystemNodes, admissionWebhooks: { patch: onSystemNodes } },
        'kube-state-metrics': onSystemNodes,
        prometheus: {
          prometheusSpec: {
            ...onSystemNodes,
            retention: PROMETHEUS_RETENTION,
            podMonitorSelectorNilUsesHelmValues: false,
            serviceMonitorSelectorNilUsesHelmValues: false,
            ruleSelectorNilUsesHelmValues: false,
            ...(additionalScrapeConfigs.length === 0 ? {} : { additionalScrapeConfigs }),
          },
        },
        alertmanager: { alertmanagerSpec: onSystemNodes },
        grafana: {
          ...onSystemNodes,
          'grafana.ini': { 'auth.anonymous': { enabled: false }, users: { allow_sign_up: false } },
          // The dashboards' ConfigMaps live in the workloads' namespace (k8s/monitoring-chart.ts): said
          // here, not left to the chart's default, so that a chart upgrade cannot narrow the search.
          sidecar: {
            dashboards: { enabled: true, label: GRAFANA_DASHBOARD_LABEL_KEY, labelValue: GRAFANA_DASHBOARD_LABEL_VALUE, searchNamespace: 'ALL' },
          },
        },
      },
    });
  }
}

/**
 * Prometheus scrape jobs for MSK open monitoring: one static target per broker on each exporter
 * port. Plain HTTP inside the VPC, as MSK serves it; the broker security group admits only the
 * cluster's nodes on these ports (KafkaCluster.allowPrometheusFrom).
 */
export function mskScrapeConfigs(msk: MskScrapeTargets): Record<string, unknown>[] {
  if (msk.brokerHosts.length === 0) {
    throw new Error('Monitoring: msk.brokerHosts must name at least one broker, got none');
  }
  const job = (name: string, port: number) => ({
    job_name: name,
    scheme: 'http',
    static_configs: [{ targets: msk.brokerHosts.map((host) => `${host}:${port}`) }],
  });
  return [job('msk-jmx-exporter', msk.jmxExporterPort), job('msk-node-exporter', msk.nodeExporterPort)];
}
