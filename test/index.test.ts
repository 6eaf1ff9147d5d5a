// The Pulumi program under mocks, once per real stack file: what it creates, and the invariants that must always
// hold (no admin ports, nothing open to the internet but the load balancer, IMDSv2, no key pair, private TLS-only
// buckets, ELB health checks, tags, names from the stack), plus scaling, HTTPS, Windows tiers and config failures.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { Environment } from "../components/environment";
import { environmentProvider } from "../components/tags";
import { UNRELEASED_VERSION } from "../runtime/contract";
import { runBootScript } from "./support/boot-script";
import { loadProgram, PulumiMocks, RecordedResource, setupMocks, settle, unwrap } from "./support/pulumi-mocks";
import { parseStack } from "./support/stack-config";

type Program = typeof import("..");

const T = {
  bucket: "aws:s3/bucket:Bucket",
  publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  legacyRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  group: "aws:autoscaling/group:Group",
  policy: "aws:autoscaling/policy:Policy",
  schedule: "aws:autoscaling/schedule:Schedule",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  listenerRule: "aws:lb/listenerRule:ListenerRule",
  parameter: "aws:ssm/parameter:Parameter",
  vpc: "awsx:ec2:Vpc",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  provider: "pulumi:providers:aws",
} as const;

/** What each stack file must produce: resource types and their counts. */
const EXPECTED_COUNTS: Record<string, Record<string, number>> = {
  test: {
    [T.provider]: 1,
    "phoenix:env:Environment": 1,
    "phoenix:network:Network": 1,
    "phoenix:storage:ReleaseStore": 1,
    "phoenix:storage:PrivateBucket": 1,
    "phoenix:lb:LoadBalancer": 1,
    "phoenix:fleet:AppTier": 2,
    "phoenix:observability:Alerts": 1,
    "phoenix:observability:Dashboard": 1,
    "phoenix:observability:RolloutAlarms": 1,
    "aws:cloudwatch/dashboard:Dashboard": 1,
    // Rollout stuck, surge aborted and unhealthy hosts per tier, and the Lambda's errors; per tier, the rollout's
    // 5xx-rate and latency alarms and the alarm that tells of an automatic rollback (issue 18).
    "aws:cloudwatch/metricAlarm:MetricAlarm": 15,
    "aws:sns/topic:Topic": 1,
    [T.vpc]: 1,
    [T.endpoint]: 1,
    [T.bucket]: 1,
    [T.publicAccess]: 1,
    [T.ownership]: 1,
    [T.versioning]: 1,
    [T.encryption]: 1,
    [T.lifecycle]: 1,
    [T.bucketPolicy]: 1,
    [T.parameter]: 1,
    [T.sg]: 3,
    // The load balancer's listener port, and per tier: from the load balancer and from the rollout Lambda (probes).
    [T.ingress]: 5,
    [T.egress]: 3,
    [T.loadBalancer]: 1,
    [T.listener]: 1,
    [T.listenerRule]: 1,
    [T.targetGroup]: 2,
    "aws:cloudwatch/logGroup:LogGroup": 1,
    [T.role]: 2,
    [T.rolePolicy]: 2,
    "aws:iam/instanceProfile:InstanceProfile": 2,
    [T.launchTemplate]: 2,
    [T.group]: 2,
    [T.policy]: 2,
    [T.schedule]: 4,
  },
  live: {
    // The stack's own, and one for the release replica in the recovery region (eu-central-1).
    [T.provider]: 2,
    "phoenix:env:Environment": 1,
    "phoenix:network:Network": 1,
    "phoenix:storage:ReleaseStore": 1,
    "phoenix:storage:PrivateBucket": 3,
    "phoenix:storage:ReleaseReplica": 1,
    "phoenix:lb:LoadBalancer": 1,
    "phoenix:fleet:AppTier": 2,
    "phoenix:observability:Alerts": 1,
    "phoenix:observability:Dashboard": 1,
    "phoenix:observability:RolloutAlarms": 1,
    "aws:cloudwatch/dashboard:Dashboard": 1,
    // Rollout stuck, surge aborted and unhealthy hosts per tier, and the Lambda's errors; per tier, the rollout's
    // 5xx-rate and latency alarms and the alarm that tells of an automatic rollback (issue 18).
    "aws:cloudwatch/metricAlarm:MetricAlarm": 15,
    "aws:sns/topic:Topic": 1,
    [T.vpc]: 1,
    // The S3 gateway endpoint, and an interface endpoint per service the rollout Lambda calls but S3 (issue 16),
    // CloudWatch's for the rollout alarms included (issue 18).
    [T.endpoint]: 7,
    // The release bucket, its replica in eu-central-1 and the access-log bucket.
    [T.bucket]: 3,
    [T.publicAccess]: 3,
    [T.ownership]: 3,
    [T.versioning]: 3,
    [T.encryption]: 3,
    [T.lifecycle]: 3,
    [T.bucketPolicy]: 3,
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": 1,
    // The release bucket's name, and the replica's in eu-central-1.
    [T.parameter]: 2,
    // The endpoints' own group beside the load balancer's and each tier's.
    [T.sg]: 4,
    // The load balancer's 80 and 443, per tier: from the load balancer and from the rollout Lambda (probes), and the
    // rollout Lambda's HTTPS to the endpoints.
    [T.ingress]: 7,
    [T.egress]: 3,
    [T.loadBalancer]: 1,
    // HTTPS on the domain, and HTTP that only redirects there; the certificate, its validation and alias records.
    [T.listener]: 2,
    "aws:acm/certificate:Certificate": 1,
    "aws:acm/certificateValidation:CertificateValidation": 1,
    "aws:route53/record:Record": 2,
    // Server access logs of the release bucket into the log bucket.
    "aws:s3/bucketLogging:BucketLogging": 1,
    [T.listenerRule]: 1,
    [T.targetGroup]: 2,
    "aws:cloudwatch/logGroup:LogGroup": 1,
    // The instance roles, and the role S3 replicates releases as.
    [T.role]: 3,
    [T.rolePolicy]: 3,
    "aws:iam/instanceProfile:InstanceProfile": 2,
    [T.launchTemplate]: 2,
    [T.group]: 2,
    [T.policy]: 4,
  },
};

