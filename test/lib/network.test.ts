import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Network, VPC_CIDR } from '../../lib/network.ts';
import { projectApp } from './fixtures.ts';

describe('Network', () => {
  let template: Template;
  beforeAll(() => {
    // GIVEN a stack WHEN the network is created with its defaults
    const stack = new Stack(projectApp(), 'NetworkTest');
    new Network(stack, 'Network');
    template = Template.fromStack(stack);
  });

  it('spans three AZs with a private subnet and a NAT gateway in each', () => {
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    const privateSubnets = subnets.filter((subnet) => subnet['Properties'].MapPublicIpOnLaunch === false);
    expect(privateSubnets).toHaveLength(3);
    expect(subnets).toHaveLength(6);
    template.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  it('routes S3 through a gateway endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.s3$')])] },
    });
  });

  it('has interface endpoints for ECR api, ECR dkr, STS and CloudWatch Logs, reachable on 443 from the VPC only', () => {
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    const services = endpoints.map((endpoint) => JSON.stringify(endpoint['Properties'].ServiceName));
    for (const service of ['ecr.api', 'ecr.dkr', 'sts', 'logs']) {
      expect(services.some((name) => name.includes(`.${service}`)), service).toBe(true);
    }
    expect(endpoints).toHaveLength(4);
    for (const group of Object.values(template.findResources('AWS::EC2::SecurityGroup'))) {
      expect(group['Properties'].SecurityGroupIngress).toStrictEqual([
        expect.objectContaining({ CidrIp: VPC_CIDR, FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }),
      ]);
    }
  });

  it('logs all VPC traffic to CloudWatch Logs', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
  });

  it('throws naming natGateways when it is out of range', () => {
    const stack = new Stack(projectApp(), 'BadNetwork');
    expect(() => new Network(stack, 'Network', { natGateways: 4 })).toThrow('Network: natGateways must be a whole number from 1 to 3, got 4');
  });
});
