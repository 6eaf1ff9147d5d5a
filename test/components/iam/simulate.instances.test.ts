// The instance roles and the image pipeline's roles as AWS would judge them, for each stack file. An instance may do
// exactly what its boot script calls (BOOT_CALLS) on its own environment and tier; it may not read another tier's
// artifacts or any parameter, write any log but its boot log's streams, publish metrics, touch another group's
// health, or write releases. Build instances and the lifecycle role keep AWS's managed policies, narrowed to their
// own environment by an inline deny.
import * as assert from "node:assert/strict";
import { BOOT_CALLS, MANIFEST_KEY, METRICS_NAMESPACE, TAGS } from "../../../runtime/contract";
import { misjudged, SimulatedCall } from "../../support/iam-simulator";
import { arn, groupTags, loadStackRoles, requestsFor, StackRoles, TIER_NAMES } from "./stack-roles";

for (const stack of ["test", "live"]) {
  describe(`the ${stack} stack's instance and image pipeline roles, decided by the IAM simulator`, () => {
    let r: StackRoles;
    before(async () => {
      r = await loadStackRoles(stack);
    });

    for (const tier of TIER_NAMES) {
      const other = tier === "web" ? "api" : "web";

      it(`allows the ${tier} instances every call their boot script makes`, async () => {
        const calls = BOOT_CALLS.flatMap((c) => requestsFor(r, c, tier));

        assert.deepEqual(await misjudged(r.instance[tier], calls, "allowed"), []);
      });

      it(`denies the ${tier} instances the ${other} tier's artifacts, other groups' health and any release write`, async () => {
        const health = (tags: Record<string, string>, resource = r.groupArn[other]): SimulatedCall => ({
          label: `health of ${JSON.stringify(tags)}`,
          action: "autoscaling:SetInstanceHealth",
          resource,
          context: groupTags(tags),
        });
        const calls: SimulatedCall[] = [
          { action: "s3:GetObject", resource: `${r.bucketArn}/releases/1.0.274/${other}.zip` },
          { action: "s3:GetObject", resource: `arn:aws:s3:::${r.other}-releases-bucket/${MANIFEST_KEY}` },
          { action: "s3:PutObject", resource: `${r.bucketArn}/${MANIFEST_KEY}` },
          { action: "s3:PutObject", resource: `${r.bucketArn}/releases/9.9.9/${tier}.zip` },
          // Its own release bucket it may list (a missing manifest must read NoSuchKey: the no-release placeholder),
          // another environment's never.
          { action: "s3:ListBucket", resource: `arn:aws:s3:::${r.other}-releases-bucket` },
          health({ [TAGS.environment]: r.environment, [TAGS.tier]: other }),
          health({ [TAGS.environment]: r.other, [TAGS.tier]: tier }),
          health({}),
          {
            action: "autoscaling:TerminateInstanceInAutoScalingGroup",
            resource: r.groupArn[tier],
            context: groupTags({ [TAGS.environment]: r.environment, [TAGS.tier]: tier }),
          },
          { action: "ec2:TerminateInstances", resource: arn(r, "ec2", "instance/i-0123456789abcdef0") },
        ];

        assert.deepEqual(await misjudged(r.instance[tier], calls, "denied"), []);
      });

      it(`denies the ${tier} instances parameters, metrics and every log but their boot log's streams`, async () => {
        const calls: SimulatedCall[] = [
          { action: "ssm:GetParameter", resource: arn(r, "ssm", `parameter/phoenix/${r.environment}/base-image`) },
          { action: "ssm:GetParameter", resource: arn(r, "ssm", `parameter/phoenix/${r.other}/release-bucket`) },
          { action: "ssm:GetParameters", resource: arn(r, "ssm", `parameter/phoenix/${r.environment}/release-bucket`) },
          // The rollout's log is what `phoenix explain` replays and the metrics come from.
          { action: "logs:PutLogEvents", resource: `${r.rolloutLogGroupArn}:log-stream:forged` },
          { action: "logs:CreateLogStream", resource: `${r.rolloutLogGroupArn}:log-stream:forged` },
          {
            action: "logs:PutLogEvents",
            resource: arn(r, "logs", `log-group:/phoenix/${r.other}/boot:log-stream:i-1`),
          },
          { action: "logs:PutRetentionPolicy", resource: r.bootLogGroupArn },
          { action: "logs:CreateLogGroup", resource: arn(r, "logs", "log-group:/anything") },
          {
            action: "cloudwatch:PutMetricData",
            resource: "*",
            context: { "cloudwatch:namespace": METRICS_NAMESPACE },
          },
          { action: "cloudwatch:PutMetricData", resource: "*", context: { "cloudwatch:namespace": "CWAgent" } },
        ];

        assert.deepEqual(await misjudged(r.instance[tier], calls, "denied"), []);
      });
    }

    it("allows build instances what Image Builder drives them with: SSM, components, their own build log", async () => {
      const calls: SimulatedCall[] = [
        { action: "ssm:UpdateInstanceInformation", resource: "*" },
        { action: "ec2messages:GetMessages", resource: "*" },
        { action: "ssmmessages:OpenControlChannel", resource: "*" },
        { action: "imagebuilder:GetComponent", resource: "*" },
        { action: "s3:GetObject", resource: `arn:aws:s3:::ec2imagebuilder-managed-resources-${r.region}-prod/x` },
        {
          action: "logs:PutLogEvents",
          resource: arn(r, "logs", `log-group:/aws/imagebuilder/phoenix-${r.environment}-linux:log-stream:1.0.1/1`),
        },
      ];

      assert.deepEqual(await misjudged(r.buildInstance, calls, "allowed"), []);
    });

    it("denies build instances every phoenix parameter, another environment's build log and the fleet", async () => {
      const calls: SimulatedCall[] = [
        { action: "ssm:GetParameter", resource: arn(r, "ssm", `parameter/phoenix/${r.environment}/base-image`) },
        { action: "ssm:GetParameters", resource: arn(r, "ssm", `parameter/phoenix/${r.other}/release-bucket`) },
        {
          action: "logs:PutLogEvents",
          resource: arn(r, "logs", `log-group:/aws/imagebuilder/phoenix-${r.other}-linux:log-stream:1.0.1/1`),
        },
        { action: "logs:PutLogEvents", resource: `${r.bootLogGroupArn}:log-stream:forged` },
        { action: "s3:GetObject", resource: `${r.bucketArn}/${MANIFEST_KEY}` },
        { action: "s3:PutObject", resource: `${r.bucketArn}/${MANIFEST_KEY}` },
        { action: "ec2:TerminateInstances", resource: arn(r, "ec2", "instance/i-0123456789abcdef0") },
        {
          action: "autoscaling:TerminateInstanceInAutoScalingGroup",
          resource: r.groupArn.web,
          context: groupTags({ [TAGS.environment]: r.environment, [TAGS.tier]: "web" }),
        },
      ];

      assert.deepEqual(await misjudged(r.buildInstance, calls, "denied"), []);
    });

    it("lets the lifecycle role retire this environment's images only", async () => {
      const image = `arn:aws:ec2:${r.region}::image/ami-0123456789abcdef0`;
      const built = { "aws:ResourceTag/CreatedBy": "EC2 Image Builder" };
      const own = { ...built, [`aws:ResourceTag/${TAGS.environment}`]: r.environment };
      const allowed: SimulatedCall[] = [
        { action: "ec2:DeregisterImage", resource: image, context: own },
        { action: "ec2:EnableImageDeprecation", resource: image, context: own },
        {
          action: "ec2:DeleteSnapshot",
          resource: `arn:aws:ec2:${r.region}::snapshot/snap-0123456789abcdef0`,
          context: built,
        },
      ];
      const denied: SimulatedCall[] = [
        {
          action: "ec2:DeregisterImage",
          resource: image,
          context: { ...built, [`aws:ResourceTag/${TAGS.environment}`]: r.other },
        },
        { action: "ec2:DeregisterImage", resource: image, context: built },
        {
          action: "ec2:DeregisterImage",
          resource: image,
          context: { [`aws:ResourceTag/${TAGS.environment}`]: r.environment },
        },
        { action: "ec2:TerminateInstances", resource: arn(r, "ec2", "instance/i-0123456789abcdef0") },
        { action: "s3:PutObject", resource: `${r.bucketArn}/${MANIFEST_KEY}` },
      ];

      assert.deepEqual(await misjudged(r.lifecycle, allowed, "allowed"), []);
      assert.deepEqual(await misjudged(r.lifecycle, denied, "denied"), []);
    });
  });
}