/** Every ingress a recorded stack opens: standalone rules, inline rules and legacy rule resources. */
function ingressRules(
  mocks: PulumiMocks,
): { name: string; from: number; to: number; cidr?: string; sourceSg?: string }[] {
  const rules = mocks.ofType(T.ingress).map((r) => ({
    name: r.name,
    from: Number(r.inputs.fromPort ?? 0),
    to: Number(r.inputs.toPort ?? 65535),
    cidr: r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6,
    sourceSg: r.inputs.referencedSecurityGroupId,
  }));
  for (const sg of mocks.ofType(T.sg)) {
    for (const rule of sg.inputs.ingress ?? []) {
      for (const cidr of [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])]) {
        rules.push({ name: sg.name, from: rule.fromPort, to: rule.toPort, cidr, sourceSg: undefined });
      }
    }
  }
  for (const r of mocks.ofType(T.legacyRule).filter((r) => r.inputs.type === "ingress")) {
    for (const cidr of r.inputs.cidrBlocks ?? [])
      rules.push({ name: r.name, from: r.inputs.fromPort, to: r.inputs.toPort, cidr, sourceSg: undefined });
  }
  return rules;
}

function byBucket(mocks: PulumiMocks, type: string, bucketId: string): RecordedResource {
  const found = mocks.ofType(type).filter((r) => r.inputs.bucket === bucketId);
  assert.equal(found.length, 1, `expected one ${type} for bucket ${bucketId}, found ${found.length}`);
  return found[0];
}

function tagMap(group: RecordedResource): Record<string, { value: string; propagateAtLaunch: boolean }> {
  return Object.fromEntries(
    (group.inputs.tags as { key: string; value: string; propagateAtLaunch: boolean }[]).map((t) => [
      t.key,
      { value: t.value, propagateAtLaunch: t.propagateAtLaunch },
    ]),
  );
}

