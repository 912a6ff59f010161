/**
 * Every CloudWatch Logs group of the stack encrypted with one customer-managed KMS key: the VPC
 * flow logs, the MSK broker logs, and the log groups CDK adds for its custom-resource handlers.
 */
import { Aspects, AspectPriority, RemovalPolicy, Stack, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';

/**
 * A rotated KMS key that CloudWatch Logs may use for the log groups of this account and region, and
 * an aspect that sets it on every `AWS::Logs::LogGroup` in the stack that has no key of its own, so a
 * log group added later (by us or by a CDK construct) is encrypted too.
 */
export class LogEncryption extends Construct {
  public readonly key: kms.Key;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: 'Encryption at rest of the Flight Analytics CloudWatch Logs groups',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts with the key on behalf of a log group; the condition limits it to the
    // log groups of this account and region.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsForThisAccountAndRegion',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
        },
      }),
    );
    Aspects.of(stack).add(new EncryptLogGroups(this.key), { priority: AspectPriority.MUTATING });
  }
}

/** Sets `KmsKeyId` on every log group that does not name a key already. */
class EncryptLogGroups implements IAspect {
  public constructor(private readonly key: kms.IKey) {}

  public visit(node: IConstruct): void {
    if (node instanceof logs.CfnLogGroup && node.kmsKeyId === undefined) {
      node.kmsKeyId = this.key.keyArn;
    }
  }
}
