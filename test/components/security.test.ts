// What a reviewer checks first, on each stack file built as an Environment under mocks: HTTPS on live's own domain
// (certificate issued and validated in its zone, HTTP only redirecting), deletion protection and `protect` on what a
// destroy would lose, the release bucket's access logs, and private endpoints that only the rollout Lambda reaches.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Environment, releaseAccessLogPrefix } from "../../components/environment";
import { checkZone, SSL_POLICY } from "../../components/load-balancer";
import { environmentProvider } from "../../components/tags";
import { rolloutServices, SERVICE_ENDPOINTS } from "../../runtime/contract";
import { PulumiMocks, setupMocks, settle } from "../support/pulumi-mocks";
import { parseStack } from "../support/stack-config";

/** Builds one stack's environment directly, recording each resource's options (protect) as it is registered. */
async function build(stack: string): Promise<{ mocks: PulumiMocks; protectedNames: string[]; warnings: string[] }> {
  const mocks = await setupMocks(stack);
  const config = parseStack(stack);
  const protectedNames: string[] = [];
  const warnings: string[] = [];
  const log = pulumi.log as { warn: (message: string) => Promise<void> };
  const warn = log.warn;
  log.warn = (message: string) => {
    warnings.push(message);
    return Promise.resolve();
  };
  try {
    new Environment(
      stack,
      { config },
      {
        providers: { aws: environmentProvider(stack, config.region) },
        transformations: [
          (a) => {
            if (a.opts.protect === true) protectedNames.push(a.name);
            return undefined;
          },
        ],
      },
    );
  } finally {
    log.warn = warn;
  }
  await settle();
  return { mocks, protectedNames, warnings };
}

