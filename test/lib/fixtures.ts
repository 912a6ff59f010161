/**
 * Test fixtures for lib/: an App that sees the same context (feature flags and configuration) as
 * `npx cdk synth`, so what the tests assert is what the CLI synthesises.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { KafkaChoice } from '../../deploy/config.ts';
import { FlightAnalyticsStack } from '../../lib/flight-analytics-stack.ts';
import { projectContext, projectDeployment } from '../deploy/fixtures.ts';

export { projectContext, projectDeployment } from '../deploy/fixtures.ts';

/** Absolute path of the project root (where cdk.json and cdk8s.yaml live). */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh App with cdk.json's context. */
export function projectApp(): App {
  return new App({ context: projectContext() });
}

/**
 * Docker build contexts with a one-line Dockerfile, so that construct tests do not depend on the
 * real producer/ and spark-jobs/ images (whose hashes are masked in snapshots anyway).
 * `npx cdk synth` (test/lib/cdk-synth-cli.test.ts) builds the stack from the real folders.
 */
export function stubImageBuildContexts(): { producer: { directory: string }; sparkJob: { directory: string } } {
  const root = mkdtempSync(join(tmpdir(), 'flight-images-'));
  const contexts = { producer: { directory: join(root, 'producer') }, sparkJob: { directory: join(root, 'spark-jobs') } };
  for (const [name, { directory }] of Object.entries(contexts)) {
    mkdirSync(directory);
    // Distinct content, so the two stubs do not hash to one image.
    writeFileSync(join(directory, 'Dockerfile'), `FROM scratch\nLABEL stub=${name}\n`);
  }
  return contexts;
}

/** Admin role ARN the shared stack is synthesised with, so the access entry is exercised. */
export const TEST_ADMIN_ROLE_ARN = 'arn:aws:iam::123456789012:role/FlightAnalyticsAdmin';

/** A synthesised FlightAnalyticsStack, shared by all assertions in a test file (a full synth takes seconds). */
export interface SynthesizedProject {
  readonly app: App;
  readonly stack: FlightAnalyticsStack;
  readonly template: Template;
  /** The template as CloudFormation JSON text, as written to cdk.out. */
  readonly templateJson: string;
}

/** Where the synthesised project's Kafka runs (`-c kafka=...`). */
export type KafkaChoiceForTest = KafkaChoice;

const synthesized = new Map<KafkaChoice, SynthesizedProject>();

/**
 * The whole stack (Kafka on MSK unless told otherwise), synthesised once per test file and Kafka choice with cdk.json's context and a configuration that
 * differs from the defaults where a test needs to see the value come through (envName "qa",
 * 14-day quarantine, an admin role).
 */
export function synthesizedProject(kafkaChoice: KafkaChoice = 'msk'): SynthesizedProject {
  let project = synthesized.get(kafkaChoice);
  if (project === undefined) {
    const app = projectApp();
    const stack = new FlightAnalyticsStack(app, 'FlightAnalytics-test', {
      deployment: projectDeployment(kafkaChoice, { envName: 'qa', quarantineExpirationDays: 14, adminRoleArn: TEST_ADMIN_ROLE_ARN }),
      imageBuildContexts: stubImageBuildContexts(),
    });
    const template = Template.fromStack(stack);
    project = { app, stack, template, templateJson: JSON.stringify(template.toJSON(), undefined, 1) };
    synthesized.set(kafkaChoice, project);
  }
  return project;
}

/** Replaces content hashes (asset keys, image tags) so snapshots do not change with every source edit. */
export function maskAssetHashes(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}
