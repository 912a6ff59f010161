/**
 * Test fixtures for lib/: an App that sees the same context (feature flags and configuration) as
 * `npx cdk synth`, so what the tests assert is what the CLI synthesises.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { type FlightAnalyticsConfig, parseFlightAnalyticsConfig } from '../../lib/config.ts';

/** Absolute path of the project root (where cdk.json and cdk8s.yaml live). */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The `context` block of the project's cdk.json. */
export function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** A fresh App with cdk.json's context. */
export function projectApp(): App {
  return new App({ context: projectContext() });
}

/** The configuration in cdk.json, with `overrides` applied. */
export function projectConfig(overrides: Partial<FlightAnalyticsConfig> = {}): FlightAnalyticsConfig {
  return parseFlightAnalyticsConfig({ ...(projectContext()['flightAnalytics'] as object), ...overrides });
}
