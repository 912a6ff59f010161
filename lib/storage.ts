/**
 * Where the Spark job keeps what outlives a pod: streaming checkpoints, analytics output, and
 * events it could not parse.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DEFAULT_QUARANTINE_EXPIRATION_DAYS } from '../deploy/config.ts';
import { acknowledgeCheckovFindings } from './nag-acknowledgements.ts';

/** Properties of an {@link AnalyticsBucket}. */
export interface AnalyticsBucketProps {
  /**
   * Customer-managed KMS key to encrypt the analytics bucket with (SSE-KMS, with an S3 Bucket Key so
   * the many small checkpoint writes do not each call KMS). Whoever reads or writes the bucket then
   * also needs kms:Decrypt / kms:GenerateDataKey on this key.
   *
   * The access-log bucket always uses SSE-S3: S3 server access logging cannot deliver to a bucket
   * whose default encryption is SSE-KMS.
   *
   * @default - SSE-S3 (S3-managed keys)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Days S3 keeps objects under `quarantine/` before deleting them. A whole number >= 1.
   * @default 30
   */
  readonly quarantineExpirationDays?: number;
  /**
   * Days S3 keeps server access log objects before deleting them. A whole number >= 1.
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
}

/** Default number of days server access log objects are kept. */
const DEFAULT_ACCESS_LOG_EXPIRATION_DAYS = 90;

/** Days after which S3 aborts a multipart upload that was never completed and drops its parts. */
const ABORT_INCOMPLETE_MULTIPART_UPLOAD_AFTER_DAYS = 7;

/**
 * The analytics bucket, plus the bucket that receives its S3 server access logs.
 *
 * Layout, by key prefix (the Spark job is given these as arguments):
 * - `checkpoints/` Structured Streaming checkpoints and state store files,
 * - `analytics/` the job's output tables,
 * - `quarantine/` raw events that failed to parse, expired after `quarantineExpirationDays`.
 *
 * Both buckets block all public access, deny requests that are not TLS 1.2+, and are retained
 * when the stack is deleted: checkpoints and results must survive a stack replacement.
 *
 * Versioning is off on purpose. Spark rewrites and deletes checkpoint and state files on every
 * micro-batch; with versioning each delete leaves a noncurrent version and a delete marker, which
 * costs storage and slows the LIST calls Spark's checkpoint manager makes on every batch. What the
 * bucket holds can be rebuilt by replaying Kafka, so old versions would buy little.
 */
export class AnalyticsBucket extends Construct {
  /** Key prefix of Structured Streaming checkpoints. */
  public static readonly CHECKPOINTS_PREFIX = 'checkpoints/';
  /** Key prefix of the analytics output tables. */
  public static readonly ANALYTICS_PREFIX = 'analytics/';
  /** Key prefix of events that failed to parse; expired by a lifecycle rule. */
  public static readonly QUARANTINE_PREFIX = 'quarantine/';

  /** The bucket for checkpoints, analytics output and quarantine. Grant access to it from workload identities. */
  public readonly bucket: s3.Bucket;
  /** The bucket that receives the analytics bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;

  public constructor(scope: Construct, id: string, props: AnalyticsBucketProps = {}) {
    super(scope, id);

    const quarantineExpirationDays = wholeDays('quarantineExpirationDays', props.quarantineExpirationDays ?? DEFAULT_QUARANTINE_EXPIRATION_DAYS);
    const accessLogExpirationDays = wholeDays('accessLogExpirationDays', props.accessLogExpirationDays ?? DEFAULT_ACCESS_LOG_EXPIRATION_DAYS);

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Logs are append-only and expire; versions would only add cost.
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'ExpireAccessLogs', expiration: Duration.days(accessLogExpirationDays) },
        {
          id: 'AbortIncompleteMultipartUploads',
          abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_MULTIPART_UPLOAD_AFTER_DAYS),
        },
      ],
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...(props.encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: false, // see the class comment
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'analytics-bucket/',
      // Date-partitioned log keys, so Athena can prune by day when someone investigates access.
      targetObjectKeyFormat: s3.TargetObjectKeyFormat.partitionedPrefix(s3.PartitionDateSource.EVENT_TIME),
      lifecycleRules: [
        {
          id: 'ExpireQuarantine',
          prefix: AnalyticsBucket.QUARANTINE_PREFIX,
          expiration: Duration.days(quarantineExpirationDays),
        },
        {
          // Spark and the S3A committer upload large files in parts; a killed executor leaves parts
          // that are billed but invisible in listings.
          id: 'AbortIncompleteMultipartUploads',
          abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_MULTIPART_UPLOAD_AFTER_DAYS),
        },
      ],
    });

    acknowledgeCheckovFindings(this.bucket, 'AWS::S3::Bucket', [
      {
        id: 'CKV_AWS_21',
        reason:
          'Versioning is off on purpose: Spark rewrites and deletes checkpoint files every micro-batch, so versions would pile up as storage and slow its listings, and the contents can be rebuilt from Kafka (see the class comment).',
      },
    ]);
    acknowledgeCheckovFindings(this.accessLogsBucket, 'AWS::S3::Bucket', [
      {
        id: 'CKV_AWS_21',
        reason: 'Access logs are written once by S3 and expire by a lifecycle rule; nothing overwrites them, so versions would only add cost.',
      },
      {
        id: 'CKV_AWS_18',
        reason: 'This is the bucket that receives the analytics bucket\'s access logs; logging it as well would need a third bucket, whose own logs would raise the same finding.',
      },
    ]);
  }
}

function wholeDays(prop: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`AnalyticsBucket: ${prop} must be a whole number of days >= 1, got ${value}`);
  }
  return value;
}
