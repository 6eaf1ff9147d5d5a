// The environment's network: an awsx VPC across the region's zones (public subnets for the load balancer, private
// ones for instances and Lambdas), NAT gateways per config, and an S3 gateway endpoint so releases never cross NAT.
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { NatStrategy } from "../config";

export interface NetworkArgs {
  /** The region the VPC is in: names the S3 endpoint service. */
  region: string;
  /** IPv4 CIDR of the VPC, e.g. `10.0.0.0/16`. */
  cidrBlock: string;
  /** Zones to span, chosen by awsx from the region's available zones; at least 2. */
  availabilityZones: number;
  /** `perZone`: a NAT gateway in every zone (a zone outage leaves the others online); `single`: one for the VPC. */
  natGateways: NatStrategy;
}

/** The environment's VPC across its zones, with NAT for the private subnets and an S3 gateway endpoint. */
export class Network extends pulumi.ComponentResource {
  /** The VPC's id: every security group of the environment lives in it. */
  readonly vpcId: pulumi.Output<string>;
  /** The public subnets, one per zone: only the load balancer goes here. */
  readonly publicSubnetIds: pulumi.Output<string[]>;
  /** The private subnets, one per zone: instances, the rollout Lambda and image builds run here. */
  readonly privateSubnetIds: pulumi.Output<string[]>;
  /** The VPC's CIDR block as configured: the range the load balancer and the rollout may send to. */
  readonly cidrBlock: string;
  /** The S3 gateway endpoint: releases and packages reach S3 through it, not through NAT. */
  readonly s3EndpointId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:network:Network", name, {}, opts);
    if (args.availabilityZones < 2) {
      throw new Error(
        `Network ${name}: availabilityZones is ${args.availabilityZones}; a load balancer needs at least 2`,
      );
    }

    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidrBlock,
        numberOfAvailabilityZones: args.availabilityZones,
        natGateways: {
          strategy:
            args.natGateways === "perZone" ? awsx.ec2.NatGatewayStrategy.OnePerAz : awsx.ec2.NatGatewayStrategy.Single,
        },
        // Auto sizes a small public and a larger private subnet per zone from whatever CIDR is configured.
        subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
        enableDnsHostnames: true,
        enableDnsSupport: true,
      },
      { parent: this },
    );

    // Instances fetch releases and dnf packages from S3 through this endpoint: no NAT charge, no internet path.
    const s3Endpoint = new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.vpcId,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: vpc.routeTables.apply((tables) => pulumi.all(tables.map((t) => t.id))),
      },
      { parent: this },
    );

    this.vpcId = vpc.vpcId;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.cidrBlock = args.cidrBlock;
    this.s3EndpointId = s3Endpoint.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      s3EndpointId: this.s3EndpointId,
    });
  }
}
