// The rollout Lambda's security group: where in the VPC the function may connect, and that nothing connects to it.
import * as aws from "@pulumi/aws";
import { RolloutScope, uniquePorts } from "./args";

/**
 * No ingress; egress to the tiers' ports inside the VPC, and HTTPS to AWS APIs: anywhere through NAT, or with
 * private endpoints only to the endpoints' security group and S3's prefix list, never to 0.0.0.0/0.
 */
export function rolloutSecurityGroup({ name, args, tags, parent }: RolloutScope): aws.ec2.SecurityGroup {
  const endpoints = args.privateEndpoints;
  const toAws = endpoints
    ? [
        {
          description: "HTTPS to the AWS API endpoints",
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          securityGroups: [endpoints.securityGroupId],
        },
        {
          description: "HTTPS to S3 through the gateway endpoint",
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          prefixListIds: [endpoints.s3PrefixListId],
        },
      ]
    : [
        {
          // AWS API endpoints have no fixed addresses: HTTPS anywhere, through the NAT.
          description: "HTTPS to AWS APIs",
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrBlocks: ["0.0.0.0/0"],
        },
      ];
  return new aws.ec2.SecurityGroup(
    `${name}-sg`,
    {
      vpcId: args.vpcId,
      description: `phoenix ${args.environment} rollout Lambda: probes the tiers' /version, calls AWS APIs; no ingress`,
      ingress: [],
      egress: [
        ...uniquePorts(args.tiers).map((port) => ({
          description: `/version on the tiers listening on ${port}`,
          protocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrBlocks: [args.vpcCidrBlock],
        })),
        ...toAws,
      ],
      tags: { ...tags, Name: `${name}-sg` },
    },
    { parent },
  );
}