describe("live's security settings under mocks", () => {
  let mocks: PulumiMocks;
  let protectedNames: string[];
  let warnings: string[];
  before(async () => {
    ({ mocks, protectedNames, warnings } = await build("live"));
  });

  it("issues a certificate for its domain, validated by DNS in its hosted zone", () => {
    const certificate = mocks.one("aws:acm/certificate:Certificate");
    const record = mocks.one("aws:route53/record:Record", "live-alb-certificate-validation").inputs;
    const issued = mocks.one("aws:acm/certificateValidation:CertificateValidation").inputs;

    assert.equal(certificate.inputs.domainName, "phoenix.example.com");
    assert.equal(certificate.inputs.validationMethod, "DNS");
    assert.equal(record.zoneId, "Z0EXAMPLE0PHOENIX0LIVE");
    assert.deepEqual(
      [record.name, record.type, record.records],
      [
        certificate.state.domainValidationOptions[0].resourceRecordName,
        "CNAME",
        [certificate.state.domainValidationOptions[0].resourceRecordValue],
      ],
    );
    assert.equal(issued.certificateArn, certificate.state.arn);
    assert.deepEqual(issued.validationRecordFqdns, ["_0123456789abcdef.phoenix.example.com"]);
  });

  it("serves HTTPS with the issued certificate and a TLS 1.2+ policy; HTTP only redirects", () => {
    const https = mocks.one("aws:lb/listener:Listener", "live-alb-https").inputs;
    const http = mocks.one("aws:lb/listener:Listener", "live-alb-http").inputs;

    assert.equal(https.sslPolicy, SSL_POLICY);
    assert.equal(https.certificateArn, mocks.one("aws:acm/certificate:Certificate").state.arn);
    assert.deepEqual(http.defaultActions, [
      { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
    ]);
  });

  it("points its domain at the load balancer with an alias record", () => {
    const alias = mocks.one("aws:route53/record:Record", "live-alb-alias").inputs;
    const alb = mocks.one("aws:lb/loadBalancer:LoadBalancer").state;

    assert.deepEqual([alias.zoneId, alias.name, alias.type], ["Z0EXAMPLE0PHOENIX0LIVE", "phoenix.example.com", "A"]);
    assert.deepEqual(alias.aliases, [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }]);
  });

  it("protects its load balancer from deletion, and its buckets and log groups from pulumi destroy", () => {
    assert.equal(mocks.one("aws:lb/loadBalancer:LoadBalancer").inputs.enableDeletionProtection, true);
    assert.deepEqual(protectedNames.sort(), [
      "live-access-logs",
      "live-boot-logs",
      "live-releases-bucket",
      // The release store's replica in the recovery region holds the same releases.
      "live-releases-eu-central-1-bucket",
      "live-rollout-logs",
    ]);
  });

  it("logs access to the release bucket into the log bucket, under its own prefix, delivered by S3 alone", () => {
    const logging = mocks.one("aws:s3/bucketLogging:BucketLogging").inputs;
    const logBucket = mocks.one("aws:s3/bucket:Bucket", "live-access-logs");
    const releases = mocks.one("aws:s3/bucket:Bucket", "live-releases-bucket");
    const policy = JSON.parse(
      mocks.ofType("aws:s3/bucketPolicy:BucketPolicy").find((p) => p.inputs.bucket === logBucket.id)!.inputs.policy,
    );
    const grant = policy.Statement.find((s: { Sid: string }) => s.Sid === "ReleaseBucketAccessLogDelivery");

    assert.deepEqual(
      [logging.bucket, logging.targetBucket, logging.targetPrefix],
      [releases.id, logBucket.id, releaseAccessLogPrefix("live")],
    );
    assert.deepEqual(grant.Principal, { Service: "logging.s3.amazonaws.com" });
    assert.equal(grant.Resource, `${logBucket.state.arn}/live-releases/*`);
    assert.deepEqual(grant.Condition.ArnLike, { "aws:SourceArn": releases.state.arn });
    assert.equal(mocks.one("aws:lb/loadBalancer:LoadBalancer").inputs.accessLogs.enabled, true);
  });

  it("creates an interface endpoint, without private DNS, for every service the rollout calls but S3", () => {
    const interfaces = mocks
      .ofType("aws:ec2/vpcEndpoint:VpcEndpoint")
      .filter((e) => e.inputs.vpcEndpointType === "Interface");
    const expected = rolloutServices().filter((s) => !SERVICE_ENDPOINTS[s].gateway);

    assert.deepEqual(
      interfaces.map((e) => e.inputs.serviceName).sort(),
      expected.map((s) => `com.amazonaws.eu-west-1.${SERVICE_ENDPOINTS[s].endpoint}`).sort(),
    );
    for (const e of interfaces) {
      assert.equal(e.inputs.privateDnsEnabled, false);
      assert.deepEqual(e.inputs.subnetIds, mocks.one("awsx:ec2:Vpc").state.privateSubnetIds);
    }
  });

  it("admits HTTPS to the endpoints from the rollout Lambda's security group only", () => {
    const endpointSg = mocks.one("aws:ec2/securityGroup:SecurityGroup", "live-net-endpoints-sg");
    const rolloutSg = mocks.one("aws:ec2/securityGroup:SecurityGroup", "live-rollout-sg");
    const rules = mocks
      .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.inputs.securityGroupId === endpointSg.id);

    assert.deepEqual(endpointSg.inputs.ingress, []);
    assert.deepEqual(endpointSg.inputs.egress, []);
    assert.deepEqual(
      rules.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]),
      [[rolloutSg.id, 443, 443, undefined]],
    );
  });

  it("gives the rollout Lambda no egress to 0.0.0.0/0: HTTPS to the endpoints and S3's prefix list only", () => {
    const egress = mocks.one("aws:ec2/securityGroup:SecurityGroup", "live-rollout-sg").inputs.egress;
    const https = egress.filter((e: { fromPort: number }) => e.fromPort === 443);

    assert.deepEqual(
      egress.flatMap((e: { cidrBlocks?: string[] }) => e.cidrBlocks ?? []).filter((c: string) => c === "0.0.0.0/0"),
      [],
    );
    assert.deepEqual(
      https.map((e: { securityGroups?: string[]; prefixListIds?: string[] }) => e.securityGroups ?? e.prefixListIds),
      [[mocks.one("aws:ec2/securityGroup:SecurityGroup", "live-net-endpoints-sg").id], ["pl-6da54004"]],
    );
  });

  it("points the Lambda's SDK clients and its follow-up queue at the endpoints", () => {
    const variables = mocks.one("aws:lambda/function:Function", "live-rollout-fn").inputs.environment.variables;
    const host = (service: string) =>
      mocks.one("aws:ec2/vpcEndpoint:VpcEndpoint", `live-net-${service}`).state.dnsEntries[0].dnsName;

    for (const service of rolloutServices().filter((s) => !SERVICE_ENDPOINTS[s].gateway)) {
      assert.equal(variables[SERVICE_ENDPOINTS[service].sdkEnv!], `https://${host(service)}`);
    }
    assert.match(variables.PHOENIX_FOLLOW_UP_QUEUE_URL, new RegExp(`^https://${host("sqs")}/123456789012/`));
  });

  it("does not warn: it serves HTTPS", () => {
    assert.deepEqual(warnings, []);
  });
});

describe("test's security settings under mocks", () => {
  let mocks: PulumiMocks;
  let protectedNames: string[];
  let warnings: string[];
  before(async () => {
    ({ mocks, protectedNames, warnings } = await build("test"));
  });

  it("warns at pulumi up that it serves plain HTTP, naming how to serve HTTPS", () => {
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /test serves plain HTTP: set phoenix:domainName .* or phoenix:certificateArn/);
  });

  it("protects nothing from destroy: test and its disposable copies are meant to be destroyed", () => {
    assert.deepEqual(protectedNames, []);
    assert.equal(mocks.one("aws:lb/loadBalancer:LoadBalancer").inputs.enableDeletionProtection, false);
  });

  it("reaches AWS through NAT, with no interface endpoint to pay for", () => {
    const egress = mocks.one("aws:ec2/securityGroup:SecurityGroup", "test-rollout-sg").inputs.egress;

    assert.equal(mocks.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").length, 1);
    assert.ok(egress.some((e: { cidrBlocks?: string[] }) => e.cidrBlocks?.includes("0.0.0.0/0")));
  });
});

describe("the hosted zone check at deploy", () => {
  it("passes the domain on when Route 53 names the zone the stack gave", () => {
    assert.equal(checkZone("www.example.com", "Z1", "example.com", "example.com."), "www.example.com");
  });

  it("stops the certificate when the zone id names another zone, saying which keys to fix", () => {
    assert.throws(
      () => checkZone("www.example.com", "Z1", "example.com", "example.org."),
      /hosted zone Z1 is example\.org, not example\.com: set phoenix:hostedZoneId .* and phoenix:hostedZoneName/,
    );
  });
});
