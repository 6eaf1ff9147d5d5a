// The monthly base-image pipeline: component documents Image Builder accepts, the schedule's meaning (after Patch
// Tuesday), the image-source decision, and the Image Builder resources as the program declares them under mocks.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import {
  ImageSourceError,
  platformImageParameterName,
  PUBLIC_IMAGE_ALIASES,
  resolveImageSource,
} from "../../ami/image-source";
import {
  awsManagedImageArn,
  BaseImagePipeline,
  BaseImagePipelineArgs,
  BaseImagePipelineArgsError,
  componentDocument,
  contentVersion,
  validateBaseImagePipelineArgs,
} from "../../ami/pipeline";
import {
  daysAfterPatchTuesday,
  DEFAULT_SCHEDULE_EXPRESSION,
  nextRuns,
  parseMonthlyCron,
  patchTuesday,
  runsOutsidePatchWindow,
  ScheduleExpressionError,
} from "../../ami/schedule";
import { loadProgram, PulumiMocks, RecordedResource, settle, setupMocks } from "../support/pulumi-mocks";
import { baseImageParameterName } from "../../runtime/contract";

/** A parameter value as the program passed it: Pulumi may carry it as a secret envelope `{ ..., value }`. */
const plain = (v: unknown): unknown => (v !== null && typeof v === "object" && "value" in v ? v.value : v);

const PLATFORM_FILES = { linux: "ami/linux-component.yaml", windows: "ami/windows-component.yaml" } as const;
const EXECUTE_ACTIONS = new Set(["ExecuteBash", "ExecutePowerShell"]);

describe("Image Builder component documents", () => {
  for (const [platform, file] of Object.entries(PLATFORM_FILES)) {
    describe(`${platform} (${file})`, () => {
      const text = fs.readFileSync(file, "utf8");

      it("is valid YAML with schemaVersion 1.0 and a name", () => {
        const doc = parseYaml(text);

        assert.match(text, /^schemaVersion: 1\.0$/m);
        assert.equal(doc.schemaVersion, 1);
        assert.match(doc.name, /^phoenix-base-/);
      });

      it("has exactly the build, validate and test phases, each with steps", () => {
        const doc = parseYaml(text);

        assert.deepEqual(
          doc.phases.map((p: { name: string }) => p.name),
          ["build", "validate", "test"],
        );
        for (const phase of doc.phases) assert.ok(phase.steps.length > 0, `${phase.name} has no steps`);
      });

      it("gives every step a unique name and an action, and every script step its commands", () => {
        const doc = parseYaml(text);

        for (const phase of doc.phases) {
          const names = phase.steps.map((s: { name: string }) => s.name);
          assert.equal(new Set(names).size, names.length, `duplicate step names in ${phase.name}`);
          for (const step of phase.steps) {
            assert.match(step.name, /^[A-Za-z][A-Za-z0-9]+$/, `step name ${step.name}`);
            assert.equal(typeof step.action, "string", `${step.name} has no action`);
            if (EXECUTE_ACTIONS.has(step.action)) {
              assert.ok(step.inputs.commands.length > 0, `${step.name} has no commands`);
            }
          }
        }
      });

      it("installs OS updates in the build phase and reboots after them", () => {
        const actions = parseYaml(text).phases[0].steps.map((s: { action: string }) => s.action);

        assert.ok(actions.includes("UpdateOS"), "no UpdateOS step");
        assert.ok(actions.indexOf("Reboot") > actions.indexOf("UpdateOS"), "no reboot after the updates");
      });

      it("fails the build from validate and test when a prerequisite is missing", () => {
        const doc = parseYaml(text);

        for (const phaseName of ["validate", "test"]) {
          const phase = doc.phases.find((p: { name: string }) => p.name === phaseName);
          for (const step of phase.steps) {
            assert.equal(step.onFailure, "Abort", `${phaseName}/${step.name} must abort the build`);
            assert.match(step.inputs.commands.join("\n"), /exit 1/, `${phaseName}/${step.name} never fails`);
          }
        }
      });

      it("is exactly what the pipeline sends to Image Builder", () => {
        assert.equal(componentDocument(platform as "linux" | "windows"), text);
      });
    });
  }

  it("checks what the Linux boot script and sample app run on, and the CloudWatch agent", () => {
    const validate = parseYaml(fs.readFileSync(PLATFORM_FILES.linux, "utf8")).phases[1].steps[0].inputs.commands[0];

    assert.match(validate, /python3/);
    assert.match(validate, /aws --version/);
    assert.match(validate, /amazon-cloudwatch-agent/);
  });

  it("passes shellcheck in every Linux script step", () => {
    const doc = parseYaml(fs.readFileSync(PLATFORM_FILES.linux, "utf8"));
    const scripts = doc.phases.flatMap((p: { steps: { action: string; inputs?: { commands: string[] } }[] }) =>
      p.steps.filter((s) => s.action === "ExecuteBash").map((s) => s.inputs!.commands.join("\n")),
    );

    assert.equal(scripts.length, 3);
    for (const script of scripts) {
      const result = spawnSync("shellcheck", ["-s", "bash", "-"], { input: script, encoding: "utf8" });
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    }
  });

  it("fails the Linux validate step, naming each missing prerequisite, on a machine without them", () => {
    // This machine has no CloudWatch agent under /opt/aws: exactly the build the validate phase must stop.
    const script = parseYaml(fs.readFileSync(PLATFORM_FILES.linux, "utf8")).phases[1].steps[0].inputs.commands[0];

    const result = spawnSync("bash", ["-c", script], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin" },
      timeout: 30_000,
    });

    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /MISSING: CloudWatch agent installed/);
    assert.match(result.stderr, /failing the image build/);
  });

  it("checks IIS, .NET Framework 4.8 and the CloudWatch agent on Windows", () => {
    const validate = parseYaml(fs.readFileSync(PLATFORM_FILES.windows, "utf8")).phases[1].steps[0].inputs.commands[0];

    assert.match(validate, /Web-Server/);
    assert.match(validate, /528040/);
    assert.match(validate, /AmazonCloudWatchAgent/);
  });
});

