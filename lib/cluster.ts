/**
 * The EKS cluster the producers and the Spark job run on, with one on-demand managed node group per
 * kind of workload.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { CfnAddon } from 'aws-cdk-lib/aws-eks';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { KubectlV35Layer } from '@aws-cdk/lambda-layer-kubectl-v35';
import { Construct } from 'constructs';
import type { NodeGroupSizing } from '../deploy/config.ts';
import { AVAILABILITY_ZONE_COUNT, KAFKA_NODE_GROUP_LABEL, NODE_GROUPS, type NodeGroupName, WORKLOAD_LABEL_KEY } from '../deploy/names.ts';
import { versions } from '../deploy/versions.ts';
import { acknowledgeCheckovFindings, acknowledgeFindings, CUSTOM_RESOURCE_HANDLER_CHECKOV_FINDINGS, managedPolicyFinding } from './nag-acknowledgements.ts';

/** Properties of a {@link FlightCluster}. */
export interface FlightClusterProps {
  readonly vpc: ec2.IVpc;
  /** Subnets for the control plane's network interfaces and the nodes (private). */
  readonly nodeSubnets: ec2.SubnetSelection;
  /** Instance type and size of each node group. */
  readonly nodeGroups: Readonly<Record<NodeGroupName, NodeGroupSizing>>;
  /**
   * IAM role ARN that gets cluster-admin through an EKS access entry.
   * @default - none; the identity that deploys the stack is the only administrator
   */
  readonly adminRoleArn?: string;
  /**
   * Nodes for Kafka brokers and controllers (`-c kafka=strimzi`): one on-demand node group per
   * Availability Zone, labelled and tainted `flight-analytics/workload=kafka` (the label names are
   * deploy/names.ts's, which the charts' placement reads too), and the EBS CSI driver for their volumes.
   * @default - none (Kafka is Amazon MSK)
   */
  readonly kafkaNodes?: KafkaNodeSizing;
}

/** Size of the Kafka node groups. */
export interface KafkaNodeSizing {
  /** EC2 instance type, e.g. `m7g.2xlarge` (Graviton types get the arm64 AMI). */
  readonly instanceType: string;
  /** Nodes in each zone (>= 1): a broker per node, and a controller beside one of them. */
  readonly nodesPerZone: number;
}

/** Graviton instance families (m7g, c7gn, r8g, ...) run arm64. */
export function isGravitonInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType);
}

/**
 * An EKS cluster (Kubernetes version from versions.json) with
 * - API-mode access entries (an optional admin role),
 * - all five control-plane log types in CloudWatch Logs,
 * - Kubernetes secrets envelope-encrypted with a customer-managed, rotated KMS key,
 * - a kubectl provider with the matching kubectl layer (for Helm charts and manifests),
 * - on-demand managed node groups on AL2023: system, producers, spark-drivers, spark-executors,
 * - the EKS Pod Identity agent and metrics-server as EKS add-ons.
 */
export class FlightCluster extends Construct {
  public readonly cluster: eks.Cluster;
  /** The managed node groups, by name. */
  public readonly nodegroups: Readonly<Record<NodeGroupName, eks.Nodegroup>>;
  /** The Pod Identity agent add-on; Pod Identity associations only work once it runs. */
  public readonly podIdentityAgent: eks.Addon;
  /** The Kafka node groups, one per zone, when `kafkaNodes` was given. */
  public readonly kafkaNodegroups: readonly eks.Nodegroup[];
  /** The EBS CSI driver add-on (with `kafkaNodes`): Kafka's volumes are provisioned by it. */
  public readonly ebsCsiDriver?: eks.Addon;

