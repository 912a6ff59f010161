import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../lib/fixtures.ts';
import { credentialFreeEnv, runNpx } from '../lib/run-cli.ts';

const CLI_TIMEOUT_MS = 180_000;

describe('npx cdk8s synth', () => {
  it(
    'writes one manifest per chart to dist/, in apply order',
    async () => {
      // GIVEN the project's cdk8s.yaml, with the CLI's npm upgrade check off (no network needed)
      const startedAtMs = Date.now();
      // WHEN the real cdk8s CLI synthesises the app from the project root
      const result = await runNpx(['cdk8s', 'synth'], credentialFreeEnv({ CDK8S_CHECK_UPGRADE: 'false' }));
      // THEN it succeeds, and says which plan it used, as cdk synth does
      expect(result.exitCode, result.stderr).toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(/capacity plan: .* \(deploy\/plan-inputs\.json\); Kafka: msk/);
      // AND it has just written a *.k8s.yaml per chart to dist/ (cdk8s.yaml's output dir)
      const outdir = join(projectRoot, 'dist');
      // (numbered, because the charts depend on each other: namespace and service accounts first)
      const manifests = readdirSync(outdir).filter((name) => name.endsWith('.k8s.yaml')).sort();
      expect(manifests).toStrictEqual([
        '0000-flight-analytics-namespace.k8s.yaml',
        '0001-flight-events-topic.k8s.yaml',
        '0002-flight-producer.k8s.yaml',
        '0003-flight-analytics.k8s.yaml',
        '0004-flight-monitoring.k8s.yaml',
      ]);
      const producerManifest = join(outdir, '0002-flight-producer.k8s.yaml');
      expect(statSync(producerManifest).mtimeMs).toBeGreaterThanOrEqual(startedAtMs - 1_000);
      expect(readFileSync(producerManifest, 'utf8')).toContain('kind: StatefulSet');
      expect(readFileSync(join(outdir, '0003-flight-analytics.k8s.yaml'), 'utf8')).toContain('kind: SparkApplication');
      expect(readFileSync(join(outdir, '0004-flight-monitoring.k8s.yaml'), 'utf8')).toContain('kind: PodMonitor');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'with KAFKA=strimzi, writes the Strimzi Kafka chart instead of the topic Job and points the workloads at it',
    async () => {
      const outdir = mkdtempSync(join(tmpdir(), 'cdk8s-strimzi-'));
      try {
        const result = await runNpx(['cdk8s', 'synth', '--output', outdir], credentialFreeEnv({ CDK8S_CHECK_UPGRADE: 'false', KAFKA: 'strimzi' }));
        expect(result.exitCode, result.stderr).toBe(0);
        expect(readdirSync(outdir).filter((name) => name.endsWith('.k8s.yaml')).sort()).toStrictEqual([
          '0000-flight-analytics-namespace.k8s.yaml',
          '0001-flight-kafka.k8s.yaml',
          '0002-flight-producer.k8s.yaml',
          '0003-flight-analytics.k8s.yaml',
          '0004-flight-monitoring.k8s.yaml',
        ]);
        const kafka = readFileSync(join(outdir, '0001-flight-kafka.k8s.yaml'), 'utf8');
        expect(kafka).toContain('kind: KafkaNodePool');
        expect(kafka).toContain('kind: KafkaTopic');
        for (const file of ['0002-flight-producer.k8s.yaml', '0003-flight-analytics.k8s.yaml']) {
          expect(readFileSync(join(outdir, file), 'utf8')).toContain('flight-kafka-kafka-bootstrap.flight-analytics.svc:9093');
        }
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'fails naming KAFKA and its value when it is neither msk nor strimzi',
    async () => {
      const outdir = mkdtempSync(join(tmpdir(), 'cdk8s-invalid-kafka-'));
      const result = await runNpx(['cdk8s', 'synth', '--output', outdir], credentialFreeEnv({ CDK8S_CHECK_UPGRADE: 'false', KAFKA: 'kafak' })).finally(() =>
        rmSync(outdir, { recursive: true, force: true }),
      );
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain('KAFKA: expected "msk" (Amazon MSK, the default) or "strimzi"');
      expect(result.stderr).toContain('got "kafak" (a string)');
    },
    CLI_TIMEOUT_MS,
  );
});