describe("the monthly schedule", () => {
  const from = new Date("2026-11-26T00:00:00Z");

  it("finds Patch Tuesday on the second Tuesday of the month", () => {
    assert.equal(patchTuesday(2026, 12).toISOString(), "2026-12-08T00:00:00.000Z");
    assert.equal(patchTuesday(2027, 6).toISOString(), "2027-06-08T00:00:00.000Z");
    assert.equal(patchTuesday(2027, 2).toISOString(), "2027-02-09T00:00:00.000Z");
    assert.equal(patchTuesday(2028, 8).toISOString(), "2028-08-08T00:00:00.000Z");
  });

  it("lists the next runs of the default expression on third Wednesdays at midnight UTC", () => {
    const runs = nextRuns(DEFAULT_SCHEDULE_EXPRESSION, from, 3).map((d) => d.toISOString());

    assert.deepEqual(runs, ["2026-12-16T00:00:00.000Z", "2027-01-20T00:00:00.000Z", "2027-02-17T00:00:00.000Z"]);
  });

  it("runs each of the next 24 months 1 to 8 days after that month's Patch Tuesday", () => {
    const runs = nextRuns(DEFAULT_SCHEDULE_EXPRESSION, from, 24);

    assert.equal(runs.length, 24);
    assert.deepEqual(runsOutsidePatchWindow(DEFAULT_SCHEDULE_EXPRESSION, from, 24), []);
    const days = runs.map(daysAfterPatchTuesday);
    assert.ok(Math.min(...days) >= 1 && Math.max(...days) <= 8, `days after: ${days.join(",")}`);
  });

  it("stays in the window over every calendar shape (28 years of months)", () => {
    assert.deepEqual(runsOutsidePatchWindow(DEFAULT_SCHEDULE_EXPRESSION, new Date("2000-01-01T00:00:00Z"), 336), []);
  });

  it("rejects Patch Tuesday itself (tue#2) as a schedule that is not after it", () => {
    const outside = runsOutsidePatchWindow("cron(0 0 ? * tue#2 *)", from, 24);

    assert.equal(outside.length, 24);
    assert.ok(outside.every((o) => o.daysAfter === 0));
  });

  it("flags the second Wednesday, which falls before Patch Tuesday in some months", () => {
    const outside = runsOutsidePatchWindow("cron(0 0 ? * wed#2 *)", from, 24);

    assert.ok(outside.length > 0);
    assert.ok(outside.every((o) => o.daysAfter < 1));
  });

  it("reads weekday numbers the AWS way (1 = Sunday)", () => {
    assert.deepEqual(parseMonthlyCron("cron(30 4 ? * 4#3 *)"), { minute: 30, hour: 4, weekday: 3, nth: 3 });
  });

  it("rejects expressions outside the monthly subset with a message naming the field", () => {
    assert.throws(() => parseMonthlyCron("cron(0 0 * * ? *)"), /day-of-month must be "\?"/);
    assert.throws(() => parseMonthlyCron("cron(0 0 ? * wed *)"), /day-of-week "wed"/);
    assert.throws(() => parseMonthlyCron("rate(30 days)"), ScheduleExpressionError);
    assert.throws(() => parseMonthlyCron("cron(0 25 ? * wed#3 *)"), /hour "25"/);
  });
});

