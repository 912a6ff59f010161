import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { plannedSizing } from '../../deploy/config.ts';
import { NODE_GROUPS, type NodeGroupName, WORKLOAD_LABEL_KEY } from '../../deploy/names.ts';
import { FlightCluster } from '../../lib/cluster.ts';
import { Network } from '../../lib/network.ts';
import { versions } from '../../deploy/versions.ts';
import { testPlan } from '../deploy/fixtures.ts';
import { projectApp, TEST_ADMIN_ROLE_ARN } from './fixtures.ts';

const DEFAULT_NODE_GROUPS = plannedSizing(testPlan()).nodeGroups;

describe('FlightCluster', () => {
  let template: Template;
  beforeAll(() => {
    // GIVEN a network WHEN the cluster is created with the default sizes and an admin role
    const stack = new Stack(projectApp(), 'ClusterTest');
    const network = new Network(stack, 'Network');
    new FlightCluster(stack, 'Eks', {
      vpc: network.vpc,
      nodeSubnets: network.privateSubnets,
      nodeGroups: { ...DEFAULT_NODE_GROUPS, sparkExecutors: { instanceType: 'r7i.4xlarge', desiredSize: 5, maxSize: 8 } },
      adminRoleArn: TEST_ADMIN_ROLE_ARN,
    });
    template = Template.fromStack(stack);
  });

  it('runs the Kubernetes version from versions.json, with all control-plane logs and KMS-encrypted secrets', () => {
    template.hasResourceProperties('AWS::EKS::Cluster', {
      Version: versions.kubernetes,
      Logging: {
        ClusterLogging: {
          EnabledTypes: Match.arrayWith([{ Type: 'api' }, { Type: 'audit' }, { Type: 'authenticator' }, { Type: 'controllerManager' }, { Type: 'scheduler' }]),
        },
      },
      EncryptionConfig: [{ Provider: { KeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EksSecretsKey'), 'Arn'] } }, Resources: ['secrets'] }],
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('uses managed node groups only (no Auto Mode compute)', () => {
    const cluster = Object.values(template.findResources('AWS::EKS::Cluster'))[0]!;
    expect(cluster['Properties'].ComputeConfig?.Enabled ?? false).toBe(false);
  });

  it.each(Object.entries(NODE_GROUPS) as [NodeGroupName, (typeof NODE_GROUPS)[NodeGroupName]][])(
    'creates the %s node group on demand, on AL2023, labelled and tainted for its workload',
    (name, workload) => {
      const sizing = name === 'sparkExecutors' ? { instanceType: 'r7i.4xlarge', desiredSize: 5, maxSize: 8 } : DEFAULT_NODE_GROUPS[name];
      template.hasResourceProperties('AWS::EKS::Nodegroup', {
        NodegroupName: workload.label,
        CapacityType: 'ON_DEMAND',
        AmiType: 'AL2023_x86_64_STANDARD',
        InstanceTypes: [sizing.instanceType],
        ScalingConfig: { MinSize: sizing.desiredSize, DesiredSize: sizing.desiredSize, MaxSize: sizing.maxSize },
        Labels: { [WORKLOAD_LABEL_KEY]: workload.label },
        ...(workload.tainted
          ? { Taints: [{ Key: WORKLOAD_LABEL_KEY, Value: workload.label, Effect: 'NO_SCHEDULE' }] }
          : { Taints: Match.absent() }),
      });
    },
  );

  it('gives the admin role cluster-admin through an access entry', () => {
    template.hasResourceProperties('AWS::EKS::AccessEntry', {
      PrincipalArn: TEST_ADMIN_ROLE_ARN,
      AccessPolicies: [
        { AccessScope: { Type: 'cluster' }, PolicyArn: { 'Fn::Join': ['', Match.arrayWith([':eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy'])] } },
      ],
    });
  });

  it('installs the Pod Identity agent and metrics-server add-ons', () => {
    template.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'eks-pod-identity-agent' });
    template.hasResourceProperties('AWS::EKS::Addon', { AddonName: 'metrics-server' });
  });

  it('has a kubectl provider with the kubectl layer for this Kubernetes version', () => {
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { Description: Match.stringLikeRegexp('kubectl') });
    template.hasResourceProperties('AWS::Lambda::Function', { Layers: Match.anyValue() });
  });
});
