import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_TAG_VALUE } from '../../lib/flight-analytics-stack.ts';
import { PRODUCER_SERVICE_ACCOUNT, SPARK_SERVICE_ACCOUNT, WORKLOAD_NAMESPACE } from '../../deploy/names.ts';
import { versions } from '../../deploy/versions.ts';
import { maskAssetHashes, synthesizedProject } from './fixtures.ts';

/** CloudFormation's limit on a template uploaded through S3, in bytes. */
const TEMPLATE_LIMIT_BYTES = 1_000_000;

/** The logical id of the analytics bucket (the one that is not the access-log bucket). */
function analyticsBucketLogicalId(template: Template): string {
  const buckets = template.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: Match.anyValue() } });
  const ids = Object.keys(buckets);
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

describe('FlightAnalyticsStack: storage', () => {
  // One synthesis for the whole file; it takes longer than a test's timeout on a busy machine.
  beforeAll(() => {
    synthesizedProject();
  });

  it('creates exactly the analytics bucket and its access-log bucket, both retained on delete', () => {
    // GIVEN the project configuration WHEN the stack is synthesised
    const { template } = synthesizedProject();
    // THEN there are two buckets, and deleting the stack keeps both
    template.resourceCountIs('AWS::S3::Bucket', 2);
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('encrypts both buckets, blocks all public access and disables ACLs', () => {
    const { template } = synthesizedProject();
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket['Properties']).toMatchObject({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
    }
  });

  it('denies every request that is not over TLS 1.2+ on both buckets', () => {
    const { template } = synthesizedProject();
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy['Properties'].PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      );
    }
  });

  it('expires quarantine/ after the configured days and aborts incomplete multipart uploads', () => {
    // GIVEN a configuration with a 14-day quarantine (the shared fixture's)
    const { template } = synthesizedProject();
    // THEN the analytics bucket has exactly these two lifecycle rules
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.anyValue(),
      LifecycleConfiguration: {
        Rules: [
          { Id: 'ExpireQuarantine', Prefix: 'quarantine/', ExpirationInDays: 14, Status: 'Enabled' },
          { Id: 'AbortIncompleteMultipartUploads', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' },
        ],
      },
    });
  });

  it('sends the analytics bucket server access logs to the access-log bucket, and leaves versioning off', () => {
    const { template } = synthesizedProject();
    const analytics = template.findResources('AWS::S3::Bucket')[analyticsBucketLogicalId(template)]!;
    expect(analytics['Properties'].LoggingConfiguration).toMatchObject({
      DestinationBucketName: { Ref: expect.stringMatching(/^AnalyticsBucketAccessLogs/) },
      LogFilePrefix: 'analytics-bucket/',
    });
    expect(analytics['Properties'].VersioningConfiguration).toBeUndefined();
  });
});

