// The environment's front door: an application load balancer in the public subnets, one target group per tier
// health-checking /version, path routing (`/api/*` to api, the rest to web), and HTTPS with HTTP only redirecting:
// on a domain it certifies itself (ACM with DNS validation in the Route 53 zone, and an alias record), or with a
// certificate given by ARN. Without either it serves plain HTTP, which only a test stack may do.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { tierTags } from "../runtime/contract";

/** The path every target group health-checks: the /version contract of DESIGN.md. */
export const HEALTH_CHECK_PATH = "/version";
/** TLS 1.3 with 1.2 fallback and forward secrecy only. */
export const SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface LoadBalancerRoute {
  /** Tier name (`web`, `api`): names the target group and its tags. */
  tier: string;
  /** Port the tier's instances serve on. */
  port: number;
  /** Path patterns routed to this tier (`/api/*`). Exactly one route omits them: it is the default.
   *  @default none: this tier is the default route */
  pathPatterns?: string[];
}

export interface LoadBalancerArgs {
  /** Environment (stack) name: the security group's description, the tags and the access-log prefix. */
  environment: string;
  /** The VPC the load balancer, its security group and its target groups live in. */
  vpcId: pulumi.Input<string>;
  /** CIDR of the VPC: the load balancer may only send to the tiers' ports inside it. */
  vpcCidrBlock: string;
  /** Public subnets, one per zone. */
  publicSubnetIds: pulumi.Input<string[]>;
  /** One route per tier: its target group, port and path patterns. */
  routes: LoadBalancerRoute[];
  /** ACM certificate ARN: adds an HTTPS listener and turns HTTP into a redirect. @default HTTP only, or `domain` */
  certificateArn?: string;
  /** A domain to certify (ACM, DNS validation in its zone) and point at the load balancer; HTTP then only
   *  redirects. Never together with certificateArn. @default HTTP only, or `certificateArn` */
  domain?: { name: string; hostedZoneId: string; hostedZoneName: string };
  /** Refuse deletion of the load balancer (AWS's own guard, beside Pulumi's). @default false */
  deletionProtection?: boolean;
  /** Bucket for access logs (a PrivateBucket with log delivery granted). @default no access logs */
  accessLogsBucket?: pulumi.Input<string>;
  /** Seconds a deregistering target keeps its connections. @default 30 */
  deregistrationDelaySeconds?: number;
}

export interface TierTarget {
  /** The target group's ARN: the tier's Auto Scaling Group registers its instances here. */
  arn: pulumi.Output<string>;
  /** `targetgroup/<name>/<id>`: with the load balancer's suffix, the request-count metric's label. */
  arnSuffix: pulumi.Output<string>;
  /** The target group's name, as the console and `aws elbv2 describe-target-health` show it. */
  name: pulumi.Output<string>;
}

/**
 * The domain to certify, once Route 53 has answered with the zone's real name: throws (so the certificate is never
 * requested) when the zone the stack names is not the one holding the domain.
 */
export function checkZone(domain: string, zoneId: string, configured: string, actual: string): string {
  const zone = actual.replace(/\.$/, "").toLowerCase();
  if (zone !== configured || !(domain === zone || domain.endsWith(`.${zone}`))) {
    throw new Error(
      `hosted zone ${zoneId} is ${zone}, not ${configured}: set phoenix:hostedZoneId to the zone that holds ` +
        `${domain} and phoenix:hostedZoneName to its name`,
    );
  }
  return domain;
}

