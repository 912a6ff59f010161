#!/usr/bin/env node
/**
 * The CDK app. The only place that reads CDK context and the environment; everything below it takes props.
 *
 * `npx cdk synth` works without AWS credentials: when CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION are unset,
 * the stack is environment-agnostic.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_CONTEXT_KEY, type FlightAnalyticsConfig, KAFKA_CHOICE_CONTEXT_KEY, type KafkaChoice, parseFlightAnalyticsConfig, parseKafkaChoice } from '../lib/config.ts';
import { FlightAnalyticsStack } from '../lib/flight-analytics-stack.ts';

const app = new App();
// Every synth is checked against the AWS Solutions rules; an unacknowledged finding stops synth.
// Accepted findings are acknowledged, with their reasons, next to the constructs that cause them.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

let config: FlightAnalyticsConfig;
let kafkaChoice: KafkaChoice;
try {
  config = parseFlightAnalyticsConfig(app.node.tryGetContext(CONFIG_CONTEXT_KEY));
  kafkaChoice = parseKafkaChoice(app.node.tryGetContext(KAFKA_CHOICE_CONTEXT_KEY));
} catch (error) {
  // A configuration mistake is the user's to fix, not a crash: print the message, not a stack trace.
  console.error(`Invalid CDK context: ${(error as Error).message}`);
  process.exit(1);
}

new FlightAnalyticsStack(app, `FlightAnalytics-${config.envName}`, {
  config,
  kafkaChoice,
  env: {
    account: process.env['CDK_DEFAULT_ACCOUNT'],
    region: process.env['CDK_DEFAULT_REGION'],
  },
});
