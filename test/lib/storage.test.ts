import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { AnalyticsBucket, type AnalyticsBucketProps } from '../../lib/storage.ts';
import { projectApp } from './fixtures.ts';

function newStack(): Stack {
  return new Stack(projectApp(), 'StorageTest');
}

describe('AnalyticsBucket', () => {
  it('uses SSE-KMS with a Bucket Key when given a key, and keeps SSE-S3 for the access logs', () => {
    // GIVEN a customer-managed key
    const stack = newStack();
    const key = new kms.Key(stack, 'Key');
    // WHEN the bucket is created with it
    const analytics = new AnalyticsBucket(stack, 'Analytics', { encryptionKey: key });
    // THEN the analytics bucket uses that key, with a Bucket Key to cut KMS calls
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
            },
          },
        ],
      },
    });
    // AND the access-log bucket stays on SSE-S3, the only default encryption log delivery supports
    const logBucket = stack.getLogicalId(analytics.accessLogsBucket.node.defaultChild as never);
    expect(template.findResources('AWS::S3::Bucket')[logBucket]!['Properties'].BucketEncryption).toStrictEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  it('expires access logs after accessLogExpirationDays', () => {
    const stack = newStack();
    new AnalyticsBucket(stack, 'Analytics', { accessLogExpirationDays: 400 });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          { Id: 'ExpireAccessLogs', ExpirationInDays: 400, Status: 'Enabled' },
          { Id: 'AbortIncompleteMultipartUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' },
        ],
      },
    });
  });

  it('keeps the key prefixes the Spark job is given', () => {
    expect([AnalyticsBucket.CHECKPOINTS_PREFIX, AnalyticsBucket.ANALYTICS_PREFIX, AnalyticsBucket.QUARANTINE_PREFIX]).toStrictEqual([
      'checkpoints/',
      'analytics/',
      'quarantine/',
    ]);
  });

  it.each<[keyof AnalyticsBucketProps, number]>([
    ['quarantineExpirationDays', 0],
    ['quarantineExpirationDays', 2.5],
    ['accessLogExpirationDays', -3],
  ])('throws naming %s when it is %d', (prop, value) => {
    // GIVEN a bad number of days
    // WHEN the bucket is created
    // THEN the error names the prop and the value
    expect(() => new AnalyticsBucket(newStack(), 'Analytics', { [prop]: value })).toThrow(
      `AnalyticsBucket: ${prop} must be a whole number of days >= 1, got ${value}`,
    );
  });
});
