/**
 * The monitoring chart (k8s/monitoring-chart.ts) against the vendored Prometheus Operator CRDs, the
 * pods the workload charts create, the committed files in monitoring/ and the runbooks in
 * docs/observability.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { Yaml } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import type { KafkaChoice } from '../../deploy/config.ts';
import { versions } from '../../deploy/versions.ts';
import { GRAFANA_DASHBOARD_LABEL, KAFKA_METRICS_CONFIG_KEY, MONITORING_CHART_NAME, MSK_METRIC_NAMES } from '../../k8s/index.ts';
import { projectDeployment } from '../deploy/fixtures.ts';
import { projectRoot } from '../lib/fixtures.ts';
import { appCharts, type Manifest, manifestOfKind, manifestsOf, withoutUnknownFields } from './fixtures.ts';

const KAFKA_CHOICES: readonly KafkaChoice[] = ['msk', 'strimzi'];
const MONITORING_DIR = join(projectRoot, 'monitoring');
const OBSERVABILITY_DOC = join(projectRoot, 'docs', 'observability.md');
/** The CRDs of the pinned kube-prometheus-stack chart, as vendored (k8s/imports/README.md). */
const CRD_FILES = ['podmonitors', 'prometheusrules'].map((plural) =>
  join(projectRoot, 'k8s', 'imports', 'crds', `kube-prometheus-stack-${versions.kubePrometheusStackChart}-crd-${plural}.yaml`),
);

function readJson(path: string): Manifest {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every chart's manifests of a deployment, flat. */
function deploymentManifests(kafkaChoice: KafkaChoice): Manifest[] {
  return Object.values(appCharts(projectDeployment(kafkaChoice))).flatMap(manifestsOf);
}

function monitoringManifests(kafkaChoice: KafkaChoice): Manifest[] {
  return manifestsOf(appCharts(projectDeployment(kafkaChoice))[MONITORING_CHART_NAME]!);
}

/**
 * The CRDs' patterns are Go (RE2) regular expressions; one starts with RE2's inline flag `(?i)`,
 * which JavaScript spells as the `i` flag.
 */
const goRegExp = Object.assign(
  (pattern: string, flags: string): RegExp =>
    pattern.includes('(?i)') ? new RegExp(pattern.replace('(?i)', ''), `${flags}i`) : new RegExp(pattern, flags),
  { code: 'goRegExp' }, // ajv's name for the engine in standalone code, which is not generated here
);

/** A validator per kind from the vendored CRDs' v1 openAPIV3Schema, rejecting fields the CRD does not declare. */
function crdValidators(): Map<string, (object: unknown) => string[]> {
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false, code: { regExp: goRegExp } });
  addFormats.default(ajv);
  const validators = new Map<string, (object: unknown) => string[]>();
  for (const file of CRD_FILES) {
    const crd = (Yaml.load(file) as Manifest[]).find((document) => document?.kind === 'CustomResourceDefinition');
    const version = crd.spec.versions.find((v: { name: string }) => v.name === 'v1');
    const validate = ajv.compile(withoutUnknownFields(version.schema.openAPIV3Schema));
    validators.set(crd.spec.names.kind, (object) => (validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)));
  }
  return validators;
}

/** A pod some chart's object makes, as the PodMonitors see it: its namespace, labels and named ports. */
interface ScrapablePod {
  readonly where: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly ports: readonly string[];
}

/**
 * The pods the workload charts' objects become. Workload templates carry their pods' labels and
 * ports. The SparkApplication's driver and executor pods get the labels of its spec, the driver's
 * declared ports, and the JMX exporter port, which the spark-operator's webhook adds under
 * `monitoring.prometheus.portName` when the driver's or executors' metrics are exposed. Strimzi labels
 * every pod of a Kafka `strimzi.io/cluster=<name>` and `strimzi.io/kind=Kafka`, and names the JMX
 * exporter port `tcp-prometheus` when the Kafka has a metricsConfig (Strimzi's documented labels).
 */
function scrapablePods(manifests: Manifest[]): ScrapablePod[] {
  const pods: ScrapablePod[] = [];
  for (const m of manifests) {
    const where = `${m.kind}/${m.metadata.name}`;
    const namespace = m.metadata.namespace;
    const template = m.spec?.template;
    if (template?.spec?.containers) {
      const ports = template.spec.containers.flatMap((c: Manifest) => (c.ports ?? []).map((p: Manifest) => p.name).filter(Boolean));
      pods.push({ where, namespace, labels: template.metadata?.labels ?? {}, ports });
    }
    if (m.kind === 'SparkApplication') {
      const jmxPort = m.spec.monitoring?.prometheus ? [m.spec.monitoring.prometheus.portName] : [];
      const driverPorts = (m.spec.driver.ports ?? []).map((p: Manifest) => p.name);
      pods.push({ where: `${where} driver`, namespace, labels: m.spec.driver.labels, ports: [...driverPorts, ...(m.spec.monitoring?.exposeDriverMetrics ? jmxPort : [])] });
      pods.push({ where: `${where} executor`, namespace, labels: m.spec.executor.labels, ports: m.spec.monitoring?.exposeExecutorMetrics ? jmxPort : [] });
    }
    if (m.kind === 'Kafka') {
      const labels = { 'strimzi.io/cluster': m.metadata.name, 'strimzi.io/kind': 'Kafka' };
      pods.push({ where: `${where} broker or controller`, namespace, labels, ports: m.spec.kafka.metricsConfig ? ['tcp-prometheus'] : [] });
    }
  }
  return pods;
}