for (const stack of ["test", "live"]) {
  describe(`the ${stack} stack`, () => {
    let mocks: PulumiMocks;
    let program: Program;

    before(async () => {
      mocks = await setupMocks(stack);
      program = loadProgram<Program>();
      await settle();
    });

    it("creates exactly the expected resource types and counts", () => {
      // The base-image pipeline (`<stack>-image...`) and the rollout (`<stack>-rollout...`) are counted by their own
      // tests (test/ami.test.ts, test/rollout.test.ts); the invariants below still cover their resources.
      const counted = mocks.resources.filter(
        (r) => ![`${stack}-image`, `${stack}-rollout`].some((p) => r.name.startsWith(p)),
      );
      const counts: Record<string, number> = {};
      for (const r of counted) counts[r.type] = (counts[r.type] ?? 0) + 1;

      assert.deepEqual(counts, EXPECTED_COUNTS[stack]);
    });

    it("builds its own base image, as its config asks", () => {
      assert.equal(mocks.one("phoenix:ami:BaseImagePipeline").name, `${stack}-image`);
    });

    it("names every resource after the stack", () => {
      const strays = mocks.resources
        .filter((r) => r.name !== stack && !r.name.startsWith(`${stack}-`))
        .map((r) => `${r.type} ${r.name}`);

      assert.deepEqual(strays, []);
    });

    it("creates every AWS resource through the environment's provider, whose default tags name the environment", () => {
      const provider = mocks.one(T.provider, `${stack}-aws`);
      // A release replica lives in its recovery region, through a provider of its own with the same default tags.
      const replicaRegions = stack === "live" ? ["eu-central-1"] : [];
      const inRegion = (r: RecordedResource) =>
        replicaRegions.find((g) => r.name.startsWith(`${stack}-releases-${g}-`));
      const others = mocks.resources.filter((r) => r.custom && r.type !== T.provider);

      for (const p of mocks.ofType(T.provider)) {
        assert.deepEqual(JSON.parse(p.inputs.defaultTags), {
          tags: { "phoenix:environment": stack, "managed-by": "phoenix" },
        });
      }
      assert.equal(provider.inputs.region, "eu-west-1");
      assert.deepEqual(
        mocks.ofType(T.provider).map((p) => p.inputs.region),
        ["eu-west-1", ...replicaRegions],
      );
      for (const r of others) {
        const region = inRegion(r);
        const expected = region === undefined ? `${stack}-aws` : `${stack}-releases-${region}-aws`;
        assert.match(r.provider ?? "", new RegExp(`::${expected}::`), `${r.type} ${r.name}`);
      }
    });

    it("opens no port 22 or 3389 to anyone", () => {
      const admin = ingressRules(mocks).filter((r) => [22, 3389].some((p) => r.from <= p && p <= r.to));

      assert.deepEqual(admin, []);
    });

    it("opens nothing to the internet except the load balancer's HTTP and HTTPS", () => {
      const open = ingressRules(mocks).filter((r) => r.cidr === "0.0.0.0/0" || r.cidr === "::/0");

      assert.ok(open.length > 0, "the load balancer must accept clients");
      for (const rule of open) {
        assert.match(rule.name, new RegExp(`^${stack}-alb-in-`), `${rule.name} is open to the internet`);
        assert.ok([80, 443].includes(rule.from) && rule.from === rule.to, `${rule.name} opens ${rule.from}-${rule.to}`);
      }
    });

    it("admits each tier's app port from the load balancer's security group, and nothing but security groups", () => {
      for (const tier of ["web", "api"]) {
        const rules = mocks.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === `${stack}-${tier}-sg-id`);
        const lb = rules.filter((r) => r.inputs.referencedSecurityGroupId === `${stack}-alb-sg-id`);

        assert.equal(lb.length, 1);
        // The rollout Lambda's group may be admitted too (AppTier.admit), on the same terms.
        for (const r of rules) {
          assert.deepEqual([r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort], ["tcp", 8080, 8080], r.name);
          assert.equal(r.inputs.cidrIpv4, undefined, r.name);
          assert.equal(r.inputs.cidrIpv6, undefined, r.name);
          assert.ok(r.inputs.referencedSecurityGroupId, r.name);
        }
      }
    });

    it("requires IMDSv2 with a hop limit of 1 on every launch template", () => {
      for (const lt of mocks.ofType(T.launchTemplate)) {
        assert.deepEqual(lt.inputs.metadataOptions, {
          httpEndpoint: "enabled",
          httpTokens: "required",
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        });
      }
    });

    it("has no key pair anywhere", () => {
      assert.deepEqual(mocks.ofType("aws:ec2/keyPair:KeyPair"), []);
      for (const r of mocks.resources) assert.equal(r.inputs.keyName, undefined, `${r.type} ${r.name} sets keyName`);
    });

    it("launches instances without public addresses, on an encrypted gp3 root volume", () => {
      for (const lt of mocks.ofType(T.launchTemplate)) {
        assert.equal(lt.inputs.networkInterfaces.length, 1);
        assert.equal(lt.inputs.networkInterfaces[0].associatePublicIpAddress, "false");
        assert.deepEqual(lt.inputs.blockDeviceMappings[0].ebs.encrypted, "true");
        assert.equal(lt.inputs.blockDeviceMappings[0].ebs.volumeType, "gp3");
        assert.equal(lt.inputs.blockDeviceMappings[0].deviceName, "/dev/xvda");
      }
    });

    it("boots each tier's rendered Linux script against the release bucket", async () => {
      const bucket = await unwrap(program.releaseBucketName);
      for (const tier of ["web", "api"]) {
        const lt = mocks.one(T.launchTemplate, `${stack}-${tier}-lt`);
        const script = Buffer.from(lt.inputs.userData, "base64").toString("utf8");

        assert.match(script, /^#!\/bin\/bash/);
        assert.match(script, new RegExp(`^readonly TIER="${tier}"$`, "m"));
        assert.match(script, new RegExp(`^readonly BUCKET="${bucket}"$`, "m"));
        assert.match(script, new RegExp(`^readonly LOG_GROUP="/phoenix/${stack}/boot"$`, "m"));
      }
    });

    it("boots into the healthy placeholder, never marking itself unhealthy, while no release is published", function () {
      this.timeout(30000);
      const lt = mocks.one(T.launchTemplate, `${stack}-web-lt`);
      const run = runBootScript(
        Buffer.from(lt.inputs.userData, "base64").toString("utf8"),
        {},
        {
          STUB_VERSION: UNRELEASED_VERSION,
        },
      );
      try {
        assert.equal(run.status, 0, run.bootLog);
        assert.ok(!run.calls.some((c) => c.includes("set-instance-health")), run.calls.join("\n"));
        assert.match(run.bootLog, /serves the no-release placeholder \(0\.0\.0-unreleased\)/);
      } finally {
        fs.rmSync(run.root, { recursive: true, force: true });
      }
    });

    it("blocks all public access to every bucket and enforces bucket-owner ownership", () => {
      for (const bucket of mocks.ofType(T.bucket)) {
        assert.deepEqual(
          (({ blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets }) => ({
            blockPublicAcls,
            blockPublicPolicy,
            ignorePublicAcls,
            restrictPublicBuckets,
          }))(byBucket(mocks, T.publicAccess, bucket.id).inputs),
          { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        );
        assert.equal(byBucket(mocks, T.ownership, bucket.id).inputs.rule.objectOwnership, "BucketOwnerEnforced");
        assert.equal(bucket.inputs.acl, undefined);
      }
    });

    it("denies every request without TLS to every bucket", () => {
      for (const bucket of mocks.ofType(T.bucket)) {
        const policy = JSON.parse(byBucket(mocks, T.bucketPolicy, bucket.id).inputs.policy);
        const deny = policy.Statement.find((s: { Sid: string }) => s.Sid === "DenyInsecureTransport");

        assert.deepEqual(deny, {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.state.arn, `${bucket.state.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
        for (const s of policy.Statement)
          assert.notEqual(s.Effect === "Allow" && s.Principal, "*", "no statement allows everyone");
      }
    });

    it("versions, encrypts and expires old versions in every bucket", () => {
      for (const bucket of mocks.ofType(T.bucket)) {
        assert.equal(byBucket(mocks, T.versioning, bucket.id).inputs.versioningConfiguration.status, "Enabled");
        assert.equal(
          byBucket(mocks, T.encryption, bucket.id).inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
          "AES256",
        );
        const rule = byBucket(mocks, T.lifecycle, bucket.id).inputs.rules[0];
        assert.equal(rule.status, "Enabled");
        assert.ok(rule.noncurrentVersionExpiration.noncurrentDays > 0);
      }
    });

    it("keeps release versions for the configured number of days", () => {
      const release = mocks.ofType(T.bucket).find((b) => b.name === `${stack}-releases-bucket`)!;
      const rule = byBucket(mocks, T.lifecycle, release.id).inputs.rules[0];

      assert.equal(rule.noncurrentVersionExpiration.noncurrentDays, stack === "live" ? 90 : 7);
      assert.equal(release.inputs.forceDestroy, stack !== "live");
    });

    it("tags its release bucket with the environment (the provider's default tags), which a sweep checks first", () => {
      const bucket = mocks.one("aws:s3/bucket:Bucket", `${stack}-releases-bucket`);
      const provider = mocks.one(T.provider, `${stack}-aws`);

      assert.match(bucket.provider ?? "", new RegExp(`::${stack}-aws::`));
      assert.equal(JSON.parse(provider.inputs.defaultTags).tags["phoenix:environment"], stack);
      // A tag of its own would override the default one: the bucket sets none with that key.
      assert.equal(bucket.inputs.tags?.["phoenix:environment"], undefined);
    });

    it("takes the target version from the release manifest only, unless the stack says otherwise", () => {
      const fn = mocks.one("aws:lambda/function:Function", `${stack}-rollout-fn`);
      const policy = JSON.parse(fn.inputs.environment.variables.PHOENIX_POLICY as string);

      assert.equal(policy.desiredVersion, undefined);
      for (const tier of ["web", "api"]) assert.equal(policy.tiers[tier].desiredVersion, undefined, tier);
    });

    it("publishes the release bucket's name at /phoenix/<env>/release-bucket", async () => {
      const parameter = mocks.one(T.parameter, `${stack}-releases-parameter`);

      assert.equal(parameter.inputs.name, `/phoenix/${stack}/release-bucket`);
      assert.equal(parameter.inputs.value, await unwrap(program.releaseBucketName));
    });

    it("health-checks every group through the load balancer, with its tier's target group attached", () => {
      for (const tier of ["web", "api"]) {
        const group = mocks.one(T.group, `${stack}-${tier}-asg`);
        const tg = mocks.one(T.targetGroup, `${stack}-alb-${tier}`);

        assert.equal(group.inputs.healthCheckType, "ELB");
        assert.deepEqual(group.inputs.targetGroupArns, [tg.state.arn]);
        assert.equal(group.inputs.healthCheckGracePeriod, stack === "live" ? 300 : 180);
        assert.equal(group.inputs.waitForCapacityTimeout, "0");
      }
    });

    it("health-checks /version on every target group", () => {
      for (const tg of mocks.ofType(T.targetGroup)) {
        assert.equal(tg.inputs.healthCheck.path, "/version");
        assert.equal(tg.inputs.healthCheck.matcher, "200");
        assert.equal(tg.inputs.port, 8080);
      }
    });

    it("tags every group and propagates environment, tier, port and strategy to its instances", () => {
      for (const tier of ["web", "api"]) {
        const tags = tagMap(mocks.one(T.group, `${stack}-${tier}-asg`));

        for (const [key, value] of Object.entries({
          "phoenix:environment": stack,
          "phoenix:tier": tier,
          "phoenix:port": "8080",
          "phoenix:strategy": "surge",
          "managed-by": "phoenix",
        })) {
          assert.deepEqual(tags[key], { value, propagateAtLaunch: true }, key);
        }
      }
    });

    it("tags every instance, volume and network interface at launch", () => {
      for (const lt of mocks.ofType(T.launchTemplate)) {
        const specs = lt.inputs.tagSpecifications as { resourceType: string; tags: Record<string, string> }[];

        assert.deepEqual(specs.map((s) => s.resourceType).sort(), ["instance", "network-interface", "volume"]);
        for (const spec of specs) {
          assert.equal(spec.tags["phoenix:environment"], stack);
          assert.match(spec.tags["phoenix:tier"], /^(web|api)$/);
          assert.equal(spec.tags["managed-by"], "phoenix");
        }
      }
    });

    it("runs instances in the private subnets and the load balancer in the public ones", () => {
      const vpc = mocks.one(T.vpc);

      for (const group of mocks.ofType(T.group))
        assert.deepEqual(group.inputs.vpcZoneIdentifiers, vpc.state.privateSubnetIds);
      assert.deepEqual(mocks.one(T.loadBalancer).inputs.subnets, vpc.state.publicSubnetIds);
      assert.equal(mocks.one(T.loadBalancer).inputs.internal, false);
    });

    it("spans the configured zones with the configured NAT gateways", () => {
      const vpc = mocks.one(T.vpc);

      assert.equal(vpc.inputs.numberOfAvailabilityZones, stack === "live" ? 3 : 2);
      assert.equal(vpc.inputs.natGateways.strategy, stack === "live" ? "OnePerAz" : "Single");
      assert.equal(vpc.inputs.availabilityZoneNames, undefined, "zones come from the region, never a fixed list");
    });

    it("reaches S3 through a gateway endpoint on every route table", () => {
      const endpoint = mocks.one(T.endpoint, `${stack}-net-s3`);

      assert.equal(endpoint.inputs.serviceName, "com.amazonaws.eu-west-1.s3");
      assert.equal(endpoint.inputs.vpcEndpointType, "Gateway");
      assert.deepEqual(
        endpoint.inputs.routeTableIds,
        mocks.one(T.vpc).state.routeTables.map((t: { id: string }) => t.id),
      );
    });

    it("routes /api/* to the api tier and everything else to web, dropping invalid headers", () => {
      // Live serves HTTPS (its HTTP listener only redirects); test serves HTTP.
      const serving = mocks.one(T.listener, stack === "live" ? `${stack}-alb-https` : `${stack}-alb-http`);
      const rule = mocks.one(T.listenerRule);

      assert.equal(mocks.one(T.loadBalancer).inputs.dropInvalidHeaderFields, true);
      assert.equal(serving.inputs.port, stack === "live" ? 443 : 80);
      assert.equal(rule.inputs.listenerArn, serving.state.arn);
      assert.deepEqual(serving.inputs.defaultActions, [
        { type: "forward", targetGroupArn: mocks.one(T.targetGroup, `${stack}-alb-web`).state.arn },
      ]);
      assert.deepEqual(rule.inputs.conditions, [{ pathPattern: { values: ["/api/*"] } }]);
      assert.deepEqual(rule.inputs.actions, [
        { type: "forward", targetGroupArn: mocks.one(T.targetGroup, `${stack}-alb-api`).state.arn },
      ]);
    });

    it(
      stack === "live"
        ? "writes access logs to a private bucket the load balancer may write to"
        : "writes no access logs",
      () => {
        const accessLogs = mocks.one(T.loadBalancer).inputs.accessLogs;
        if (stack !== "live") {
          assert.ok(accessLogs === undefined || accessLogs.enabled === false);
          return;
        }
        const logs = mocks.ofType(T.bucket).find((b) => b.name === "live-access-logs")!;
        const policy = JSON.parse(byBucket(mocks, T.bucketPolicy, logs.id).inputs.policy);
        const grant = policy.Statement.find((s: { Sid: string }) => s.Sid === "LoadBalancerLogDelivery");

        assert.deepEqual(accessLogs, { bucket: logs.id, prefix: "live-alb", enabled: true });
        assert.deepEqual(grant.Action, "s3:PutObject");
        assert.equal(grant.Resource, `${logs.state.arn}/live-alb/AWSLogs/123456789012/*`);
        assert.equal(byBucket(mocks, T.lifecycle, logs.id).inputs.rules[0].expiration.days, 365);
      },
    );

    it(
      stack === "live"
        ? "replicates releases/ to a versioned private bucket in its recovery region, named there by an SSM parameter"
        : "replicates its releases nowhere: test has no recovery region",
      async () => {
        const replication = mocks.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig");
        if (stack !== "live") {
          assert.deepEqual(replication, []);
          assert.deepEqual(mocks.ofType("phoenix:storage:ReleaseReplica"), []);
          assert.ok(!mocks.ofType(T.parameter).some((p) => /release-replica/.test(p.inputs.name)));
          assert.deepEqual(await unwrap(program.releaseReplicaBucketNames), {});
          return;
        }
        const store = mocks.one(T.bucket, "live-releases-bucket");
        const replica = mocks.one(T.bucket, "live-releases-eu-central-1-bucket");
        const config = mocks.one("aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs;
        const role = mocks.ofType(T.role).find((r) => r.state.arn === config.role)!;
        const parameter = mocks.one(T.parameter, "live-releases-eu-central-1-parameter");

        assert.equal(config.bucket, store.id);
        assert.deepEqual(config.rules, [
          {
            id: "releases-to-eu-central-1",
            status: "Enabled",
            priority: 0,
            filter: { prefix: "releases/" },
            deleteMarkerReplication: { status: "Disabled" },
            destination: { bucket: replica.state.arn, storageClass: "STANDARD" },
          },
        ]);
        assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal, {
          Service: "s3.amazonaws.com",
        });
        for (const bucket of [store, replica]) {
          assert.deepEqual(byBucket(mocks, T.versioning, bucket.id).inputs.versioningConfiguration, {
            status: "Enabled",
          });
        }
        assert.equal(byBucket(mocks, T.bucketPolicy, replica.id).inputs.policy.includes("DenyInsecureTransport"), true);
        assert.equal(parameter.inputs.name, "/phoenix/live/release-replica");
        assert.equal(parameter.inputs.value, replica.state.bucket);
        assert.match(parameter.provider ?? "", /::live-releases-eu-central-1-aws::/);
        assert.equal(mocks.one(T.provider, "live-releases-eu-central-1-aws").inputs.region, "eu-central-1");
        assert.deepEqual(await unwrap(program.releaseReplicaBucketNames), { "eu-central-1": replica.state.bucket });
      },
    );

    it("lets instances read only their environment's manifest and their tier's artifacts, and no parameters", async () => {
      const bucketArn = `arn:aws:s3:::${await unwrap(program.releaseBucketName)}`;
      for (const tier of ["web", "api"]) {
        const policy = JSON.parse(mocks.one(T.rolePolicy, `${stack}-${tier}-policy`).inputs.policy);
        const statement = (sid: string) => policy.Statement.find((s: { Sid: string }) => s.Sid === sid);

        assert.deepEqual(statement("ReadManifestAndOwnArtifacts").Resource, [
          `${bucketArn}/releases/current.json`,
          `${bucketArn}/releases/*/${tier}.zip`,
        ]);
        assert.equal(statement("ReadEnvironmentParameters"), undefined);
        for (const s of policy.Statement) assert.notEqual(s.Action, "*");
        assert.deepEqual(
          mocks
            .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            .filter((a) => a.name.startsWith(`${stack}-${tier}-`)),
          [],
          "no managed policy on an instance role",
        );
      }
    });

    it("boots the image its config names", () => {
      const expected = `resolve:ssm:/phoenix/${stack}/base-image`;

      for (const lt of mocks.ofType(T.launchTemplate)) assert.equal(lt.inputs.imageId, expected);
    });

    it("sizes each group from its config and warms instances up before their metrics count", () => {
      const expected = stack === "live" ? { web: [3, 12, 3], api: [3, 9, 3] } : { web: [1, 2, 1], api: [1, 2, 1] };
      for (const tier of ["web", "api"] as const) {
        const group = mocks.one(T.group, `${stack}-${tier}-asg`);

        assert.deepEqual([group.inputs.minSize, group.inputs.maxSize, group.inputs.desiredCapacity], expected[tier]);
        assert.equal(group.inputs.defaultInstanceWarmup, 300);
        assert.ok(group.inputs.enabledMetrics.includes("GroupInServiceInstances"));
      }
    });

    it("tracks requests per target on each tier's own load balancer target", () => {
      const lb = mocks.one(T.loadBalancer);
      for (const tier of ["web", "api"]) {
        const policy = mocks.one(T.policy, `${stack}-${tier}-requests`);
        const tg = mocks.one(T.targetGroup, `${stack}-alb-${tier}`);

        assert.equal(policy.inputs.policyType, "TargetTrackingScaling");
        assert.deepEqual(policy.inputs.targetTrackingConfiguration, {
          predefinedMetricSpecification: {
            predefinedMetricType: "ALBRequestCountPerTarget",
            resourceLabel: `${lb.state.arnSuffix}/${tg.state.arnSuffix}`,
          },
          targetValue: stack === "live" && tier === "api" ? 500 : 1000,
        });
        assert.equal(policy.inputs.autoscalingGroupName, mocks.one(T.group, `${stack}-${tier}-asg`).state.name);
      }
    });

    if (stack === "live") {
      it("also tracks average CPU on live", () => {
        for (const tier of ["web", "api"]) {
          const policy = mocks.one(T.policy, `live-${tier}-cpu`);

          assert.deepEqual(policy.inputs.targetTrackingConfiguration, {
            predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
            targetValue: 60,
          });
        }
      });

      it("runs no scheduled actions on live", () => {
        assert.deepEqual(mocks.ofType(T.schedule), []);
      });
    } else {
      it("scales test to zero at 19:00 London time on working days and back at 07:00", () => {
        for (const tier of ["web", "api"]) {
          const group = mocks.one(T.group, `test-${tier}-asg`).state.name;
          const actions = mocks
            .ofType(T.schedule)
            .filter((s) => s.inputs.autoscalingGroupName === group)
            .map((s) =>
              (({ scheduledActionName, recurrence, timeZone, minSize, maxSize, desiredCapacity }) => ({
                scheduledActionName,
                recurrence,
                timeZone,
                minSize,
                maxSize,
                desiredCapacity,
              }))(s.inputs),
            );

          assert.deepEqual(actions, [
            {
              scheduledActionName: "workday-start",
              recurrence: "0 7 * * MON-FRI",
              timeZone: "Europe/London",
              minSize: 1,
              maxSize: 2,
              desiredCapacity: 1,
            },
            {
              scheduledActionName: "workday-end",
              recurrence: "0 19 * * MON-FRI",
              timeZone: "Europe/London",
              minSize: 0,
              maxSize: 0,
              desiredCapacity: 0,
            },
          ]);
        }
      });
    }

    it("hands each tier's rollout policy from the stack file to the rollout Lambda", () => {
      const fn = mocks.one("aws:lambda/function:Function", `${stack}-rollout-fn`);
      const policy = JSON.parse(fn.inputs.environment.variables.PHOENIX_POLICY as string);
      const expected = parseStack(stack);

      for (const tier of ["web", "api"] as const) {
        assert.equal(policy.tiers[tier].minHealthy, expected.tiers[tier].minHealthy);
        assert.equal(policy.tiers[tier].maxInstanceAgeHours, expected.tiers[tier].maxInstanceAgeHours);
      }
      // live recycles every instance after 14 days; test never does.
      assert.equal(policy.tiers.web.maxInstanceAgeHours, stack === "live" ? 336 : undefined);
    });

    it("tags each group with the same rollout policy, so `phoenix plan` keeps the Lambda's floor", () => {
      const fn = mocks.one("aws:lambda/function:Function", `${stack}-rollout-fn`);
      const policy = JSON.parse(fn.inputs.environment.variables.PHOENIX_POLICY as string);

      for (const tier of ["web", "api"]) {
        const group = mocks.one("aws:autoscaling/group:Group", `${stack}-${tier}-asg`);
        assert.deepEqual(JSON.parse(tagMap(group)["phoenix:policy"].value), policy.tiers[tier]);
      }
    });

    it("resolves every stack output", async () => {
      const url = await unwrap(program.loadBalancerUrl);

      if (stack === "live") assert.equal(url, "https://phoenix.example.com");
      else assert.match(url, new RegExp(`^http://${stack}-alb-[0-9a-f]+-\\d+\\.eu-west-1\\.elb\\.amazonaws\\.com$`));
      assert.match(await unwrap(program.releaseBucketName), new RegExp(`^${stack}-releases-bucket-[0-9a-f]+$`));
      assert.match(await unwrap(program.webGroupName), new RegExp(`^${stack}-web-asg-`));
      assert.match(await unwrap(program.apiGroupName), new RegExp(`^${stack}-api-asg-`));
      assert.equal(await unwrap(program.releaseBucketParameter), `/phoenix/${stack}/release-bucket`);
      assert.equal(await unwrap(program.bootLogGroupName), `/phoenix/${stack}/boot`);
      assert.equal(await unwrap(program.environmentName), stack);
      assert.equal(await unwrap(program.region), "eu-west-1");
      assert.equal(await unwrap(program.vpcId), `${stack}-net-vpc-vpc-id`);
    });
  });
}

describe("an environment with a certificate", () => {
  let mocks: PulumiMocks;
  let program: Program;
  const certificateArn = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab";

  before(async () => {
    mocks = await setupMocks("test", { config: { "phoenix:certificateArn": certificateArn } });
    program = loadProgram<Program>();
    await settle();
  });

  it("serves HTTPS with a TLS 1.3 policy and routes /api/* there", () => {
    const https = mocks.one(T.listener, "test-alb-https");

    assert.equal(https.inputs.port, 443);
    assert.equal(https.inputs.protocol, "HTTPS");
    assert.equal(https.inputs.certificateArn, certificateArn);
    assert.equal(https.inputs.sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert.equal(mocks.one(T.listenerRule).inputs.listenerArn, https.state.arn);
  });

  it("redirects HTTP to HTTPS permanently", () => {
    assert.deepEqual(mocks.one(T.listener, "test-alb-http").inputs.defaultActions, [
      { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
    ]);
  });

  it("opens 443 as well as 80 to clients, and nothing else", () => {
    const open = ingressRules(mocks).filter((r) => r.cidr === "0.0.0.0/0");

    assert.deepEqual(open.map((r) => r.from).sort(), [443, 80]);
  });

  it("gives an https URL", async () => {
    assert.match(await unwrap(program.loadBalancerUrl), /^https:\/\//);
  });
});

describe("an environment with a Windows api tier", () => {
  let mocks: PulumiMocks;

  before(async () => {
    mocks = await setupMocks("test", {
      config: {
        "phoenix:apiPlatform": "windows",
        "phoenix:apiRootVolumeSizeGiB": "30",
        "phoenix:apiInstanceType": "t3.medium",
        // The pipeline builds one platform; a mixed environment takes AWS's images.
        "phoenix:imagePipeline": "false",
      },
    });
    loadProgram<Program>();
    await settle();
  });

  it("boots the Windows image with the PowerShell script on the Windows root device", () => {
    const lt = mocks.one(T.launchTemplate, "test-api-lt");
    const script = Buffer.from(lt.inputs.userData, "base64").toString("utf8");

    assert.equal(
      lt.inputs.imageId,
      "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
    );
    assert.equal(lt.inputs.blockDeviceMappings[0].deviceName, "/dev/sda1");
    assert.equal(lt.inputs.blockDeviceMappings[0].ebs.volumeSize, 30);
    assert.match(script, /^<powershell>/);
    assert.equal(lt.inputs.metadataOptions.httpTokens, "required");
  });

  it("keeps the web tier on Linux", () => {
    assert.equal(mocks.one(T.launchTemplate, "test-web-lt").inputs.blockDeviceMappings[0].deviceName, "/dev/xvda");
  });

  it("still opens no administrative port", () => {
    assert.deepEqual(
      ingressRules(mocks).filter((r) => r.from <= 3389 && 3389 <= r.to),
      [],
    );
  });
});

describe("a stack whose fleet has no release store (desiredVersion: highest-observed)", () => {
  let mocks: PulumiMocks;

  before(async () => {
    mocks = await setupMocks("test", { config: { "phoenix:desiredVersion": "highest-observed" } });
    loadProgram<Program>();
    await settle();
  });

  it("hands the source to the Lambda and tags it on every group, so `phoenix plan` decides the same", () => {
    const fn = mocks.one("aws:lambda/function:Function", "test-rollout-fn");
    const policy = JSON.parse(fn.inputs.environment.variables.PHOENIX_POLICY as string);

    for (const tier of ["web", "api"]) {
      assert.equal(policy.tiers[tier].desiredVersion, "highest-observed", tier);
      const group = mocks.one("aws:autoscaling/group:Group", `test-${tier}-asg`);
      assert.equal(JSON.parse(tagMap(group)["phoenix:policy"].value).desiredVersion, "highest-observed");
    }
  });
});

describe("a stack whose config is wrong", () => {
  it("fails before creating any resource, naming the key, the value and what is allowed", async () => {
    const mocks = await setupMocks("test", { config: { "phoenix:webMinSize": "5", "phoenix:apiPort": "22" } });

    assert.throws(
      () => loadProgram<Program>(),
      (error: unknown) =>
        // A RunError: pulumi up prints its message alone, with no stack trace to read past.
        error instanceof pulumi.RunError &&
        /phoenix:webMinSize = 5: must not exceed phoenix:webMaxSize \(2\)/.test(error.message) &&
        /phoenix:apiPort = 22/.test(error.message),
    );
    await settle();
    assert.deepEqual(mocks.resources, []);
  });
});

describe("an environment built directly", () => {
  const recorded: { type: string; name: string; opts: pulumi.CustomResourceOptions }[] = [];
  let environment: Environment;

  before(async () => {
    await setupMocks("test");
    const config = parseStack("test");
    const provider = environmentProvider("test", config.region);
    environment = new Environment(
      "test",
      { config },
      {
        providers: { aws: provider },
        transformations: [
          (a) => {
            recorded.push({ type: a.type, name: a.name, opts: a.opts });
            return undefined;
          },
        ],
      },
    );
    await settle();
  });

  it("sets each group's desired capacity only at creation, so deploys never fight the autoscaler", () => {
    const groups = recorded.filter((r) => r.type === T.group);

    assert.equal(groups.length, 2);
    for (const g of groups) assert.deepEqual(g.opts.ignoreChanges, ["desiredCapacity"]);
  });

  it("exposes what the rollout needs: network, bucket, tiers with groups, ports and security groups", async () => {
    assert.equal(await unwrap(environment.vpcId), "test-net-vpc-vpc-id");
    assert.equal(environment.vpcCidrBlock, "10.0.0.0/16");
    assert.deepEqual(await unwrap(environment.privateSubnetIds), ["test-net-vpc-private-1", "test-net-vpc-private-2"]);
    assert.match(await unwrap(environment.releaseBucketArn), /^arn:aws:s3:::test-releases-bucket-/);
    assert.equal(environment.tiers.api.port, 8080);
    assert.equal(await unwrap(environment.tiers.web.securityGroupId), "test-web-sg-id");
    assert.match(await unwrap(environment.tiers.web.groupArn), /autoScalingGroupName\/test-web-asg-/);
  });

  it("admits a rollout security group to a tier's app port only", async () => {
    const mocks = await setupMocks("test");

    environment.tiers.web.admit("rollout", "sg-rollout", "rollout Lambda /version probes");
    await settle();

    const rule = mocks.one(T.ingress, "test-web-in-rollout");
    assert.equal(rule.inputs.referencedSecurityGroupId, "sg-rollout");
    assert.deepEqual([rule.inputs.fromPort, rule.inputs.toPort, rule.inputs.ipProtocol], [8080, 8080, "tcp"]);
  });
});

describe("a disposable copy of test in another region", () => {
  let mocks: PulumiMocks;
  let program: Program;

  before(async () => {
    // What `pulumi stack init pr-42 --copy-config-from test` and `pulumi config set aws:region ap-southeast-2` give.
    mocks = await setupMocks("pr-42", { configFrom: "test", config: { "aws:region": "ap-southeast-2" } });
    program = loadProgram<Program>();
    await settle();
  });

  it("names everything after its own stack and nothing after the stack it was copied from", () => {
    const text = JSON.stringify(mocks.resources.map((r) => [r.name, r.inputs]));

    assert.deepEqual(
      mocks.resources.filter((r) => r.name !== "pr-42" && !r.name.startsWith("pr-42-")).map((r) => r.name),
      [],
    );
    assert.doesNotMatch(text, /"test-|\/phoenix\/test\//);
  });

  it("builds in the configured region and mentions no other", () => {
    const text = JSON.stringify(mocks.resources.map((r) => r.inputs));

    assert.equal(mocks.one(T.provider).inputs.region, "ap-southeast-2");
    assert.equal(mocks.one(T.endpoint).inputs.serviceName, "com.amazonaws.ap-southeast-2.s3");
    assert.doesNotMatch(text, /eu-west-1|us-east-1/);
  });

  it("publishes its own release bucket parameter and outputs", async () => {
    assert.equal(await unwrap(program.releaseBucketParameter), "/phoenix/pr-42/release-bucket");
    assert.match(await unwrap(program.loadBalancerUrl), /^http:\/\/pr-42-alb-.*\.ap-southeast-2\.elb\.amazonaws\.com$/);
  });
});
