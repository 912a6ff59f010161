/**
 * How the producer talks to Kafka: PLAINTEXT (the local broker), TLS, or TLS with SASL
 * OAUTHBEARER tokens signed for Amazon MSK IAM (`aws-msk-iam-sasl-signer-js`, port 9098).
 * The options are plain data (they travel to worker threads); the token provider is built from
 * them inside each thread.
 */

import { readFileSync } from 'node:fs';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { type ConnectionOptions } from '@platformatic/kafka';

export const SECURITY_MODES = ['plaintext', 'tls', 'msk-iam'] as const;
export type SecurityMode = (typeof SECURITY_MODES)[number];

export interface SecurityOptions {
  readonly mode: SecurityMode;
  /** PEM file of the CA to trust instead of Node's bundled roots (tls and msk-iam); undefined = system roots. */
  readonly tlsCaFile?: string | undefined;
  /** PEM client certificate and its key for mutual TLS (tls only, e.g. a Strimzi KafkaUser); both or neither. */
  readonly tlsCertFile?: string | undefined;
  readonly tlsKeyFile?: string | undefined;
  /** AWS region the MSK cluster is in; required for msk-iam (signs the token for kafka-cluster:Connect). */
  readonly awsRegion?: string | undefined;
}

/** The signer's call, replaceable in tests (no AWS here). */
export type MskTokenSigner = (region: string) => Promise<{ token: string }>;

const defaultSigner: MskTokenSigner = (region) => generateAuthToken({ region });

/** The `tls` and `sasl` options of a @platformatic/kafka client for these security options. */
export function connectionSecurity(options: SecurityOptions | undefined, signer: MskTokenSigner = defaultSigner): Pick<ConnectionOptions, 'tls' | 'sasl'> {
  if (options === undefined || options.mode === 'plaintext') return {};
  const tls = options.tlsCaFile === undefined ? {} : { ca: readFileSync(options.tlsCaFile, 'utf8') };
  if (options.mode === 'tls') {
    if (options.tlsCertFile === undefined || options.tlsKeyFile === undefined) return { tls };
    return { tls: { ...tls, cert: readFileSync(options.tlsCertFile, 'utf8'), key: readFileSync(options.tlsKeyFile, 'utf8') } };
  }
  const region = options.awsRegion;
  if (region === undefined || region === '') {
    throw new Error('security msk-iam needs an AWS region (--aws-region or AWS_REGION) to sign its tokens');
  }
  return {
    tls,
    sasl: {
      mechanism: 'OAUTHBEARER',
      // Called on every (re)connection, so each connection gets a fresh 15-minute token.
      token: async () => (await signer(region)).token,
    },
  };
}
