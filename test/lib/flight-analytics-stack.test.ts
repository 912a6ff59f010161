import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FlightAnalyticsStack, PROJECT_TAG_VALUE } from '../../lib/flight-analytics-stack.ts';
import { projectApp, projectConfig } from './fixtures.ts';

function synthStack(overrides: Parameters<typeof projectConfig>[0] = {}) {
  const app = projectApp();
  const stack = new FlightAnalyticsStack(app, 'FlightAnalytics-test', { config: projectConfig(overrides) });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id of the analytics bucket (the one that is not the access-log bucket). */
function analyticsBucketLogicalId(template: Template): string {
  const buckets = template.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } });
  const ids = Object.keys(buckets);
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

describe('FlightAnalyticsStack', () => {
  it('creates exactly the analytics bucket and its access-log bucket, both retained on delete', () => {
    // GIVEN the project configuration
    // WHEN the stack is synthesised
    const { template } = synthStack();
    // THEN there are two buckets, and deleting the stack keeps both
    template.resourceCountIs('AWS::S3::Bucket', 2);
    const buckets = template.findResources('AWS::S3::Bucket');
    for (const bucket of Object.values(buckets)) {
      expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('encrypts both buckets with S3-managed keys by default', () => {
    const { template } = synthStack();
    const buckets = template.findResources('AWS::S3::Bucket');
    for (const bucket of Object.values(buckets)) {
      expect(bucket['Properties'].BucketEncryption).toStrictEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    }
  });

  it('blocks all public access and disables ACLs on both buckets', () => {
    const { template } = synthStack();
    const buckets = template.findResources('AWS::S3::Bucket');
    for (const bucket of Object.values(buckets)) {
      expect(bucket['Properties']).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
    }
  });

  it('denies every request that is not over TLS 1.2+ on both buckets', () => {
    const { template } = synthStack();
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy['Properties'].PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          expect.objectContaining({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      );
    }
  });

  it('expires quarantine/ after the configured days and aborts incomplete multipart uploads', () => {
    // GIVEN a configuration with a 14-day quarantine
    // WHEN the stack is synthesised
    const { template } = synthStack({ quarantineExpirationDays: 14 });
    // THEN the analytics bucket has exactly these two lifecycle rules
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        LoggingConfiguration: Match.anyValue(),
        LifecycleConfiguration: {
          Rules: [
            { Id: 'ExpireQuarantine', Prefix: 'quarantine/', ExpirationInDays: 14, Status: 'Enabled' },
            { Id: 'AbortIncompleteMultipartUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' },
          ],
        },
      },
    });
  });

  it('sends the analytics bucket server access logs to the access-log bucket, and leaves versioning off', () => {
    const { template } = synthStack();
    const analyticsId = analyticsBucketLogicalId(template);
    const analytics = template.findResources('AWS::S3::Bucket')[analyticsId]!;
    expect(analytics['Properties'].LoggingConfiguration).toMatchObject({
      DestinationBucketName: { Ref: expect.stringMatching(/^AnalyticsBucketAccessLogs/) },
      LogFilePrefix: 'analytics-bucket/',
    });
    expect(analytics['Properties'].VersioningConfiguration).toBeUndefined();
    // The log bucket accepts deliveries through its bucket policy (no ACLs), only from this bucket.
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [analyticsId, 'Arn'] } } }),
          }),
        ]),
      },
    });
  });

  it('outputs the analytics bucket name', () => {
    const { template } = synthStack();
    template.hasOutput('AnalyticsBucketName', { Value: { Ref: analyticsBucketLogicalId(template) } });
  });

  it('tags the stack, and so every resource in it, with the project and environment', () => {
    // GIVEN the stack for environment "qa"
    const { app, stack } = synthStack({ envName: 'qa' });
    // WHEN the app is synthesised
    const artifact = app.synth().getStackByName(stack.stackName);
    // THEN the stack tags CloudFormation propagates to resources name the project and environment
    expect(artifact.tags).toStrictEqual({ Project: PROJECT_TAG_VALUE, Environment: 'qa' });
  });

  it('matches the snapshot', () => {
    const { template } = synthStack();
    expect(template.toJSON()).toMatchSnapshot();
  });
});
