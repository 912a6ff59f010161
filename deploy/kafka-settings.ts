/**
 * Broker settings every Kafka this project runs shares, whoever runs it: Amazon MSK (lib/kafka.ts)
 * and Strimzi on EKS (k8s/strimzi-kafka-chart.ts).
 */

/**
 * Broker settings that differ from Kafka's defaults. Topics are created on purpose (by the producer's
 * topic Job or a KafkaTopic, with the partition count the plan sizes), never by a typo; every write
 * is on three brokers and acknowledged by two, so one broker or AZ can go while acks=all producers
 * keep writing.
 */
export const KAFKA_SERVER_PROPERTIES: Readonly<Record<string, string>> = {
  'auto.create.topics.enable': 'false',
  'default.replication.factor': '3',
  'min.insync.replicas': '2',
};
