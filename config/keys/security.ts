// Security: HTTPS (a domain with its hosted zone, or a certificate), deletion protection and private endpoints.
import { ConfigKey } from "../declared-key";

/** The "Security" section, in Pulumi.yaml's order. */
export const SECURITY: ConfigKey[] = [
  {
    key: "domainName",
    type: "string",
    default: "",
    description:
      "Domain the environment serves HTTPS on (www.example.com): the program issues its ACM certificate, validates it in hostedZoneId and points an alias record at the load balancer.",
    rule: "inside hostedZoneName",
  },
  {
    key: "hostedZoneId",
    type: "string",
    default: "",
    description: "Route 53 public hosted zone (Z...) that holds domainName: validation and alias records go here.",
    rule: "with domainName",
  },
  {
    key: "hostedZoneName",
    type: "string",
    default: "",
    description:
      "The hosted zone's own name (example.com): checked against domainName before anything is created, and against the zone itself at deploy.",
    rule: "with hostedZoneId",
  },
  {
    key: "certificateArn",
    type: "string",
    default: "",
    description:
      "An ACM certificate you manage, in the stack's region, instead of domainName; serves HTTPS with it and no DNS record.",
    rule: "not with domainName",
  },
  {
    key: "deletionProtection",
    type: "boolean",
    default: true,
    description:
      "Deletion protection on the load balancer and `protect` on buckets and log groups, so pulumi destroy cannot lose releases or logs; false for test and disposable copies.",
  },
  {
    key: "privateEndpoints",
    type: "boolean",
    default: false,
    description:
      "Interface endpoints for every AWS service the rollout Lambda calls, reachable from its security group only; the Lambda then has no route to the internet.",
  },
];
