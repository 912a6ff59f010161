/**
 * cdk-nag AwsSolutions findings this project accepts. Each construct acknowledges its own findings,
 * next to the code that causes them, through {@link acknowledgeFindings}; the ones in
 * {@link acknowledgeStackNagFindings} come from resources CDK adds once per stack.
 *
 * cdk-nag 3 matches a finding by its exact id, e.g. `AwsSolutions-IAM4[Policy::<arn>]`, on the
 * resource or any construct above it. test/lib/flight-analytics-stack.test.ts proves every acknowledgement still
 * matches a finding, so none outlives the reason it was written for.
 */
import { CfnResource, Validations, type Stack } from 'aws-cdk-lib';
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

/** A checkov check id (`CKV_AWS_<n>`) and why it does not apply to a resource. */
export interface CheckovFinding {
  readonly id: string;
  /** Why the check is skipped here; checkov prints it as the skip comment. */
  readonly reason: string;
}

/**
 * Skips checkov checks on every CloudFormation resource of `resourceType` at or below `scope`, with
 * the reason written into the resource's `Metadata.checkov.skip` (where checkov reads it).
 * test/lib/template-lint.test.ts proves each skip hides a real failure.
 *
 * @returns how many resources were marked; throws when none was, so a skip cannot outlive its resource.
 */
export function acknowledgeCheckovFindings(scope: IConstruct, resourceType: string, findings: readonly CheckovFinding[]): number {
  for (const finding of findings) {
    if (!/^CKV2?_AWS_\d+$/.test(finding.id)) {
      throw new Error(`acknowledgeCheckovFindings: expected a checkov id such as CKV_AWS_21, got ${JSON.stringify(finding.id)}`);
    }
    if (finding.reason.trim().length < 20) {
      throw new Error(`acknowledgeCheckovFindings: ${finding.id} needs a written reason, got ${JSON.stringify(finding.reason)}`);
    }
  }
  const resources = scope.node
    .findAll()
    .filter((construct): construct is CfnResource => CfnResource.isCfnResource(construct) && construct.cfnResourceType === resourceType);
  if (resources.length === 0) {
    throw new Error(`acknowledgeCheckovFindings: no ${resourceType} at or below ${scope.node.path}`);
  }
  for (const resource of resources) {
    const existing = (resource.getMetadata('checkov') as { skip?: { id: string; comment: string }[] } | undefined)?.skip ?? [];
    const added = findings.filter((finding) => !existing.some((skip) => skip.id === finding.id));
    resource.addMetadata('checkov', { skip: [...existing, ...added.map((finding) => ({ id: finding.id, comment: finding.reason }))] });
  }
  return resources.length;
}

/**
 * checkov's Lambda checks, for the functions CDK itself adds as CloudFormation custom-resource
 * handlers (kubectl/Helm, the MSK bootstrap-broker lookup, the default security group lock-down).
 * They run only while CloudFormation deploys, invoked synchronously by CloudFormation.
 */
export const CUSTOM_RESOURCE_HANDLER_CHECKOV_FINDINGS: readonly CheckovFinding[] = [
  {
    id: 'CKV_AWS_116',
    reason: 'CloudFormation invokes this custom-resource handler synchronously and retries or fails the deployment itself; a dead-letter queue only receives failed asynchronous invocations.',
  },
  {
    id: 'CKV_AWS_115',
    reason: 'A deploy-time custom-resource handler runs a handful of times per deployment; reserving concurrency for it would only take capacity from the account pool.',
  },
];

/** Acknowledges findings on resources CDK creates once per stack (singleton custom-resource providers). */
export function acknowledgeStackNagFindings(stack: Stack): void {
  const outsideVpc: CheckovFinding = {
    id: 'CKV_AWS_117',
    reason: 'The handler only calls public AWS APIs (EC2, Kafka) during deployments and reaches nothing inside the VPC; placing it there would add ENIs and NAT traffic for no isolation gain.',
  };
  const restrictDefaultSecurityGroup = stack.node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
  if (restrictDefaultSecurityGroup !== undefined) {
    acknowledgeCheckovFindings(restrictDefaultSecurityGroup, 'AWS::Lambda::Function', [...CUSTOM_RESOURCE_HANDLER_CHECKOV_FINDINGS, outsideVpc]);
  }
  const awsCustomResourceProvider = stack.node.tryFindChild('AWS679f53fac002430cb0da5b7982bd2287');
  if (awsCustomResourceProvider !== undefined) {
    acknowledgeCheckovFindings(awsCustomResourceProvider, 'AWS::Lambda::Function', [...CUSTOM_RESOURCE_HANDLER_CHECKOV_FINDINGS, outsideVpc]);
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