describe("the image source of a launch template", () => {
  it("uses the environment's own parameter when the pipeline is on", () => {
    const source = resolveImageSource({ environment: "live", platform: "linux", pipelineEnabled: true });

    assert.deepEqual(source, {
      kind: "pipeline",
      imageId: "resolve:ssm:/phoenix/live/base-image",
      parameterName: "/phoenix/live/base-image",
    });
  });

  it("follows another environment's parameter for a disposable copy", () => {
    const source = resolveImageSource({
      environment: "pr-42",
      platform: "linux",
      pipelineEnabled: false,
      baseImageParameter: "/phoenix/test/base-image",
    });

    assert.equal(source.kind, "parameter");
    assert.equal(source.imageId, "resolve:ssm:/phoenix/test/base-image");
  });

  it("uses a configured AMI id as it is", () => {
    const source = resolveImageSource({
      environment: "test",
      platform: "linux",
      pipelineEnabled: false,
      amiId: "ami-0123456789abcdef0",
    });

    assert.deepEqual(source, { kind: "ami", imageId: "ami-0123456789abcdef0" });
  });

  it("falls back to the platform's public SSM alias", () => {
    const linux = resolveImageSource({ environment: "test", platform: "linux", pipelineEnabled: false });
    const windows = resolveImageSource({ environment: "test", platform: "windows", pipelineEnabled: false });

    assert.equal(linux.imageId, `resolve:ssm:${PUBLIC_IMAGE_ALIASES.linux}`);
    assert.equal(windows.imageId, `resolve:ssm:${PUBLIC_IMAGE_ALIASES.windows}`);
  });

  it("boots a Windows tier from the base-image parameter too when the pipeline builds Windows for it", () => {
    const source = resolveImageSource({ environment: "live", platform: "windows", pipelineEnabled: true });

    assert.equal(source.imageId, "resolve:ssm:/phoenix/live/base-image");
  });

  it("gives a secondary platform its own parameter so two platforms never overwrite each other", () => {
    assert.equal(platformImageParameterName("live", "linux", "linux"), baseImageParameterName("live"));
    assert.equal(platformImageParameterName("live", "windows", "windows"), "/phoenix/live/base-image");
    assert.equal(platformImageParameterName("live", "windows", "linux"), "/phoenix/live/base-image-windows");
  });

  it("rejects contradictory or malformed settings, naming the key", () => {
    const base = { environment: "test", platform: "linux" as const };
    assert.throws(
      () => resolveImageSource({ ...base, pipelineEnabled: true, baseImageParameter: "/phoenix/test/base-image" }),
      /imagePipeline is on/,
    );
    assert.throws(
      () =>
        resolveImageSource({
          ...base,
          pipelineEnabled: false,
          baseImageParameter: "/phoenix/test/base-image",
          amiId: "ami-0123456789abcdef0",
        }),
      /keep one of them/,
    );
    assert.throws(() => resolveImageSource({ ...base, pipelineEnabled: false, amiId: "ami-xyz" }), ImageSourceError);
    assert.throws(
      () => resolveImageSource({ ...base, pipelineEnabled: false, baseImageParameter: "phoenix/test" }),
      /baseImageParameter "phoenix\/test"/,
    );
  });
});

