/**
 * How a workload proves who it is to Kafka. Every chart that talks to Kafka takes this one type, and
 * the chart composition (workload-charts.ts) picks it from the deployment's Kafka choice:
 * - `msk-iam`: TLS, and SASL signed with the pod's IAM role (EKS Pod Identity), for Amazon MSK;
 * - `mtls`: TLS with a client certificate, for Kafka on Strimzi. The cluster CA (`ca.crt`) and the
 *   client's certificate and key (`user.crt`, `user.key`) are mounted from two Secrets that Strimzi
 *   creates (see strimziClientTls).
 * There is no plaintext choice: every Kafka this project deploys requires TLS and authentication.
 */
export type KafkaSecurity =
  | { readonly kind: 'msk-iam' }
  | { readonly kind: 'mtls'; readonly clusterCaSecret: string; readonly userSecret: string };

/** The security kinds, for error messages. */
export const KAFKA_SECURITY_KINDS: readonly KafkaSecurity['kind'][] = ['msk-iam', 'mtls'];

/**
 * Checks a KafkaSecurity that may come from untyped code.
 * @throws Error naming the chart, the prop and the value.
 */
export function requireKafkaSecurity(chart: string, security: KafkaSecurity): KafkaSecurity {
  if (typeof security !== 'object' || security === null || !KAFKA_SECURITY_KINDS.includes(security.kind)) {
    throw new Error(`${chart}: kafkaSecurity must be {kind: ${KAFKA_SECURITY_KINDS.map((k) => `"${k}"`).join(' | ')}}, got ${JSON.stringify(security)}`);
  }
  return security;
}
