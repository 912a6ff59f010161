#!/usr/bin/env node
/**
 * The CDK app. The only place that reads CDK context and the environment; everything below it takes props.
 *
 * The deployment (deploy/deployment.ts) is read once here: the capacity plan of
 * deploy/plan-inputs.json, and the `flightAnalytics` and `kafka` context. `npx cdk8s synth`
 * (k8s/main.ts) reads the same, so both print and use the same plan.
 *
 * `npx cdk synth` works without AWS credentials: when CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION are unset,
 * the stack is environment-agnostic.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_CONTEXT_KEY, KAFKA_CHOICE_CONTEXT_KEY } from '../deploy/config.ts';
import { type Deployment, displayPath, loadDeployment, PLAN_INPUTS_FILE } from '../deploy/deployment.ts';
import { planSummary } from '../deploy/plan/format.ts';
import { FlightAnalyticsStack } from '../lib/flight-analytics-stack.ts';

const app = new App();
// Every synth is checked against the AWS Solutions rules; an unacknowledged finding stops synth.
// Accepted findings are acknowledged, with their reasons, next to the constructs that cause them.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

let deployment: Deployment;
try {
  deployment = loadDeployment({
    [CONFIG_CONTEXT_KEY]: app.node.tryGetContext(CONFIG_CONTEXT_KEY),
    [KAFKA_CHOICE_CONTEXT_KEY]: app.node.tryGetContext(KAFKA_CHOICE_CONTEXT_KEY),
  });
} catch (error) {
  // A configuration mistake is the user's to fix, not a crash: print the message, not a stack trace.
  console.error(`Invalid deployment configuration: ${(error as Error).message}`);
  process.exit(1);
}
console.error(`${planSummary(deployment.plan)} (${displayPath(PLAN_INPUTS_FILE)}); Kafka: ${deployment.kafkaChoice}`);

new FlightAnalyticsStack(app, `FlightAnalytics-${deployment.config.envName}`, {
  deployment,
  env: {
    account: process.env['CDK_DEFAULT_ACCOUNT'],
    region: process.env['CDK_DEFAULT_REGION'],
  },
});