describe("pipeline argument checks", () => {
  const valid: BaseImagePipelineArgs = { environment: "test", subnetId: "subnet-1", securityGroupId: "sg-1" };

  it("accepts the defaults", () => {
    assert.doesNotThrow(() => validateBaseImagePipelineArgs(valid));
  });

  it("rejects a delete threshold that does not exceed the deprecate threshold", () => {
    assert.throws(
      () => validateBaseImagePipelineArgs({ ...valid, keepImageCount: 4, retainImageCount: 4 }),
      /retainImageCount 4 must be a whole number greater than keepImageCount \(4\)/,
    );
  });

  it("rejects a schedule outside the monthly subset, an unknown platform and a malformed DR region", () => {
    assert.throws(
      () => validateBaseImagePipelineArgs({ ...valid, scheduleExpression: "cron(0 0 1 * ? *)" }),
      /scheduleExpression/,
    );
    assert.throws(
      () => validateBaseImagePipelineArgs({ ...valid, platforms: ["macos" as "linux"] }),
      BaseImagePipelineArgsError,
    );
    assert.throws(() => validateBaseImagePipelineArgs({ ...valid, drRegions: ["Frankfurt"] }), /drRegions entry/);
  });

  it("versions a document by its content: same text, same version; changed text, new version", () => {
    const doc = componentDocument("linux");

    assert.equal(contentVersion(doc), contentVersion(doc));
    assert.notEqual(contentVersion(doc), contentVersion(`${doc}\n# changed`));
    const patch = Number(contentVersion(doc).split(".")[2]);
    assert.ok(patch >= 0 && patch < 2 ** 30, "Image Builder allows at most 2^30 - 1 per version part");
  });
});

/** Answers the lookup of AWS's public image aliases, which seeds the base-image parameter. */
const PUBLIC_ALIAS_LOOKUP = {
  "aws:ssm/getParameter:getParameter": (inputs: Record<string, string>) => ({
    id: inputs.name,
    name: inputs.name,
    arn: `arn:aws:ssm:eu-west-1::parameter${inputs.name}`,
    type: "String",
    value: inputs.name.includes("windows") ? "ami-0windows000000000" : "ami-0linux0000000000a",
    insecureValue: "",
    version: 1,
    region: "eu-west-1",
  }),
};

