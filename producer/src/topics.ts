/**
 * `producer topics`: creates the flight-events topic before producers start (the Kubernetes Job
 * in AWS runs it). Idempotent: a topic that exists already is reported and left alone, so the
 * Job can run again; a different partition count is reported, since it changes key placement.
 */

import { Admin } from '@platformatic/kafka';
import { type TopicsConfig } from './config.ts';
import { describeKafkaError } from './kafka-sender.ts';
import { connectionSecurity } from './security.ts';

export interface TopicsOutcome {
  readonly created: boolean;
  /** Partitions the topic has now. */
  readonly partitions: number;
}

export async function createTopic(config: TopicsConfig, log: (line: string) => void): Promise<TopicsOutcome> {
  const admin = new Admin({
    clientId: config.clientId,
    bootstrapBrokers: [...config.bootstrapBrokers],
    retries: 3,
    retryDelay: 500,
    connectTimeout: 10_000,
    timeout: 30_000,
    ...connectionSecurity(config.security),
  });
  const where = config.bootstrapBrokers.join(',');
  try {
    const existing = await partitionsOf(admin, config.topic);
    if (existing !== undefined) {
      const note = existing === config.partitions ? '' : ` (not the ${config.partitions} asked for; left unchanged)`;
      log(`topic "${config.topic}" exists already on ${where} with ${existing} partitions${note}`);
      return { created: false, partitions: existing };
    }
    await admin.createTopics({
      topics: [config.topic],
      partitions: config.partitions,
      replicas: config.replicationFactor,
      configs: Object.entries(config.topicConfigs).map(([name, value]) => ({ name, value })),
    });
    log(
      `created topic "${config.topic}" on ${where}: ${config.partitions} partitions, replication factor ${config.replicationFactor}` +
        `${Object.keys(config.topicConfigs).length > 0 ? `, ${Object.entries(config.topicConfigs).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}`,
    );
    return { created: true, partitions: config.partitions };
  } catch (error) {
    throw new Error(`cannot create topic "${config.topic}" on Kafka at ${where}: ${describeKafkaError(error)}`, { cause: error });
  } finally {
    await admin.close();
  }
}

async function partitionsOf(admin: Admin, topic: string): Promise<number | undefined> {
  const topics = await admin.listTopics({ includeInternals: false });
  if (!topics.includes(topic)) return undefined;
  const metadata = await admin.metadata({ topics: [topic] });
  return metadata.topics.get(topic)?.partitionsCount;
}
