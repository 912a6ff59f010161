/**
 * The committed monitoring files (monitoring/ at the repository root), read where the charts need
 * them. They are the one copy: the metrics test loads the same files into a real Prometheus and runs
 * a broker with the same JMX exporter rules (docs/observability.md).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** monitoring/ (k8s/ and the bundled CDK app in cdk.out/ both sit one level below the repository root). */
const MONITORING_DIR = new URL('../monitoring/', import.meta.url);

/** A Prometheus rules `spec` (`groups: [...]`): a PrometheusRule's spec, and a Prometheus rules file. */
export interface PrometheusRuleSpec {
  readonly groups: readonly { readonly name: string; readonly rules: readonly Record<string, unknown>[] }[];
}

/** monitoring/alert-rules.json: the pipeline's alerts. */
export function alertRules(): PrometheusRuleSpec {
  const rules = readJson<PrometheusRuleSpec>('alert-rules.json');
  if (!Array.isArray(rules.groups) || rules.groups.length === 0) {
    throw new Error('monitoring/alert-rules.json: expected {"groups": [...]} with at least one group (a PrometheusRule spec)');
  }
  return rules;
}

/** monitoring/dashboards/<name>.json (Grafana dashboard JSON), keyed by name: `kafka`, `producer`, `spark-job`. */
export function dashboards(): Record<string, unknown> {
  const dir = new URL('dashboards/', MONITORING_DIR);
  const files = readdirSync(dir).filter((file) => file.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`monitoring/dashboards: no *.json dashboard in ${dir.pathname}`);
  return Object.fromEntries(files.map((file) => [file.replace(/\.json$/, ''), readJson(`dashboards/${file}`)]));
}

/** monitoring/kafka-jmx-exporter.yaml, as text: the JMX exporter rules that name the Kafka broker metrics. */
export function kafkaJmxExporterConfig(): string {
  return readFileSync(new URL('kafka-jmx-exporter.yaml', MONITORING_DIR), 'utf8');
}

function readJson<T>(path: string): T {
  const url = new URL(path, MONITORING_DIR);
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as T;
  } catch (error) {
    throw new Error(`monitoring/${path}: cannot read it as JSON (${(error as Error).message}); fix the file`);
  }
}