describe("BaseImagePipeline under mocks", () => {
  let mocks: PulumiMocks;
  let region: string;
  let drRegion: string;
  const byName = (type: string, name: string): RecordedResource => mocks.one(type, name);

  before(async () => {
    mocks = await setupMocks("test", { calls: PUBLIC_ALIAS_LOOKUP });
    region = mocks.region;
    drRegion = region === "eu-central-1" ? "eu-west-1" : "eu-central-1";
    new BaseImagePipeline("base-image", {
      environment: "test",
      platforms: ["linux", "windows"],
      subnetId: "subnet-private-a",
      securityGroupId: "sg-image-builds",
      drRegions: [drRegion],
    });
    new BaseImagePipeline("custom", {
      environment: "custom",
      subnetId: "subnet-private-b",
      securityGroupId: "sg-custom",
      // The home region listed as a DR region too: written once, not twice.
      drRegions: [region],
      scheduleExpression: "cron(30 6 ? * thu#3 *)",
      startCondition: "EXPRESSION_MATCH_ONLY",
      keepImageCount: 2,
      retainImageCount: 5,
      inUseWithinDays: 90,
    });
    new BaseImagePipeline("windows-only", {
      environment: "win",
      platforms: ["windows"],
      subnetId: "subnet-private-c",
      securityGroupId: "sg-win",
      seedImageId: "ami-0123456789abcdef0",
    });
    await settle();
  });

  it("registers one component per pipeline under the phoenix:ami:BaseImagePipeline type", () => {
    assert.equal(mocks.ofType("phoenix:ami:BaseImagePipeline").length, 3);
  });

  it("starts each recipe from the AWS-managed image by x.x.x wildcard, in the stack's partition and region", () => {
    const linux = byName("aws:imagebuilder/imageRecipe:ImageRecipe", "base-image-linux").inputs;
    const windows = byName("aws:imagebuilder/imageRecipe:ImageRecipe", "base-image-windows").inputs;

    assert.equal(linux.parentImage, `arn:aws:imagebuilder:${region}:aws:image/amazon-linux-2023-x86/x.x.x`);
    assert.equal(
      windows.parentImage,
      `arn:aws:imagebuilder:${region}:aws:image/windows-server-2022-english-full-base-x86/x.x.x`,
    );
    assert.equal(awsManagedImageArn("aws-cn", "cn-north-1", "linux").split(":")[1], "aws-cn");
  });

  it("encrypts each recipe's gp3 root volume", () => {
    for (const [name, device] of [
      ["base-image-linux", "/dev/xvda"],
      ["base-image-windows", "/dev/sda1"],
    ]) {
      const [root] = byName("aws:imagebuilder/imageRecipe:ImageRecipe", name).inputs.blockDeviceMappings;
      assert.equal(root.deviceName, device);
      assert.equal(root.ebs.encrypted, "true");
      assert.equal(root.ebs.volumeType, "gp3");
    }
  });

  it("builds each recipe from the component holding that platform's document", () => {
    for (const platform of ["linux", "windows"] as const) {
      const component = byName("aws:imagebuilder/component:Component", `base-image-${platform}`);
      const recipe = byName("aws:imagebuilder/imageRecipe:ImageRecipe", `base-image-${platform}`);

      assert.equal(component.inputs.data, componentDocument(platform));
      assert.equal(component.inputs.platform, platform === "linux" ? "Linux" : "Windows");
      assert.equal(component.inputs.version, contentVersion(componentDocument(platform)));
      assert.deepEqual(recipe.inputs.components, [{ componentArn: component.state.arn }]);
    }
  });

  it("schedules monthly after Patch Tuesday, only when the parent image or a component changed", () => {
    const { schedule } = byName("aws:imagebuilder/imagePipeline:ImagePipeline", "base-image-linux").inputs;

    assert.deepEqual(schedule, {
      scheduleExpression: "cron(0 0 ? * wed#3 *)",
      pipelineExecutionStartCondition: "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE",
    });
  });

  it("takes a configured schedule and start condition", () => {
    const { schedule } = byName("aws:imagebuilder/imagePipeline:ImagePipeline", "custom-linux").inputs;

    assert.deepEqual(schedule, {
      scheduleExpression: "cron(30 6 ? * thu#3 *)",
      pipelineExecutionStartCondition: "EXPRESSION_MATCH_ONLY",
    });
  });

  it("runs image tests and logs to CloudWatch log groups with retention", () => {
    const pipeline = byName("aws:imagebuilder/imagePipeline:ImagePipeline", "base-image-linux").inputs;
    const imageLogs = byName("aws:cloudwatch/logGroup:LogGroup", "base-image-linux-image-logs").inputs;

    assert.equal(pipeline.imageTestsConfiguration.imageTestsEnabled, true);
    assert.equal(pipeline.status, "ENABLED");
    assert.equal(pipeline.loggingConfiguration.imageLogGroupName, "/aws/imagebuilder/phoenix-test-linux");
    assert.equal(imageLogs.name, "/aws/imagebuilder/phoenix-test-linux");
    assert.equal(imageLogs.retentionInDays, 90);
  });

  it("writes the AMI id to /phoenix/<env>/base-image as aws:ec2:image here and in each DR region", () => {
    const linux = byName("aws:imagebuilder/distributionConfiguration:DistributionConfiguration", "base-image-linux");
    const { distributions } = linux.inputs;

    assert.deepEqual(
      distributions.map((d: { region: string }) => d.region),
      [region, drRegion],
    );
    for (const d of distributions) {
      assert.deepEqual(d.ssmParameterConfigurations, [
        { parameterName: "/phoenix/test/base-image", dataType: "aws:ec2:image" },
      ]);
      assert.match(d.amiDistributionConfiguration.name, /\{\{ imagebuilder:buildDate \}\}/);
    }
  });

  it("writes the parameter once when the home region is also listed for disaster recovery", () => {
    const custom = byName("aws:imagebuilder/distributionConfiguration:DistributionConfiguration", "custom-linux");

    assert.deepEqual(
      custom.inputs.distributions.map((d: { region: string }) => d.region),
      [region],
    );
  });

  it("writes a secondary platform's AMI id to its own parameter", () => {
    const windows = byName(
      "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
      "base-image-windows",
    ).inputs;

    assert.equal(
      windows.distributions[0].ssmParameterConfigurations[0].parameterName,
      "/phoenix/test/base-image-windows",
    );
  });

  it("writes the primary platform's AMI id to the base-image parameter, Windows included", () => {
    const windowsOnly = byName(
      "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
      "windows-only-windows",
    ).inputs;

    assert.equal(windowsOnly.distributions[0].ssmParameterConfigurations[0].parameterName, "/phoenix/win/base-image");
  });

  it("creates the base-image parameter before the first build, seeded with AWS's newest image", () => {
    const parameter = byName("aws:ssm/parameter:Parameter", "base-image-base-image").inputs;
    const lookups = mocks.calls.filter((c) => c.token === "aws:ssm/getParameter:getParameter");

    assert.equal(parameter.name, "/phoenix/test/base-image");
    assert.equal(parameter.dataType, "aws:ec2:image");
    assert.equal(plain(parameter.value), "ami-0linux0000000000a");
    assert.equal(parameter.overwrite, false);
    assert.ok(lookups.some((c) => c.inputs.name === PUBLIC_IMAGE_ALIASES.linux));
  });

  it("seeds the parameter with a given image instead of looking one up", () => {
    const parameter = byName("aws:ssm/parameter:Parameter", "windows-only-base-image").inputs;

    assert.equal(plain(parameter.value), "ami-0123456789abcdef0");
    assert.ok(!mocks.calls.some((c) => c.inputs.name === PUBLIC_IMAGE_ALIASES.windows));
  });

  it("gives build instances a profile with exactly SSM core and the Image Builder instance policy", () => {
    const role = byName("aws:iam/role:Role", "base-image-instance");
    const attached = mocks
      .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((a) => a.inputs.role === role.state.name)
      .map((a) => a.inputs.policyArn)
      .sort();
    const inline = mocks.ofType("aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.state.name);
    const profile = byName("aws:iam/instanceProfile:InstanceProfile", "base-image-instance");

    assert.deepEqual(attached, [
      "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
      "arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder",
    ]);
    assert.deepEqual(inline, []);
    assert.equal(role.inputs.managedPolicyArns, undefined);
    assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    assert.equal(profile.inputs.role, role.state.name);
  });

  it("builds in the given private subnet and security group, IMDSv2 only, terminating failed builds", () => {
    const infra = byName(
      "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
      "base-image-linux",
    ).inputs;
    const profile = byName("aws:iam/instanceProfile:InstanceProfile", "base-image-instance");

    assert.deepEqual(infra.instanceMetadataOptions, { httpTokens: "required", httpPutResponseHopLimit: 1 });
    assert.equal(infra.subnetId, "subnet-private-a");
    assert.deepEqual(infra.securityGroupIds, ["sg-image-builds"]);
    assert.equal(infra.terminateInstanceOnFailure, true);
    assert.equal(infra.instanceProfileName, profile.state.name);
    assert.equal(infra.keyPair, undefined);
  });

  it("retires old images: deprecate beyond the newest 3, delete beyond 6 with snapshots, sparing recent launches", () => {
    const policy = byName("aws:imagebuilder/lifecyclePolicy:LifecyclePolicy", "base-image-lifecycle").inputs;
    const inUse = { amis: { lastLaunched: { unit: "DAYS", value: 45 } } };

    assert.equal(policy.resourceType, "AMI_IMAGE");
    assert.deepEqual(policy.resourceSelection.recipes, [
      { name: "phoenix-test-linux", semanticVersion: "x.x.x" },
      { name: "phoenix-test-windows", semanticVersion: "x.x.x" },
    ]);
    assert.deepEqual(policy.policyDetails, [
      {
        action: { type: "DEPRECATE", includeResources: { amis: true } },
        filter: { type: "COUNT", value: 3 },
        exclusionRules: inUse,
      },
      {
        action: { type: "DELETE", includeResources: { amis: true, snapshots: true } },
        filter: { type: "COUNT", value: 6 },
        exclusionRules: inUse,
      },
    ]);
  });

  it("selects the recipes the pipelines actually build", () => {
    const recipeNames = mocks
      .ofType("aws:imagebuilder/imageRecipe:ImageRecipe")
      .filter((r) => r.name.startsWith("base-image-"))
      .map((r) => r.inputs.name);
    const policy = byName("aws:imagebuilder/lifecyclePolicy:LifecyclePolicy", "base-image-lifecycle").inputs;

    assert.deepEqual(
      policy.resourceSelection.recipes.map((r: { name: string }) => r.name),
      recipeNames,
    );
  });

  it("takes configured retention counts and in-use window", () => {
    const policy = byName("aws:imagebuilder/lifecyclePolicy:LifecyclePolicy", "custom-lifecycle").inputs;

    assert.deepEqual(
      policy.policyDetails.map((d: { filter: { value: number } }) => d.filter.value),
      [2, 5],
    );
    assert.equal(policy.policyDetails[0].exclusionRules.amis.lastLaunched.value, 90);
  });

  it("runs lifecycle actions under their own role with only Image Builder's lifecycle policy", () => {
    const role = byName("aws:iam/role:Role", "base-image-lifecycle");
    const attached = mocks
      .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((a) => a.inputs.role === role.state.name)
      .map((a) => a.inputs.policyArn);
    const policy = byName("aws:imagebuilder/lifecyclePolicy:LifecyclePolicy", "base-image-lifecycle").inputs;

    assert.deepEqual(attached, ["arn:aws:iam::aws:policy/service-role/EC2ImageBuilderLifecycleExecutionPolicy"]);
    assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal, {
      Service: "imagebuilder.amazonaws.com",
    });
    assert.equal(policy.executionRole, role.state.arn);
  });

  it("builds only Linux by default", () => {
    const recipes = mocks
      .ofType("aws:imagebuilder/imageRecipe:ImageRecipe")
      .filter((r) => r.name.startsWith("custom-"))
      .map((r) => r.name);

    assert.deepEqual(recipes, ["custom-linux"]);
  });
});

