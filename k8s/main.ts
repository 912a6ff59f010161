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
 *   KAFKA                    'strimzi' adds the Strimzi Kafka chart (3 controllers, 3 brokers, topic,
 *                            users) instead of the topic Job, and points the producers and Spark at its
 *                            TLS listener with client certificates; KAFKA_BOOTSTRAP_SERVERS and
 *                            MSK_IAM_AUTH are then ignored. Needs the Strimzi operator in the cluster.
 */
import { App } from 'cdk8s';
import { fileURLToPath } from 'node:url';
import { measuredPlanInput } from '../lib/plan/bench-rates.ts';
import { computeCapacityPlan } from '../lib/plan/capacity-plan.ts';
import {
  DEFAULT_PRODUCER_IMAGE,
  DEFAULT_SPARK_JOB_IMAGE,
  FlightAnalyticsNamespaceChart,
  NAMESPACE_CHART_NAME,
  PRODUCER_NAME,
  PRODUCER_SERVICE_ACCOUNT,
  ProducerChart,
  SPARK_APPLICATION_NAME,
  SPARK_SERVICE_ACCOUNT,
  SparkJobChart,
  StrimziKafkaChart,
  strimziBootstrapServers,
  strimziClientTls,
  TOPIC_JOB_NAME,
  TopicChart,
} from './index.ts';

const env = process.env;
// Measured rates from bench/results/ when present (as `npm run plan` shows), else the plan's defaults.
const plan = computeCapacityPlan({
  ...measuredPlanInput(fileURLToPath(new URL('../bench/results', import.meta.url))),
  // Number('') is 0 and Number('x') is NaN; both are then rejected by the plan with the value shown.
  targetEventsPerHour: env['TARGET_EVENTS_PER_HOUR'] === undefined ? undefined : Number(env['TARGET_EVENTS_PER_HOUR']),
});
const kafka = env['KAFKA'] ?? 'external';
if (kafka !== 'external' && kafka !== 'strimzi') {
  throw new Error(`KAFKA: expected "strimzi" or unset (an external Kafka at KAFKA_BOOTSTRAP_SERVERS), got ${JSON.stringify(kafka)}`);
}
const strimzi = kafka === 'strimzi';
const bootstrapServers = strimzi ? strimziBootstrapServers() : (env['KAFKA_BOOTSTRAP_SERVERS'] ?? 'kafka.flight-analytics.svc:9092');
const topic = env['FLIGHT_EVENTS_TOPIC'] ?? 'flight-events';
const producerImage = env['PRODUCER_IMAGE'] ?? DEFAULT_PRODUCER_IMAGE;
const mskIamAuth = !strimzi && env['MSK_IAM_AUTH'] === 'true';
const awsRegion = env['AWS_REGION'] || undefined;
const security = strimzi ? ('tls' as const) : mskIamAuth ? ('msk-iam' as const) : ('plaintext' as const);

const app = new App();

const namespace = new FlightAnalyticsNamespaceChart(app, NAMESPACE_CHART_NAME);
// The topic comes from a KafkaTopic in the Strimzi chart, or from the topic Job.
const topicSource = strimzi
  ? new StrimziKafkaChart(app, 'flight-kafka', { plan, topic })
  : new TopicChart(app, TOPIC_JOB_NAME, { bootstrapServers, topic, image: producerImage, plan, security, awsRegion });
const producers = new ProducerChart(app, PRODUCER_NAME, {
  ...(strimzi ? { clientTls: strimziClientTls(PRODUCER_SERVICE_ACCOUNT) } : {}),
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
  ...(strimzi ? { clientTls: strimziClientTls(SPARK_SERVICE_ACCOUNT), consumerGroupId: SPARK_SERVICE_ACCOUNT } : {}),
});
// Apply order (dist/ file prefixes): namespace and service accounts, the topic Job, the producers.
topicSource.addDependency(namespace);
producers.addDependency(topicSource);
spark.addDependency(namespace);

app.synth();