/** GitHub's heading anchor: lower case, punctuation but hyphens dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const headings = [...markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)].map((match) => match[1]!);
  return new Set(headings.map((heading) => heading.toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-')));
}

/** Every panel of a dashboard, rows' nested panels included. */
function allPanels(dashboard: Manifest): Manifest[] {
  return (dashboard.panels ?? []).flatMap((panel: Manifest) => [panel, ...allPanels(panel)]);
}

describe.each(KAFKA_CHOICES)('MonitoringChart (kafka=%s)', (kafkaChoice) => {
  it('validates every PodMonitor and PrometheusRule against the CRDs of kube-prometheus-stack ' + versions.kubePrometheusStackChart, () => {
    // GIVEN the vendored CRDs WHEN the chart's custom objects are checked
    const validators = crdValidators();
    const custom = monitoringManifests(kafkaChoice).filter((m) => m.apiVersion === 'monitoring.coreos.com/v1');
    // THEN each is valid, and the check can fail
    expect(custom.map((m) => m.kind).sort()).toStrictEqual(
      kafkaChoice === 'msk' ? ['PodMonitor', 'PodMonitor', 'PrometheusRule', 'PrometheusRule'] : ['PodMonitor', 'PodMonitor', 'PodMonitor', 'PrometheusRule'],
    );
    for (const object of custom) {
      expect(validators.get(object.kind)!(object), `${object.kind}/${object.metadata.name}`).toStrictEqual([]);
    }
    const podMonitor = custom.find((m) => m.kind === 'PodMonitor');
    expect(validators.get('PodMonitor')!({ ...podMonitor, spec: { ...podMonitor.spec, podMetricsEndpoint: [] } })).not.toStrictEqual([]);
  });

  it('selects with every PodMonitor the pods a workload chart creates, and scrapes ports those pods name', () => {
    // GIVEN the deployment's pods WHEN each PodMonitor's selector and endpoints are matched against them
    const pods = scrapablePods(deploymentManifests(kafkaChoice));
    const podMonitors = monitoringManifests(kafkaChoice).filter((m) => m.kind === 'PodMonitor');
    expect(podMonitors.map((m) => m.metadata.name)).toStrictEqual(
      kafkaChoice === 'msk' ? ['flight-producer', 'flight-analytics'] : ['flight-producer', 'flight-analytics', 'flight-kafka'],
    );
    for (const monitor of podMonitors) {
      const matchLabels: Record<string, string> = monitor.spec.selector.matchLabels;
      const selected = pods.filter((pod) => pod.namespace === monitor.metadata.namespace && Object.entries(matchLabels).every(([k, v]) => pod.labels[k] === v));
      // THEN each selects some pods, and each of its ports is named on at least one of them
      expect(selected, `PodMonitor ${monitor.metadata.name} selects no pod`).not.toHaveLength(0);
      for (const { port } of monitor.spec.podMetricsEndpoints) {
        expect(selected.flatMap((pod) => pod.ports), `PodMonitor ${monitor.metadata.name} port ${port}`).toContain(port);
      }
    }
  });

  it('embeds monitoring/alert-rules.json as the PrometheusRule spec, unchanged', () => {
    const rule = monitoringManifests(kafkaChoice).find((m) => m.kind === 'PrometheusRule' && m.metadata.name === 'flight-analytics');
    expect(rule.spec).toStrictEqual(readJson(join(MONITORING_DIR, 'alert-rules.json')));
  });

  it('provisions each dashboard of monitoring/dashboards as a ConfigMap the Grafana sidecar picks up', () => {
    const configMaps = monitoringManifests(kafkaChoice).filter((m) => m.kind === 'ConfigMap');
    const byKey: Record<string, Manifest> = Object.fromEntries(configMaps.map((m) => [Object.keys(m.data)[0], m]));
    expect(Object.keys(byKey).sort()).toStrictEqual(['kafka.json', 'producer.json', 'spark-job.json']);
    for (const [key, configMap] of Object.entries(byKey)) {
      expect(configMap.metadata.labels).toMatchObject(GRAFANA_DASHBOARD_LABEL);
      expect(JSON.parse(configMap.data[key])).toStrictEqual(readJson(join(MONITORING_DIR, 'dashboards', key)));
    }
  });
});