  public constructor(scope: Construct, id: string, props: FlightClusterProps) {
    super(scope, id);

    const secretsKey = new kms.Key(this, 'SecretsKey', {
      description: 'Envelope encryption of Kubernetes secrets in the Flight Analytics EKS cluster',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.cluster = new eks.Cluster(this, 'Cluster', {
      version: eks.KubernetesVersion.of(versions.kubernetes),
      vpc: props.vpc,
      vpcSubnets: [props.nodeSubnets],
      // Managed node groups rather than Auto Mode (the aws-eks-v2 default): the capacity plan sizes
      // each group for its workload, and all of them are on-demand.
      defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
      defaultCapacity: 0,
      // The public endpoint lets `cdk deploy` and kubectl reach the API from outside the VPC;
      // nodes use the private endpoint.
      endpointAccess: eks.EndpointAccess.PUBLIC_AND_PRIVATE,
      secretsEncryptionKey: secretsKey,
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
        eks.ClusterLoggingTypes.SCHEDULER,
      ],
      kubectlProviderOptions: {
        kubectlLayer: new KubectlV35Layer(this, 'KubectlLayer'),
      },
    });

    if (props.adminRoleArn !== undefined) {
      this.cluster.grantAccess('AdminRole', props.adminRoleArn, [
        eks.AccessPolicy.fromAccessPolicyName('AmazonEKSClusterAdminPolicy', { accessScopeType: eks.AccessScopeType.CLUSTER }),
      ]);
    }

    const nodegroups = {} as Record<NodeGroupName, eks.Nodegroup>;
    for (const [name, workload] of Object.entries(NODE_GROUPS) as [NodeGroupName, (typeof NODE_GROUPS)[NodeGroupName]][]) {
      const sizing = props.nodeGroups[name];
      nodegroups[name] = this.cluster.addNodegroupCapacity(name, {
        nodegroupName: workload.label,
        capacityType: eks.CapacityType.ON_DEMAND,
        amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
        instanceTypes: [new ec2.InstanceType(sizing.instanceType)],
        minSize: sizing.desiredSize,
        desiredSize: sizing.desiredSize,
        maxSize: sizing.maxSize,
        subnets: props.nodeSubnets,
        labels: { [WORKLOAD_LABEL_KEY]: workload.label },
        ...(workload.tainted ? { taints: [{ key: WORKLOAD_LABEL_KEY, value: workload.label, effect: eks.TaintEffect.NO_SCHEDULE }] } : {}),
      });
    }
    this.nodegroups = nodegroups;

    this.podIdentityAgent = new eks.Addon(this, 'PodIdentityAgent', { cluster: this.cluster, addonName: 'eks-pod-identity-agent' });
    // metrics-server as the EKS community add-on: `kubectl top` and the HPA, without a Helm release to keep up to date.
    new eks.Addon(this, 'MetricsServer', { cluster: this.cluster, addonName: 'metrics-server' });

    this.kafkaNodegroups = props.kafkaNodes === undefined ? [] : this.addKafkaNodes(props.vpc, props.nodeSubnets, props.kafkaNodes);
    if (props.kafkaNodes !== undefined) {
      this.ebsCsiDriver = this.addEbsCsiDriver();
    }

    this.acknowledgeNagFindings();
  }

  /**
   * One node group per zone rather than one over all three: an EBS volume lives in one zone, so the
   * node that replaces a broker's node must come up in that zone, which a group spanning three
   * subnets does not promise.
   */
  private addKafkaNodes(vpc: ec2.IVpc, subnets: ec2.SubnetSelection, sizing: KafkaNodeSizing): eks.Nodegroup[] {
    if (!Number.isInteger(sizing.nodesPerZone) || sizing.nodesPerZone < 1) {
      throw new Error(`FlightCluster: kafkaNodes.nodesPerZone must be a whole number >= 1, got ${sizing.nodesPerZone}`);
    }
    const zoneSubnets = vpc.selectSubnets(subnets).subnets;
    if (zoneSubnets.length !== AVAILABILITY_ZONE_COUNT) {
      throw new Error(`FlightCluster: kafkaNodes need one node subnet in each of ${AVAILABILITY_ZONE_COUNT} zones, got ${zoneSubnets.length} subnets`);
    }
    return zoneSubnets.map((subnet, index) =>
      this.cluster.addNodegroupCapacity(`kafka${index + 1}`, {
        nodegroupName: `${KAFKA_NODE_GROUP_LABEL}-${index + 1}`,
        capacityType: eks.CapacityType.ON_DEMAND,
        amiType: isGravitonInstanceType(sizing.instanceType) ? eks.NodegroupAmiType.AL2023_ARM_64_STANDARD : eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
        instanceTypes: [new ec2.InstanceType(sizing.instanceType)],
        // Brokers are stateful: the group holds its size; adding brokers is a plan change, not autoscaling.
        minSize: sizing.nodesPerZone,
        desiredSize: sizing.nodesPerZone,
        maxSize: sizing.nodesPerZone,
        subnets: { subnets: [subnet] },
        labels: { [WORKLOAD_LABEL_KEY]: KAFKA_NODE_GROUP_LABEL },
        taints: [{ key: WORKLOAD_LABEL_KEY, value: KAFKA_NODE_GROUP_LABEL, effect: eks.TaintEffect.NO_SCHEDULE }],
      }),
    );
  }

  /** The EBS CSI driver as an EKS add-on, its controller given AmazonEBSCSIDriverPolicy through Pod Identity. */
  private addEbsCsiDriver(): eks.Addon {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'EbsCsiDriverRole', {
      description: 'EBS CSI driver controller: creates, attaches and deletes the Kafka volumes',
      assumedBy: new iam.ServicePrincipal('pods.eks.amazonaws.com')
        .withConditions({ StringEquals: { 'aws:SourceAccount': stack.account }, ArnEquals: { 'aws:SourceArn': this.cluster.clusterArn } })
        .withSessionTags(),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEBSCSIDriverPolicy')],
    });
    acknowledgeFindings(role, [
      {
        id: managedPolicyFinding('service-role/AmazonEBSCSIDriverPolicy'),
        reason:
          'The policy AWS maintains for the EBS CSI driver; its volume actions are already limited to volumes and snapshots the driver tags as its own (ebs.csi.aws.com/cluster).',
      },
    ]);
    const addon = new eks.Addon(this, 'EbsCsiDriver', { cluster: this.cluster, addonName: 'aws-ebs-csi-driver' });
    (addon.node.defaultChild as CfnAddon).podIdentityAssociations = [{ serviceAccount: 'ebs-csi-controller-sa', roleArn: role.roleArn }];
    addon.node.addDependency(this.podIdentityAgent);
    return addon;
  }

