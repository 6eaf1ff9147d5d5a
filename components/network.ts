// The environment's network: an awsx VPC across the region's zones (public subnets for the load balancer, private
// ones for instances and Lambdas), NAT gateways per config, an S3 gateway endpoint so releases never cross NAT, and,
// when asked, interface endpoints that only admitted security groups reach (the rollout Lambda's).
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { NatStrategy } from "../config";
import { environmentTags, SERVICE_ENDPOINTS } from "../runtime/contract";

export interface NetworkArgs {
  /** The region the VPC is in: names the S3 endpoint service. */
  region: string;
  /** IPv4 CIDR of the VPC, e.g. `10.0.0.0/16`. */
  cidrBlock: string;
  /** Zones to span, chosen by awsx from the region's available zones; at least 2. */
  availabilityZones: number;
  /** `perZone`: a NAT gateway in every zone (a zone outage leaves the others online); `single`: one for the VPC. */
  natGateways: NatStrategy;
  /** Environment name, for the endpoints' tags and security group. @default untagged, "phoenix" in descriptions */
  environment?: string;
  /** IAM prefixes of the services to reach through interface endpoints (`ec2`, `sqs`; see SERVICE_ENDPOINTS), in
   *  the private subnets, without private DNS. @default none */
  interfaceEndpoints?: string[];
}

/** An interface endpoint as a client uses it: the service it serves and its regional DNS name. */
export interface InterfaceEndpoint {
  /** The IAM prefix of the service (`autoscaling`, `sqs`). */
  service: string;
  /** `vpce-....<service>.<region>.vpce.amazonaws.com`: the host a client points its SDK at. */
  dnsName: pulumi.Output<string>;
}

/** Checks the endpoint services before anything is created: each must be one SERVICE_ENDPOINTS knows. */
export function validateInterfaceEndpoints(services: string[]): void {
  for (const service of services) {
    const known = SERVICE_ENDPOINTS[service];
    if (known === undefined || known.gateway) {
      const names = Object.keys(SERVICE_ENDPOINTS).filter((k) => !SERVICE_ENDPOINTS[k].gateway);
      throw new Error(
        `Network: no interface endpoint for ${JSON.stringify(service)}; use one of ${names.join(", ")} ` +
          "(s3 is the gateway endpoint every network has)",
      );
    }
  }
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
  /** S3's prefix list in this region: a security group without internet egress still reaches S3 with it. */
  readonly s3PrefixListId: pulumi.Output<string>;
  /** The interface endpoints, one per service asked for (empty when none). */
  readonly interfaceEndpoints: InterfaceEndpoint[];
  /** The endpoints' security group (443 in from admitted groups only), or undefined without endpoints. */
  readonly endpointSecurityGroupId?: pulumi.Output<string>;
  private readonly name: string;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:network:Network", name, {}, opts);
    this.name = name;
    validateInterfaceEndpoints(args.interfaceEndpoints ?? []);
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

    this.interfaceEndpoints = [];
    const services = args.interfaceEndpoints ?? [];
    if (services.length > 0) {
      const env = args.environment ?? "phoenix";
      const tags = args.environment ? environmentTags(args.environment) : undefined;
      // No rule at all until a group is admitted: no egress either (an endpoint answers, it never initiates).
      const sg = new aws.ec2.SecurityGroup(
        `${name}-endpoints-sg`,
        {
          vpcId: vpc.vpcId,
          description: `phoenix ${env} AWS API endpoints: HTTPS from admitted security groups only`,
          ingress: [],
          egress: [],
          tags,
        },
        { parent: this },
      );
      const subnetIds = vpc.privateSubnetIds.apply((ids) => {
        if (ids.length === 0) {
          throw new Error(`Network ${name}: private endpoints need private subnets, and the VPC has none`);
        }
        return ids;
      });
      for (const service of services) {
        const endpoint = new aws.ec2.VpcEndpoint(
          `${name}-${service}`,
          {
            vpcId: vpc.vpcId,
            serviceName: `com.amazonaws.${args.region}.${SERVICE_ENDPOINTS[service].endpoint}`,
            vpcEndpointType: "Interface",
            // Off: with private DNS every instance and image build would resolve the service to this endpoint,
            // which admits the rollout Lambda alone. The Lambda is pointed at the endpoint's own name instead.
            privateDnsEnabled: false,
            subnetIds,
            securityGroupIds: [sg.id],
            tags,
          },
          { parent: this },
        );
        this.interfaceEndpoints.push({
          service,
          dnsName: endpoint.dnsEntries.apply((entries) => entries[0].dnsName),
        });
      }
      this.endpointSecurityGroupId = sg.id;
    }

    this.vpcId = vpc.vpcId;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.privateSubnetIds = vpc.privateSubnetIds;
    this.cidrBlock = args.cidrBlock;
    this.s3EndpointId = s3Endpoint.id;
    this.s3PrefixListId = s3Endpoint.prefixListId;
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      s3EndpointId: this.s3EndpointId,
      endpointSecurityGroupId: this.endpointSecurityGroupId,
    });
  }

  /** Admits a security group to the interface endpoints on 443; only when the network has them. */
  admitToEndpoints(label: string, securityGroupId: pulumi.Input<string>): aws.vpc.SecurityGroupIngressRule {
    if (this.endpointSecurityGroupId === undefined) {
      throw new Error(`Network ${this.name}: no interface endpoints to admit ${label} to`);
    }
    return new aws.vpc.SecurityGroupIngressRule(
      `${this.name}-endpoints-in-${label}`,
      {
        securityGroupId: this.endpointSecurityGroupId,
        referencedSecurityGroupId: securityGroupId,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: `${label}: HTTPS to AWS APIs`,
      },
      { parent: this },
    );
  }
}
