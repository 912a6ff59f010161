/**
 * The cdk8s app: `npx cdk8s synth` writes the manifests `cdk deploy` applies to dist/, one file per
 * chart, in the order they are applied. It reads the same deployment as the CDK app (bin/app.ts):
 * the capacity plan of deploy/plan-inputs.json and cdk.json's context (`flightAnalytics`, `kafka`),
 * and builds the same charts through workload-charts.ts. test/k8s/dist-vs-template.test.ts holds
 * dist/ equal to the manifests in the synthesised template.
 *
 * Like bin/ for CDK, this is the only file under k8s/ that reads the environment:
 *   KAFKA                    where Kafka runs, as `-c kafka=...` does for cdk synth: msk or strimzi
 *                            (default: cdk.json's `kafka`, msk)
 * and the values only a deployment knows, shown as placeholders named after the stack's outputs
 * unless given:
 *   KAFKA_BOOTSTRAP_SERVERS  MSK's bootstrap servers (output KafkaBootstrapBrokers); unused with Strimzi
 *   ANALYTICS_BUCKET         the bucket (output AnalyticsBucketName)
 *   PRODUCER_IMAGE           the producer image (output ProducerImageUri)
 *   SPARK_JOB_IMAGE          the Spark job image (output SparkJobImageUri)
 *   AWS_REGION               the stack's region
 */
import { App } from 'cdk8s';
import { CONFIG_CONTEXT_KEY, KAFKA_CHOICE_CONTEXT_KEY, parseKafkaChoice } from '../deploy/config.ts';
import { type Deployment, displayPath, loadDeployment, PLAN_INPUTS_FILE, readCdkContext } from '../deploy/deployment.ts';
import { planSummary } from '../deploy/plan/format.ts';
import { composeWorkloadCharts } from './workload-charts.ts';

const env = process.env;
let deployment: Deployment;
try {
  const context = readCdkContext();
  const fromCdkJson = loadDeployment({ [CONFIG_CONTEXT_KEY]: context[CONFIG_CONTEXT_KEY], [KAFKA_CHOICE_CONTEXT_KEY]: context[KAFKA_CHOICE_CONTEXT_KEY] });
  deployment =
    env['KAFKA'] === undefined
      ? fromCdkJson
      : { ...fromCdkJson, kafkaChoice: parseKafkaChoice(env['KAFKA'], 'KAFKA', 'Set KAFKA=strimzi or KAFKA=msk, or leave it unset for cdk.json\'s "kafka"') };
} catch (error) {
  // A configuration mistake is the user's to fix, not a crash: print the message, not a stack trace.
  console.error(`cdk8s synth: ${(error as Error).message}`);
  process.exit(1);
}
console.error(`${planSummary(deployment.plan)} (${displayPath(PLAN_INPUTS_FILE)}); Kafka: ${deployment.kafkaChoice}`);

const app = new App();
composeWorkloadCharts(app, deployment, {
  mskBootstrapServers: env['KAFKA_BOOTSTRAP_SERVERS'] ?? '<KafkaBootstrapBrokers>',
  bucketName: env['ANALYTICS_BUCKET'] ?? '<AnalyticsBucketName>',
  producerImage: env['PRODUCER_IMAGE'] ?? '<ProducerImageUri>',
  sparkJobImage: env['SPARK_JOB_IMAGE'] ?? '<SparkJobImageUri>',
  awsRegion: env['AWS_REGION'] ?? '<AWS::Region>',
});
app.synth();