for (const stack of ["live", "test"]) {
  describe(`the ${stack} stack's base image`, () => {
    let mocks: PulumiMocks;
    let program: Record<string, unknown>;

    before(async () => {
      mocks = await setupMocks(stack, { calls: PUBLIC_ALIAS_LOOKUP });
      program = loadProgram();
      await settle();
    });

    it("runs the pipeline, named after the stack", () => {
      const pipeline = mocks.one("phoenix:ami:BaseImagePipeline");
      const imagePipeline = mocks.one("aws:imagebuilder/imagePipeline:ImagePipeline");

      assert.equal(pipeline.name, `${stack}-image`);
      assert.equal(imagePipeline.inputs.name, `phoenix-${stack}-linux`);
    });

    it("boots every tier from the parameter the pipeline publishes", () => {
      const templates = mocks.ofType("aws:ec2/launchTemplate:LaunchTemplate");

      assert.equal(templates.length, 2);
      for (const t of templates) assert.equal(t.inputs.imageId, `resolve:ssm:/phoenix/${stack}/base-image`);
      assert.equal(
        mocks.one("aws:ssm/parameter:Parameter", `${stack}-image-base-image`).inputs.name,
        `/phoenix/${stack}/base-image`,
      );
    });

    it("builds in a private subnet behind a security group that admits nothing", () => {
      const infra = mocks.one("aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration").inputs;
      const sg = mocks.one("aws:ec2/securityGroup:SecurityGroup", `${stack}-image-builds`);
      const ingress = mocks
        .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .filter((r) => r.inputs.securityGroupId === sg.id);
      const egress = mocks
        .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        .filter((r) => r.inputs.securityGroupId === sg.id)
        .map((r) => r.inputs.fromPort)
        .sort((a, b) => a - b);

      assert.match(infra.subnetId, /private/);
      assert.deepEqual(infra.securityGroupIds, [sg.id]);
      assert.deepEqual(ingress, []);
      assert.deepEqual(egress, [80, 443]);
    });

    it("exports the pipeline's ARN, to start a build by hand", async () => {
      const arn = await new Promise((resolve) =>
        (program.imagePipelineArn as { apply: (f: (v: unknown) => unknown) => unknown }).apply(resolve),
      );

      assert.match(String(arn), /imagebuilder/);
    });
  });
}
