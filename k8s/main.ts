/**
 * The cdk8s app: `npx cdk8s synth` writes one manifest per chart to dist/, in the order to apply them:
 * namespace and service accounts, topic Job, producer fleet, Spark job.
 *
 * Like bin/ for CDK, this is the only file under k8s/ that reads the environment. The defaults target
 * a local cluster with Kafka running in it; override them to point elsewhere:
 *   KAFKA_BOOTSTRAP_SERVERS  (default kafka.flight-analytics.svc:9092)
 *   FLIGHT_EVENTS_TOPIC      (default flight-events)
 *   PRODUCER_IMAGE           (default flight-producer:local)
 *   SPARK_JOB_IMAGE          (default flight-analytics-spark:local)
 *   ANALYTICS_BUCKET         (default flight-analytics-local)
 *   MSK_IAM_AUTH             ('true' for MSK with IAM auth; default plaintext)
 *   AWS_REGION               (region of MSK and the bucket, for IAM auth and S3A; default unset)
 *   TARGET_EVENTS_PER_HOUR   (default 1.2e9; every size comes from the capacity plan for it, with
 *                            the measured rates in bench/results/ when there are any)
 *   PRODUCER_REPLICAS        (default: the plan's)
 */
import { App } from 'cdk8s';
import { fileURLToPath } from 'node:url';
import { measuredPlanInput } from '../lib/plan/bench-rates.ts';
import { computeCapacityPlan } from '../lib/plan/capacity-plan.ts';
import { DEFAULT_PRODUCER_IMAGE, DEFAULT_SPARK_JOB_IMAGE, FlightAnalyticsNamespaceChart, NAMESPACE_CHART_NAME, PRODUCER_NAME, ProducerChart, SPARK_APPLICATION_NAME, SparkJobChart, TOPIC_JOB_NAME, TopicChart } from './index.ts';

const env = process.env;
// Measured rates from bench/results/ when present (as `npm run plan` shows), else the plan's defaults.
const plan = computeCapacityPlan({
  ...measuredPlanInput(fileURLToPath(new URL('../bench/results', import.meta.url))),
  // Number('') is 0 and Number('x') is NaN; both are then rejected by the plan with the value shown.
  targetEventsPerHour: env['TARGET_EVENTS_PER_HOUR'] === undefined ? undefined : Number(env['TARGET_EVENTS_PER_HOUR']),
});
const bootstrapServers = env['KAFKA_BOOTSTRAP_SERVERS'] ?? 'kafka.flight-analytics.svc:9092';
const topic = env['FLIGHT_EVENTS_TOPIC'] ?? 'flight-events';
const producerImage = env['PRODUCER_IMAGE'] ?? DEFAULT_PRODUCER_IMAGE;
const mskIamAuth = env['MSK_IAM_AUTH'] === 'true';
const awsRegion = env['AWS_REGION'] || undefined;
const security = mskIamAuth ? ('msk-iam' as const) : ('plaintext' as const);

const app = new App();

const namespace = new FlightAnalyticsNamespaceChart(app, NAMESPACE_CHART_NAME);
const topicChart = new TopicChart(app, TOPIC_JOB_NAME, { bootstrapServers, topic, image: producerImage, plan, security, awsRegion });
const producers = new ProducerChart(app, PRODUCER_NAME, {
  bootstrapServers,
  topic,
  image: producerImage,
  plan,
  security,
  awsRegion,
  replicas: env['PRODUCER_REPLICAS'] === undefined ? undefined : Number(env['PRODUCER_REPLICAS']),
});
const spark = new SparkJobChart(app, SPARK_APPLICATION_NAME, {
  bootstrapServers,
  topic,
  bucketName: env['ANALYTICS_BUCKET'] ?? 'flight-analytics-local',
  image: env['SPARK_JOB_IMAGE'] ?? DEFAULT_SPARK_JOB_IMAGE,
  mskIamAuth,
  awsRegion,
  plan,
});
// Apply order (dist/ file prefixes): namespace and service accounts, the topic Job, the producers.
topicChart.addDependency(namespace);
producers.addDependency(topicChart);
spark.addDependency(namespace);

app.synth();
