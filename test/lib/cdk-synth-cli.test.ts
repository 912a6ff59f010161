import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './fixtures.ts';
import { credentialFreeEnv, runNpx } from './run-cli.ts';

const CLI_TIMEOUT_MS = 180_000;

describe('npx cdk synth', () => {
  it(
    'synthesises the FlightAnalytics stack into cdk.out without AWS credentials or a default environment',
    async () => {
      // GIVEN a shell with no AWS_* or CDK_DEFAULT_* variables
      const startedAtMs = Date.now();
      // WHEN the real CDK CLI synthesises the app from the project root
      const result = await runNpx(['cdk', 'synth', '--quiet'], credentialFreeEnv());
      // THEN it succeeds, and says which plan it sized the stack by
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/capacity plan: .* \(deploy\/plan-inputs\.json\); Kafka: msk/);
      // AND it has just written a FlightAnalytics template to cdk.out (cdk.json's output dir)
      const outdir = join(projectRoot, 'cdk.out');
      const templates = readdirSync(outdir).filter((name) => /^FlightAnalytics.*\.template\.json$/.test(name));
      expect(templates).toContain('FlightAnalytics-dev.template.json');
      expect(statSync(join(outdir, 'FlightAnalytics-dev.template.json')).mtimeMs).toBeGreaterThanOrEqual(startedAtMs - 1_000);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'fails with a message naming the context key and value when the configuration is invalid',
    async () => {
      // GIVEN an invalid configuration on the command line
      const badContext = 'flightAnalytics={"envName":"dev","quarantineExpirationDays":0}';
      // WHEN the CLI synthesises with it (into a throwaway dir, so cdk.out is left alone)
      const outdir = mkdtempSync(join(tmpdir(), 'cdk-invalid-context-'));
      const result = await runNpx(['cdk', 'synth', '--quiet', '--output', outdir, '-c', badContext], credentialFreeEnv()).finally(() =>
        rmSync(outdir, { recursive: true, force: true }),
      );
      // THEN it fails, and says what is wrong without a stack trace
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain('flightAnalytics.quarantineExpirationDays: expected a whole number of days >= 1, got 0');
      expect(result.stderr).not.toMatch(/^\s+at /m);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'fails naming the `kafka` context key when it is neither msk nor strimzi',
    async () => {
      const outdir = mkdtempSync(join(tmpdir(), 'cdk-invalid-kafka-'));
      const result = await runNpx(['cdk', 'synth', '--quiet', '--output', outdir, '-c', 'kafka=kafak'], credentialFreeEnv()).finally(() =>
        rmSync(outdir, { recursive: true, force: true }),
      );
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain('kafka: expected "msk" (Amazon MSK, the default) or "strimzi"');
      expect(result.stderr).toContain('got "kafak" (a string)');
      expect(result.stderr).not.toMatch(/^\s+at /m);
    },
    CLI_TIMEOUT_MS,
  );
});
