import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseProducerConfig, type ProduceConfig } from '../../producer/src/config.ts';
import { connectionSecurity } from '../../producer/src/security.ts';

function produceConfig(args: string[], env: Record<string, string> = {}): ProduceConfig {
  return parseProducerConfig(['produce', ...args], env, 0) as ProduceConfig;
}

describe('Kafka connection security', () => {
  it('uses PLAINTEXT by default: no tls, no sasl', () => {
    const config = produceConfig([]);
    expect(config.security).toStrictEqual({ mode: 'plaintext', tlsCaFile: undefined, tlsCertFile: undefined, tlsKeyFile: undefined, awsRegion: undefined });
    expect(connectionSecurity(config.security)).toStrictEqual({});
  });

  it('turns on TLS with a CA bundle read from --tls-ca-file', async () => {
    // GIVEN a CA file
    const dir = await mkdtemp(join(tmpdir(), 'producer-sec-'));
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n');
    try {
      // WHEN configured for tls
      const options = connectionSecurity(produceConfig(['--security', 'tls', '--tls-ca-file', ca]).security);
      // THEN the client gets TLS with that CA and no SASL
      expect(options).toStrictEqual({ tls: { ca: '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('presents a client certificate and key for mutual TLS (Strimzi KafkaUser) from the environment', async () => {
    // GIVEN a CA, a certificate and a key, named by the variables the Strimzi producer chart sets
    const dir = await mkdtemp(join(tmpdir(), 'producer-mtls-'));
    const files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'user.crt'), key: join(dir, 'user.key') };
    await writeFile(files.ca, 'CA PEM');
    await writeFile(files.cert, 'CERT PEM');
    await writeFile(files.key, 'KEY PEM');
    try {
      // WHEN configured for tls through PRODUCER_* variables
      const config = produceConfig([], {
        PRODUCER_SECURITY: 'tls',
        PRODUCER_TLS_CA_FILE: files.ca,
        PRODUCER_TLS_CERT_FILE: files.cert,
        PRODUCER_TLS_KEY_FILE: files.key,
      });
      // THEN the client's TLS options carry all three, and there is no SASL
      expect(connectionSecurity(config.security)).toStrictEqual({ tls: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a certificate without its key, a key without its certificate, and either one outside tls', () => {
    const messageOf = (args: string[]): string => {
      try {
        parseProducerConfig(['produce', ...args], {}, 0, () => {});
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      throw new Error(`no error for ${args.join(' ')}`);
    };
    expect(messageOf(['--security', 'tls', '--tls-cert-file', '/c.pem'])).toBe(
      '--tls-cert-file: expected a client certificate together with --tls-key-file (its private key), got "/c.pem"',
    );
    expect(messageOf(['--security', 'tls', '--tls-key-file', '/k.pem'])).toBe(
      '--tls-key-file: expected a private key together with --tls-cert-file (its certificate), got "/k.pem"',
    );
    expect(messageOf(['--security', 'msk-iam', '--aws-region', 'eu-west-1', '--tls-cert-file', '/c.pem', '--tls-key-file', '/k.pem'])).toBe(
      '--tls-cert-file: expected no client certificate or key with --security msk-iam (only tls uses them), got "/c.pem"',
    );
  });

  it('wires MSK IAM as TLS + SASL OAUTHBEARER with a token signed for the configured region on every connection', async () => {
    // GIVEN msk-iam with the region from AWS_REGION, and a signer that records its calls (no AWS here)
    const config = produceConfig(['--security', 'msk-iam', '--bootstrap', 'b-1.msk.eu-west-1.amazonaws.com:9098'], { AWS_REGION: 'eu-west-1' });
    const regions: string[] = [];
    const options = connectionSecurity(config.security, async (region) => {
      regions.push(region);
      return { token: `token-${regions.length}` };
    });
    // WHEN the client asks for a token twice (two connections)
    expect(options.tls).toStrictEqual({});
    expect(options.sasl?.mechanism).toBe('OAUTHBEARER');
    const provider = options.sasl?.token as () => Promise<string>;
    // THEN each call signs a fresh token for eu-west-1
    expect(await provider()).toBe('token-1');
    expect(await provider()).toBe('token-2');
    expect(regions).toStrictEqual(['eu-west-1', 'eu-west-1']);
  });

  it('refuses msk-iam without a region, a malformed region, an unknown mode and a CA file with plaintext', () => {
    const errorOf = (args: string[]): ConfigError => {
      try {
        produceConfig(args);
      } catch (error) {
        if (error instanceof ConfigError) return error;
        throw error;
      }
      throw new Error(`no error for ${args.join(' ')}`);
    };
    expect(errorOf(['--security', 'msk-iam']).message).toMatch(/--security msk-iam: expected --aws-region/);
    expect(errorOf(['--security', 'msk-iam', '--aws-region', 'Europe']).message).toMatch(/--aws-region: expected an AWS region such as eu-west-1, got "Europe"/);
    expect(errorOf(['--security', 'kerberos']).message).toMatch(/--security: expected one of plaintext\|tls\|msk-iam, got "kerberos"/);
    expect(errorOf(['--tls-ca-file', '/tmp/ca.pem']).message).toMatch(/--tls-ca-file: expected no CA file with --security plaintext/);
  });
});
