/**
 * The AWS side of the pipeline, composed from one construct per concern (see lib/).
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { FlightAnalyticsConfig } from './config.ts';
import { AnalyticsBucket } from './storage.ts';

/** Value of the `Project` tag on the stack and, through CloudFormation, on every resource in it. */
export const PROJECT_TAG_VALUE = 'flight-data-analytics';

/** Properties of a {@link FlightAnalyticsStack}. */
export interface FlightAnalyticsStackProps extends StackProps {
  /** The validated deployment configuration (from `parseFlightAnalyticsConfig`). */
  readonly config: FlightAnalyticsConfig;
}

/**
 * One deployment of Flight Data Analytics: flight events -> Kafka -> Spark Structured Streaming -> S3.
 *
 * Constructs are created in the order data flows, and each takes what it depends on as props
 * (the network, the cluster, the bucket), so adding the Kafka cluster or the EKS cluster is one more
 * construct here that receives the ones it needs. Today the stack holds the storage the Spark job
 * writes to.
 *
 * Tags: the `Project` and `Environment` tags are stack tags, which CloudFormation applies to every
 * resource it creates (the `@aws-cdk/core:explicitStackTags` flag is on, so `Tags.of(stack)` would
 * not set them).
 */
export class FlightAnalyticsStack extends Stack {
  /** Checkpoints, analytics output and quarantined events. */
  public readonly analyticsBucket: AnalyticsBucket;

  public constructor(scope: Construct, id: string, props: FlightAnalyticsStackProps) {
    const { config, ...stackProps } = props;
    super(scope, id, {
      description: `Flight Data Analytics (${config.envName}): flight events -> Kafka -> Spark Structured Streaming -> S3`,
      ...stackProps,
      tags: { Project: PROJECT_TAG_VALUE, Environment: config.envName, ...stackProps.tags },
    });

    this.analyticsBucket = new AnalyticsBucket(this, 'AnalyticsBucket', {
      quarantineExpirationDays: config.quarantineExpirationDays,
    });

    new CfnOutput(this, 'AnalyticsBucketName', {
      description: 'S3 bucket for Spark checkpoints (checkpoints/), analytics output (analytics/) and quarantined events (quarantine/)',
      value: this.analyticsBucket.bucket.bucketName,
    });
  }
}