  private acknowledgeNagFindings(): void {
    const kubectlProvider = this.cluster.node.tryFindChild('KubectlProvider');
    if (kubectlProvider !== undefined) {
      acknowledgeCheckovFindings(kubectlProvider, 'AWS::Lambda::Function', [
        ...CUSTOM_RESOURCE_HANDLER_CHECKOV_FINDINGS,
        {
          id: 'CKV_AWS_173',
          reason:
            'The kubectl provider functions\' environment variables hold no secrets (cluster name, role ARN, layer paths); Lambda encrypts them at rest with its service key.',
        },
      ]);
    }
    const nodePolicies = ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly'];
    acknowledgeFindings(this.cluster, [
      {
        id: managedPolicyFinding('AmazonEKSClusterPolicy'),
        reason: 'The EKS service role must carry AmazonEKSClusterPolicy; AWS maintains it as EKS gains features, and no customer-managed equivalent is supported.',
      },
      ...nodePolicies.map((policy) => ({
        id: managedPolicyFinding(policy),
        reason:
          `${policy} is one of the three policies EKS requires on a managed node group role (kubelet registration, VPC CNI, image pulls); ` +
          'workloads get their own permissions through Pod Identity, not the node role.',
      })),
      ...['service-role/AWSLambdaBasicExecutionRole', 'service-role/AWSLambdaVPCAccessExecutionRole', 'AmazonEC2ContainerRegistryReadOnly'].map((policy) => ({
        id: managedPolicyFinding(policy),
        reason:
          `${policy} is attached by aws-eks-v2 to the kubectl provider functions (logs, ENIs in the VPC, pulling the Helm chart OCI layers); ` +
          'they only run during deployments.',
      })),
      {
        id: 'AwsSolutions-IAM4[Policy::{"Fn::If":["EksClusterKubectlProviderHandlerHasEcrPublicC426D1A5",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]',
        reason:
          'aws-eks-v2 adds public ECR read access to the kubectl handler only in partitions that have ECR Public, so Helm can pull public OCI charts.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::<EksClusterKubectlProviderHandlerDA75FB7A.Arn>:*]',
        reason: 'The custom-resource framework may invoke any version of the kubectl handler function; the wildcard is only the version qualifier of that one function.',
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          'aws-eks-v2 pins the kubectl handler runtime to the one the kubectl/helm layer is built and tested for; it is upgraded with aws-cdk-lib.',
      },
      {
        id: 'CloudFormation-Validate::W9009',
        reason:
          'aws-eks-v2 writes EncryptionConfig.Resources=["secrets"], which the EKS API still requires to enable envelope encryption of secrets.',
      },
    ]);
  }
}
