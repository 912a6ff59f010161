/**
 * The cdk8s app: `npx cdk8s synth` writes one manifest per chart to dist/.
 *
 * Like bin/ for CDK, this is the only file under k8s/ that reads the environment. The defaults target
 * a local cluster with Kafka running in it; override them to point elsewhere:
 *   KAFKA_BOOTSTRAP_SERVERS  (default kafka.flight-analytics.svc:9092)
 *   FLIGHT_EVENTS_TOPIC      (default flight-events)
 *   PRODUCER_IMAGE           (default flight-producer:local)
 *   PRODUCER_REPLICAS        (default 1)
 */
import { App } from 'cdk8s';
import { DEFAULT_PRODUCER_IMAGE, PRODUCER_NAME, ProducerChart } from './producer-chart.ts';

const env = process.env;
const replicasText = env['PRODUCER_REPLICAS'] ?? '1';

const app = new App();

new ProducerChart(app, PRODUCER_NAME, {
  bootstrapServers: env['KAFKA_BOOTSTRAP_SERVERS'] ?? 'kafka.flight-analytics.svc:9092',
  topic: env['FLIGHT_EVENTS_TOPIC'] ?? 'flight-events',
  image: env['PRODUCER_IMAGE'] ?? DEFAULT_PRODUCER_IMAGE,
  // Number('') is 0 and Number('x') is NaN; both are then rejected by the chart with the value shown.
  replicas: Number(replicasText),
});

app.synth();