describe('FlightAnalyticsStack: composition', () => {
  it('creates only on-demand node groups, one per workload', () => {
    const { template } = synthesizedProject();
    const nodegroups = Object.values(template.findResources('AWS::EKS::Nodegroup'));
    expect(nodegroups).toHaveLength(4);
    for (const nodegroup of nodegroups) {
      expect(nodegroup['Properties'].CapacityType).toBe('ON_DEMAND');
    }
  });

  it('installs the spark-operator chart at the version in versions.json, watching the workload namespace', () => {
    const { template } = synthesizedProject();
    template.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
      Chart: 'spark-operator',
      Version: versions.sparkOperatorChart,
      Repository: 'https://kubeflow.github.io/spark-operator',
      Namespace: 'spark-operator',
      Values: Match.serializedJson(
        Match.objectLike({ spark: Match.objectLike({ jobNamespaces: [WORKLOAD_NAMESPACE], serviceAccount: { create: false, name: SPARK_SERVICE_ACCOUNT } }) }),
      ),
    });
  });

  it('associates the producer and Spark service accounts with their roles through Pod Identity', () => {
    const { template } = synthesizedProject();
    for (const serviceAccount of [PRODUCER_SERVICE_ACCOUNT, SPARK_SERVICE_ACCOUNT]) {
      template.hasResourceProperties('AWS::EKS::PodIdentityAssociation', {
        Namespace: WORKLOAD_NAMESPACE,
        ServiceAccount: serviceAccount,
        ClusterName: { Ref: Match.stringLikeRegexp('^EksCluster') },
      });
    }
  });

  it('lets only the EKS cluster security group reach the brokers, on the SASL/IAM port', () => {
    const { template } = synthesizedProject();
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 9098,
      ToPort: 9098,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EksCluster'), 'ClusterSecurityGroupId'] },
    });
  });

  it('builds the producer and Spark job images as Docker image assets', () => {
    // GIVEN the synthesised stack
    const { stack } = synthesizedProject();
    // THEN both image URIs point at the CDK bootstrap container-asset repository, as two distinct images
    const producerUri = JSON.stringify(stack.resolve(stack.images.producerImageUri));
    const sparkJobUri = JSON.stringify(stack.resolve(stack.images.sparkJobImageUri));
    expect(producerUri).toContain('container-assets');
    expect(sparkJobUri).toContain('container-assets');
    expect(producerUri).not.toBe(sparkJobUri);
  });

  it('outputs what a user needs after deploy: cluster name, kubeconfig command, bucket, brokers', () => {
    const { template } = synthesizedProject();
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['ClusterName', 'KubeconfigCommand', 'AnalyticsBucketName', 'KafkaBootstrapBrokers']),
    );
    template.hasOutput('AnalyticsBucketName', { Value: { Ref: analyticsBucketLogicalId(template) } });
    template.hasOutput('KafkaBootstrapBrokers', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaBootstrapBrokers'), 'BootstrapBrokerStringSaslIam'] },
    });
    expect(JSON.stringify(outputs['KubeconfigCommand'])).toContain('aws eks update-kubeconfig --region ');
  });

  it('tags the stack, and so every resource in it, with the project and environment', () => {
    // GIVEN the stack for environment "qa" (the shared fixture's)
    const { app, stack } = synthesizedProject();
    // WHEN the app is synthesised
    const artifact = app.synth().getStackByName(stack.stackName);
    // THEN the stack tags CloudFormation propagates to resources name the project and environment
    expect(artifact.tags).toStrictEqual({ Project: PROJECT_TAG_VALUE, Environment: 'qa' });
  });

  it('keeps the template under CloudFormation’s 1 MB limit', () => {
    const { templateJson } = synthesizedProject();
    const sizeBytes = Buffer.byteLength(templateJson, 'utf8');
    console.info(`FlightAnalytics template: ${sizeBytes} bytes`);
    expect(sizeBytes).toBeLessThan(TEMPLATE_LIMIT_BYTES);
  });

  it('matches the snapshot (asset hashes masked)', () => {
    const { template } = synthesizedProject();
    expect(maskAssetHashes(template.toJSON())).toMatchSnapshot();
  });
});

/** Every acknowledgement recorded in the tree: the construct it is on and the rule id. */
function acknowledgements(root: IConstruct): { path: string; id: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as Record<string, string>).map((id) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, '') }))),
  );
}

describe('FlightAnalyticsStack: cdk-nag AwsSolutions', () => {
  it('leaves no unacknowledged finding', () => {
    // GIVEN the synthesised stack WHEN the AwsSolutions pack checks it, as bin/app.ts does on every synth
    const { app } = synthesizedProject();
    const report = new AwsSolutionsChecks(app).validateScope(app);
    // THEN nothing is reported
    const findings = report.violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`));
    expect(findings).toStrictEqual([]);
  });

  it('has only acknowledgements that match a finding, each with a written reason', () => {
    // GIVEN every acknowledgement in the tree
    const { app } = synthesizedProject();
    const acknowledged = acknowledgements(app).filter((ack) => ack.id.startsWith('AwsSolutions-'));
    expect(acknowledged.length).toBeGreaterThan(0);
    // WHEN the pack runs as if nothing were acknowledged (so removing any acknowledgement would fail synth)
    const unfiltered = new AwsSolutionsChecks(app);
    (unfiltered as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const findings = unfiltered.validateScope(app).violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => ({ id: violation.ruleName, path: resource.constructPath ?? '' })),
    );
    // THEN each acknowledgement covers at least one finding on its construct or below it
    const unmatched = acknowledged.filter((ack) => !findings.some((finding) => finding.id === ack.id && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`))));
    expect(unmatched).toStrictEqual([]);
  });

  it('fails synth when an acknowledgement is removed', () => {
    // GIVEN the findings the stack acknowledges WHEN the pack ignores acknowledgements
    const { app } = synthesizedProject();
    const unfiltered = new AwsSolutionsChecks(app);
    (unfiltered as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    // THEN it reports errors, which would stop `cdk synth`
    const report = unfiltered.validateScope(app);
    expect(report.success).toBe(false);
    expect(report.violations.some((violation) => violation.severity === 'error')).toBe(true);
  });
});
