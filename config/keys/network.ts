// Network and buckets: the VPC, its NAT gateways, the release bucket's and the logs' retention.
import { ConfigKey } from "../declared-key";
import { NAT_STRATEGIES } from "../types";

/** The prefix lengths a VPC CIDR may have: AWS's limits, with room for a subnet per zone and tier. */
export const VPC_PREFIX = { min: 16, max: 24 } as const;

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The "Network and buckets" section, in Pulumi.yaml's order. */
export const NETWORK_AND_BUCKETS: ConfigKey[] = [
  {
    key: "vpcCidr",
    type: "string",
    default: "10.0.0.0/16",
    description: "IPv4 CIDR of the environment's VPC.",
    rule: `/${VPC_PREFIX.min} to /${VPC_PREFIX.max}`,
  },
  {
    key: "availabilityZones",
    type: "integer",
    default: 2,
    min: 2,
    max: 6,
    description: "Zones the VPC spans, taken from the region.",
  },
  {
    key: "natGateways",
    type: "string",
    default: "single",
    choices: NAT_STRATEGIES,
    description: "NAT gateways: single (one for the VPC, cheaper) or perZone (one per zone, survives a zone outage).",
  },
  {
    key: "releaseNoncurrentVersionDays",
    type: "integer",
    default: 30,
    min: 1,
    max: 3650,
    description: "Days an overwritten or deleted release object is kept before it expires.",
  },
  {
    key: "forceDestroyBuckets",
    type: "boolean",
    default: true,
    description:
      "Let pulumi destroy delete buckets that still hold releases or logs: true for test and disposable copies, false for live.",
  },
  {
    key: "accessLogs",
    type: "boolean",
    default: true,
    description:
      "Write load balancer access logs and the release bucket's server access logs to a private log bucket, each under its own prefix.",
  },
  {
    key: "accessLogRetentionDays",
    type: "integer",
    default: 90,
    min: 1,
    max: 3650,
    description: "Days access logs are kept.",
  },
  {
    key: "bootLogRetentionDays",
    type: "integer",
    default: 30,
    min: LOG_RETENTION_DAYS[0],
    max: LOG_RETENTION_DAYS[LOG_RETENTION_DAYS.length - 1],
    allowed: LOG_RETENTION_DAYS,
    description: "Days boot logs are kept in CloudWatch Logs.",
  },
];