/** Checks routes before anything is created: exactly one default, unique tiers, valid ports. */
export function validateRoutes(routes: LoadBalancerRoute[]): void {
  const defaults = routes.filter((r) => !r.pathPatterns || r.pathPatterns.length === 0);
  if (defaults.length !== 1) {
    throw new Error(
      `LoadBalancer routes: ${defaults.length} routes have no pathPatterns (${defaults.map((r) => r.tier).join(", ") || "none"}); exactly one tier must be the default`,
    );
  }
  const tiers = routes.map((r) => r.tier);
  const duplicate = tiers.find((t, i) => tiers.indexOf(t) !== i);
  if (duplicate) throw new Error(`LoadBalancer routes: tier ${duplicate} is routed twice; give each tier one route`);
  for (const r of routes) {
    if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) {
      throw new Error(`LoadBalancer routes: tier ${r.tier} has port ${r.port}; use 1 to 65535`);
    }
  }
}

/** The environment's application load balancer: clients in on 80 (and 443), each tier's target group out. */
export class LoadBalancer extends pulumi.ComponentResource {
  /** The load balancer's security group: admit it to a tier's app port (AppTier does) and nothing else. */
  readonly securityGroupId: pulumi.Output<string>;
  /** The load balancer's ARN. */
  readonly arn: pulumi.Output<string>;
  /** `app/<name>/<id>`: the `LoadBalancer` dimension of its CloudWatch metrics. */
  readonly arnSuffix: pulumi.Output<string>;
  /** The public DNS name: point a CNAME (or an alias record) of your domain at it. */
  readonly dnsName: pulumi.Output<string>;
  /** `https://<domain>`, `https://<dns>` with a certificate by ARN, or `http://<dns>`. */
  readonly url: pulumi.Output<string>;
  /** The certificate the HTTPS listener serves: issued and validated here, given, or undefined (HTTP only). */
  readonly certificateArn: pulumi.Output<string | undefined>;
  /** Each tier's target group by tier name: what the tier's group registers in and its alarms watch. */
  readonly targets: Record<string, TierTarget>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("phoenix:lb:LoadBalancer", name, {}, opts);
    validateRoutes(args.routes);
    if (args.domain !== undefined && args.certificateArn !== undefined) {
      throw new Error(`LoadBalancer ${name}: give domain or certificateArn, not both`);
    }
    const parent = { parent: this };
    const certificateArn =
      args.domain !== undefined ? this.certificate(name, args.environment, args.domain) : undefined;
    const https = certificateArn !== undefined || args.certificateArn !== undefined;

    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: args.vpcId, description: `phoenix ${args.environment} load balancer: HTTP(S) in, tier ports out` },
      parent,
    );
    // The only rules in phoenix open to the internet: the load balancer's 80 and 443.
    for (const port of https ? [80, 443] : [80]) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-in-${port}`,
        {
          securityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: "0.0.0.0/0",
          description: "clients",
        },
        parent,
      );
    }
    for (const port of [...new Set(args.routes.map((r) => r.port))]) {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-out-${port}`,
        {
          securityGroupId: sg.id,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          cidrIpv4: args.vpcCidrBlock,
          description: "tier instances (traffic and /version health checks)",
        },
        parent,
      );
    }

    const alb = new aws.lb.LoadBalancer(
      name,
      {
        loadBalancerType: "application",
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [sg.id],
        dropInvalidHeaderFields: true,
        desyncMitigationMode: "strictest",
        enableDeletionProtection: args.deletionProtection ?? false,
        accessLogs:
          args.accessLogsBucket !== undefined
            ? { bucket: args.accessLogsBucket, prefix: `${args.environment}-alb`, enabled: true }
            : undefined,
      },
      parent,
    );

    this.targets = {};
    for (const route of args.routes) {
      const tg = new aws.lb.TargetGroup(
        `${name}-${route.tier}`,
        {
          vpcId: args.vpcId,
          port: route.port,
          protocol: "HTTP",
          targetType: "instance",
          deregistrationDelay: args.deregistrationDelaySeconds ?? 30,
          healthCheck: {
            enabled: true,
            path: HEALTH_CHECK_PATH,
            protocol: "HTTP",
            port: "traffic-port",
            matcher: "200",
            interval: 15,
            timeout: 5,
            healthyThreshold: 2,
            unhealthyThreshold: 3,
          },
          tags: tierTags(args.environment, route.tier),
        },
        parent,
      );
      this.targets[route.tier] = { arn: tg.arn, arnSuffix: tg.arnSuffix, name: tg.name };
    }

    const defaultRoute = args.routes.find((r) => !r.pathPatterns || r.pathPatterns.length === 0)!;
    const forwardTo = (tier: string) => [{ type: "forward", targetGroupArn: this.targets[tier].arn }];

    const http = new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: https
          ? [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]
          : forwardTo(defaultRoute.tier),
      },
      parent,
    );
    const serving = https
      ? new aws.lb.Listener(
          `${name}-https`,
          {
            loadBalancerArn: alb.arn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy: SSL_POLICY,
            certificateArn: certificateArn ?? args.certificateArn,
            defaultActions: forwardTo(defaultRoute.tier),
          },
          parent,
        )
      : http;

    args.routes
      .filter((r) => r.pathPatterns && r.pathPatterns.length > 0)
      .forEach((route, i) => {
        new aws.lb.ListenerRule(
          `${name}-${route.tier}-route`,
          {
            listenerArn: serving.arn,
            priority: 100 + i * 10,
            conditions: [{ pathPattern: { values: route.pathPatterns! } }],
            actions: forwardTo(route.tier),
            tags: tierTags(args.environment, route.tier),
          },
          parent,
        );
      });

    this.securityGroupId = sg.id;
    this.arn = alb.arn;
    this.arnSuffix = alb.arnSuffix;
    this.dnsName = alb.dnsName;
    if (args.domain !== undefined) {
      // The name clients use: an alias to the load balancer, answered by Route 53 at no query charge.
      new aws.route53.Record(
        `${name}-alias`,
        {
          zoneId: args.domain.hostedZoneId,
          name: args.domain.name,
          type: "A",
          aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }],
        },
        parent,
      );
    }
    this.certificateArn = pulumi.output(certificateArn ?? args.certificateArn);
    this.url =
      args.domain !== undefined
        ? pulumi.output(`https://${args.domain.name}`)
        : pulumi.interpolate`${https ? "https" : "http"}://${alb.dnsName}`;
    this.registerOutputs({
      securityGroupId: this.securityGroupId,
      arn: this.arn,
      dnsName: this.dnsName,
      url: this.url,
      certificateArn: this.certificateArn,
    });
  }

  /**
   * An ACM certificate for the domain, validated by DNS in its zone: the validation record, and the wait for ACM to
   * issue it. Its ARN resolves only once the certificate is issued, so the HTTPS listener never serves a pending one.
   */
  private certificate(
    name: string,
    environment: string,
    domain: NonNullable<LoadBalancerArgs["domain"]>,
  ): pulumi.Output<string> {
    const parent = { parent: this };
    const zone = aws.route53.getZoneOutput({ zoneId: domain.hostedZoneId }, parent);
    const certificate = new aws.acm.Certificate(
      `${name}-certificate`,
      {
        domainName: zone.name.apply((actual) =>
          checkZone(domain.name, domain.hostedZoneId, domain.hostedZoneName, actual),
        ),
        validationMethod: "DNS",
        tags: { Name: `phoenix ${environment} ${domain.name}` },
      },
      parent,
    );
    const validation = certificate.domainValidationOptions[0];
    const record = new aws.route53.Record(
      `${name}-certificate-validation`,
      {
        zoneId: domain.hostedZoneId,
        name: validation.resourceRecordName,
        type: validation.resourceRecordType,
        records: [validation.resourceRecordValue],
        ttl: 300,
        // ACM gives the same record for a renewal or a second certificate of the name: take it over, do not fail.
        allowOverwrite: true,
      },
      parent,
    );
    return new aws.acm.CertificateValidation(
      `${name}-certificate-issued`,
      { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
      parent,
    ).certificateArn;
  }
}
