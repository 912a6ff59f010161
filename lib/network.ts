/**
 * The network every other construct lives in: one VPC over three Availability Zones.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AVAILABILITY_ZONE_COUNT } from '../deploy/names.ts';

/** Properties of a {@link Network}. */
export interface NetworkProps {
  /**
   * Number of NAT gateways. One per AZ keeps an AZ outage from cutting the other AZs' egress;
   * 1 saves about 2 x 33 USD a month in a dev account.
   * @default 3
   */
  readonly natGateways?: number;
  /**
   * Days the VPC flow logs are kept in CloudWatch Logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: logs.RetentionDays;
}

/** Address range of the VPC. */
export const VPC_CIDR = '10.40.0.0/16';

/**
 * A VPC over three AZs with
 * - public subnets for the NAT gateways (and load balancers, should one ever be needed),
 * - private subnets with NAT egress for EKS nodes and MSK brokers,
 * - a gateway endpoint for S3, so the Spark job's checkpoint and output traffic (the bulk of the
 *   egress) skips the NAT gateways and their per-GB charge,
 * - interface endpoints for ECR (api, dkr), STS (Pod Identity credentials) and CloudWatch Logs,
 *   so image pulls and credential calls stay inside the VPC,
 * - flow logs of all traffic to CloudWatch Logs.
 */
export class Network extends Construct {
  public readonly vpc: ec2.Vpc;
  /** The private subnets, one per AZ: where nodes and brokers go. */
  public readonly privateSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

  public constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    const natGateways = props.natGateways ?? AVAILABILITY_ZONE_COUNT;
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > AVAILABILITY_ZONE_COUNT) {
      throw new Error(`Network: natGateways must be a whole number from 1 to ${AVAILABILITY_ZONE_COUNT}, got ${natGateways}`);
    }

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ...this.availabilityZonesOrCount(),
      natGateways,
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        // /19: 8k addresses per AZ, since the VPC CNI gives every pod a VPC address.
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 19 },
      ],
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });

    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const interfaceEndpoints: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Sts: ec2.InterfaceVpcEndpointAwsService.STS,
      CloudWatchLogs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    };
    for (const [endpointId, service] of Object.entries(interfaceEndpoints)) {
      const endpoint = this.vpc.addInterfaceEndpoint(endpointId, { service, subnets: this.privateSubnets, privateDnsEnabled: true, open: false });
      // HTTPS from inside the VPC only. The literal CIDR (rather than the VPC's CidrBlock attribute)
      // lets cdk-nag see that the rule is not open to the internet.
      endpoint.connections.allowFrom(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(443), 'HTTPS from the VPC');
    }
  }

  /**
   * With account and region known at synth, CDK looks up the region's AZ names and takes three.
   * Otherwise it would get only two (CDK's default when it cannot look them up, which is also the case
   * when the CLI knows a default region but no account), and MSK and the Kafka node groups need
   * three, so there the first three AZs of the deployment region are picked at deploy time.
   */
  private availabilityZonesOrCount(): { availabilityZones: string[] } | { maxAzs: number } {
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region) && !Token.isUnresolved(stack.account)) {
      return { maxAzs: AVAILABILITY_ZONE_COUNT };
    }
    return { availabilityZones: Array.from({ length: AVAILABILITY_ZONE_COUNT }, (_, index) => Fn.select(index, Fn.getAzs())) };
  }
}