describe('alert rules and runbooks', () => {
  const rules = readJson(join(MONITORING_DIR, 'alert-rules.json')).groups.flatMap((group: Manifest) => group.rules);

  it('covers the five required conditions, each with a severity, a duration and a summary', () => {
    expect(rules.map((rule: Manifest) => rule.alert)).toStrictEqual([
      'FlightAnalyticsKafkaLagGrowing',
      'FlightAnalyticsNoBatchCompleted',
      'FlightAnalyticsJobMetricsAbsent',
      'FlightAnalyticsQuarantineRate',
      'FlightAnalyticsLateEventsDropped',
      'FlightProducerErrorRate',
    ]);
    for (const rule of rules) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels.severity);
      expect(rule.for, rule.alert).toMatch(/^\d+m$/);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
    }
  });

  it('links every alert to a runbook section that exists in docs/observability.md', () => {
    const existing = anchors(readFileSync(OBSERVABILITY_DOC, 'utf8'));
    for (const rule of rules) {
      const match = /^docs\/observability\.md#([a-z0-9-]+)$/.exec(rule.annotations.runbook);
      expect(match, `${rule.alert}: runbook ${rule.annotations.runbook}`).not.toBeNull();
      expect([...existing], `${rule.alert}: no heading for #${match![1]}`).toContain(match![1]);
    }
    // The anchor check can fail: a made-up anchor is not among the headings.
    expect(existing.has('no-such-runbook')).toBe(false);
  });
});

describe('dashboards', () => {
  const files = ['producer.json', 'spark-job.json', 'kafka.json'];

  it.each(files)('%s is a Grafana dashboard with unique panel ids, each query on the ${datasource} variable', (file) => {
    const dashboard = readJson(join(MONITORING_DIR, 'dashboards', file));
    const panels = allPanels(dashboard);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size, `${file}: duplicate panel ids ${ids}`).toBe(ids.length);
    expect(dashboard.templating.list.find((v: Manifest) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const queryPanels = panels.filter((panel) => panel.type !== 'row');
    expect(queryPanels.length).toBeGreaterThan(3);
    for (const panel of queryPanels) {
      expect(panel.datasource, `${file}: ${panel.title}`).toStrictEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.description, `${file}: ${panel.title} has no description`).toBeTruthy();
      expect(panel.targets.length, `${file}: ${panel.title}`).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.expr, `${file}: ${panel.title}`).toMatch(/\S/);
    }
  });

  it('has, for every Kafka metric the Kafka dashboard reads, a recording rule from MSK\'s names (one dashboard for both flavours)', () => {
    const dashboard = readJson(join(MONITORING_DIR, 'dashboards', 'kafka.json'));
    const used = new Set(allPanels(dashboard).flatMap((panel) => (panel.targets ?? []).flatMap((t: Manifest) => [...t.expr.matchAll(/\bkafka_[a-z_]+/g)].map((m) => m[0]))));
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((name) => !(name in MSK_METRIC_NAMES))).toStrictEqual([]);
    // AND the recording rules exist in an MSK deployment only
    const recorded = (kafkaChoice: KafkaChoice) =>
      monitoringManifests(kafkaChoice)
        .filter((m) => m.kind === 'PrometheusRule')
        .flatMap((m) => m.spec.groups.flatMap((g: Manifest) => g.rules))
        .map((r: Manifest) => r.record)
        .filter(Boolean);
    expect(recorded('msk').sort()).toStrictEqual(Object.keys(MSK_METRIC_NAMES).sort());
    expect(recorded('strimzi')).toStrictEqual([]);
  });
});

describe('Strimzi broker metrics', () => {
  it('configure the JMX exporter of the Kafka from a ConfigMap holding monitoring/kafka-jmx-exporter.yaml', () => {
    const kafkaChart = manifestsOf(appCharts(projectDeployment('strimzi'))['flight-kafka']!);
    const kafka = manifestOfKind(kafkaChart, 'Kafka');
    const { name, key } = kafka.spec.kafka.metricsConfig.valueFrom.configMapKeyRef;
    expect(kafka.spec.kafka.metricsConfig.type).toBe('jmxPrometheusExporter');
    const configMap = kafkaChart.find((m) => m.kind === 'ConfigMap' && m.metadata.name === name);
    expect(key).toBe(KAFKA_METRICS_CONFIG_KEY);
    expect(configMap.data[key]).toBe(readFileSync(join(MONITORING_DIR, 'kafka-jmx-exporter.yaml'), 'utf8'));
    expect(configMap.metadata.namespace).toBe(kafka.metadata.namespace);
  });
});

describe('vendored Prometheus Operator CRDs', () => {
  it('are those of the pinned kube-prometheus-stack chart', () => {
    for (const file of CRD_FILES) {
      const crd = (Yaml.load(file) as Manifest[]).find((document) => document?.kind === 'CustomResourceDefinition');
      expect(crd.spec.group, file).toBe('monitoring.coreos.com');
    }
  });
});
