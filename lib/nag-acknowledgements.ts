/**
 * cdk-nag AwsSolutions findings this project accepts. Each construct acknowledges its own findings,
 * next to the code that causes them, through {@link acknowledgeFindings}; the ones in
 * {@link acknowledgeStackNagFindings} come from resources CDK adds once per stack.
 *
 * cdk-nag 3 matches a finding by its exact id, e.g. `AwsSolutions-IAM4[Policy::<arn>]`, on the
 * resource or any construct above it. test/lib/nag.test.ts proves every acknowledgement here still
 * matches a finding, so none outlives the reason it was written for.
 */
import { Validations, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A finding id and why it is accepted. */
export interface NagFinding {
  /** `AwsSolutions-<rule>` or `AwsSolutions-<rule>[<finding>]`, exactly as cdk-nag reports it. */
  readonly id: string;
  /** Why the finding is accepted; read by reviewers, so specific to this project. */
  readonly reason: string;
}

/** Acknowledges findings on `scope` and everything below it. */
export function acknowledgeFindings(scope: IConstruct, findings: readonly NagFinding[]): void {
  for (const finding of findings) {
    if (finding.reason.trim().length < 20) {
      throw new Error(`acknowledgeFindings: ${finding.id} needs a written reason, got ${JSON.stringify(finding.reason)}`);
    }
  }
  Validations.of(scope).acknowledge(...findings);
}

/** `AwsSolutions-IAM4` finding id for an AWS managed policy, as cdk-nag renders its ARN. */
export function managedPolicyFinding(policyPath: string): string {
  return `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policyPath}]`;
}

/** Acknowledges findings on resources CDK creates once per stack (singleton custom-resource providers). */
export function acknowledgeStackNagFindings(stack: Stack): void {
  const awsCustomResourceProvider = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  if (awsCustomResourceProvider !== undefined) {
    acknowledgeFindings(awsCustomResourceProvider, [
      {
        id: managedPolicyFinding('service-role/AWSLambdaBasicExecutionRole'),
        reason:
          'The AwsCustomResource provider function (it reads the MSK bootstrap brokers) only needs to write its own logs; ' +
          'AWSLambdaBasicExecutionRole grants exactly CreateLogGroup/CreateLogStream/PutLogEvents, which CDK attaches to the singleton.',
      },
    ]);
  }
}
