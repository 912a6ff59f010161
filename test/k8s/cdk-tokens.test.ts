/**
 * The CDK stack embeds these charts with `addCdk8sChart` and passes CDK tokens (MSK bootstrap
 * brokers, bucket name, ECR image URIs) where `k8s/main.ts` passes plain strings.
 */
import { Lazy, Token } from 'aws-cdk-lib';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { FlightAnalyticsNamespaceChart, ProducerChart, SparkJobChart, TopicChart } from '../../k8s/index.ts';
import { testPlan } from '../deploy/fixtures.ts';
import { MSK_IAM } from './fixtures.ts';

describe('charts with CDK tokens for their strings', () => {
  it('accept unresolved tokens and carry them into the manifests', () => {
    // GIVEN token strings, as the MSK cluster, the bucket and the image assets give them
    const token = (value: string) => Lazy.string({ produce: () => value });
    const bootstrapServers = token('b-1:9098');
    const bucketName = token('bucket');
    const image = token('123.dkr.ecr/flight@sha256:1');
    expect(Token.isUnresolved(bootstrapServers)).toBe(true);
    // WHEN the charts are built with them
    const app = Testing.app();
    new FlightAnalyticsNamespaceChart(app, 'ns');
    const common = { bootstrapServers, image, plan: testPlan(), kafkaSecurity: MSK_IAM };
    const topic = new TopicChart(app, 'topic', common);
    const producer = new ProducerChart(app, 'producer', common);
    const spark = new SparkJobChart(app, 'spark', { ...common, bucketName });
    // THEN no prop check rejects them, and each token string lands where the plain value would
    expect(JSON.stringify(Testing.synth(topic))).toContain(bootstrapServers);
    expect(JSON.stringify(Testing.synth(producer))).toContain(image);
    expect(JSON.stringify(Testing.synth(spark))).toContain(`s3a://${bucketName}/checkpoints`);
  });
});
