/**
 * The synthesised manifests against real schemas, offline:
 * - every built-in kind against the Kubernetes 1.35 OpenAPI schemas, strictly (no unknown fields),
 *   with `kubernetes-validate` from the project's Python venv;
 * - the SparkApplication against the openAPIV3Schema of the vendored spark-operator CRD, with ajv
 *   (the PodMonitors and PrometheusRules against theirs: monitoring-chart.test.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Yaml } from 'cdk8s';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { versions } from '../../deploy/versions.ts';
import { projectRoot } from '../lib/fixtures.ts';
import { appCharts, manifestsOf, manifestOfKind, withoutUnknownFields } from './fixtures.ts';

const run = promisify(execFile);
const KUBERNETES_VALIDATE = join(projectRoot, '.venv', 'bin', 'kubernetes-validate');
const KUBERNETES_VERSION = `${versions.kubernetes}.0`;
const CRD_FILE = join(projectRoot, 'k8s', 'imports', 'crds', 'sparkoperator.k8s.io_sparkapplications.yaml');
/** The kubectl Lambda's payload limit when CDK applies a manifest to EKS (aws-cdk #19165). */
const KUBECTL_PAYLOAD_LIMIT_BYTES = 262_144;

async function kubernetesValidate(files: string[]): Promise<{ exitCode: number; output: string }> {
  try {
    const { stdout, stderr } = await run(KUBERNETES_VALIDATE, ['-k', KUBERNETES_VERSION, '--strict', ...files]);
    return { exitCode: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function writeManifests(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-manifests-'));
  const files: Record<string, string> = {};
  for (const [name, chart] of Object.entries(appCharts())) {
    const file = join(dir, `${name}.k8s.yaml`);
    writeFileSync(file, Yaml.stringify(...manifestsOf(chart)));
    files[name] = file;
  }
  return files;
}

describe('Kubernetes schemas', () => {
  it.skipIf(!existsSync(KUBERNETES_VALIDATE))(
    `every built-in object validates strictly against Kubernetes ${KUBERNETES_VERSION}`,
    async () => {
      // GIVEN every chart's manifest on disk
      const files = writeManifests();
      // WHEN kubernetes-validate checks them strictly
      const result = await kubernetesValidate(Object.values(files));
      // THEN all pass; the only objects without a built-in schema are the SparkApplication (checked
      // below) and the Prometheus Operator's PodMonitors and PrometheusRule (monitoring-chart.test.ts)
      expect(result.exitCode, result.output).toBe(0);
      for (const kind of ['namespace', 'serviceaccount', 'job', 'configmap', 'service', 'statefulset', 'poddisruptionbudget']) {
        expect(result.output).toMatch(new RegExp(`passed for resource ${kind}/`));
      }
      const unvalidated = result.output.split('\n').filter((line) => line.includes("Couldn't find schema"));
      const kinds = unvalidated.map((line) => /kind (\w+)/.exec(line)?.[1]).sort();
      expect(kinds, unvalidated.join('\n')).toStrictEqual(['PodMonitor', 'PodMonitor', 'PrometheusRule', 'PrometheusRule', 'SparkApplication']);
    },
    60_000,
  );

  it.skipIf(!existsSync(KUBERNETES_VALIDATE))('rejects an object with an unknown field (the check can fail)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'k8s-bad-')), 'bad.yaml');
    writeFileSync(file, Yaml.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, dataa: { a: 'b' } }));
    expect((await kubernetesValidate([file])).exitCode).not.toBe(0);
  }, 60_000);

  it('validates the SparkApplication against the CRD openAPIV3Schema of spark-operator ' + versions.sparkOperatorChart, () => {
    // GIVEN the vendored CRD's schema for v1beta2
    const crd = Yaml.load(CRD_FILE)[0];
    const version = crd.spec.versions.find((v: { name: string }) => v.name === 'v1beta2');
    const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats.default(ajv);
    ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
    ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    const validate = ajv.compile(withoutUnknownFields(version.schema.openAPIV3Schema));
    // WHEN the synthesised SparkApplication is checked
    const sparkApplication = manifestOfKind(manifestsOf(appCharts()['flight-analytics']!), 'SparkApplication');
    // THEN it is valid, and an invalid one is not (the check can fail)
    expect(validate(sparkApplication), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...sparkApplication, spec: { ...sparkApplication.spec, type: 'Go', driver: { cores: 'two' } } })).toBe(false);
  });

  it('rejects a SparkApplication field the CRD does not know (a typo is not pruned silently)', () => {
    const crd = Yaml.load(CRD_FILE)[0];
    const version = crd.spec.versions.find((v: { name: string }) => v.name === 'v1beta2');
    const validate = new Ajv({ strict: false, validateFormats: false, logger: false }).compile(withoutUnknownFields(version.schema.openAPIV3Schema));
    const sparkApplication = manifestOfKind(manifestsOf(appCharts()['flight-analytics']!), 'SparkApplication');
    expect(validate({ ...sparkApplication, spec: { ...sparkApplication.spec, executor: { ...sparkApplication.spec.executor, instance: 3 } } })).toBe(false);
  });

  it('keeps every manifest below the kubectl Lambda payload limit', () => {
    for (const [name, chart] of Object.entries(appCharts())) {
      const bytes = Buffer.byteLength(Yaml.stringify(...manifestsOf(chart)), 'utf8');
      expect(bytes, name).toBeLessThan(KUBECTL_PAYLOAD_LIMIT_BYTES);
    }
  });

  it('vendors the CRD of the pinned spark-operator chart', () => {
    expect(readFileSync(CRD_FILE, 'utf8')).toContain('name: sparkapplications.sparkoperator.k8s.io');
  });
});
