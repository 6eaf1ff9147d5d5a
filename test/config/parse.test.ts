// Stack config: the real stack files parse, Pulumi.yaml declares exactly the keys the program reads, and every kind
// of mistake fails before anything is created with a message naming the key, the value and what is allowed.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import {
  CONFIG_KEYS,
  cronMatcher,
  cronProblem,
  imageSourceFor,
  parseConfig,
  parseSchedule,
  PhoenixConfig,
  RawConfig,
  weeklyInstanceHours,
} from "../../config";
import { UsageError } from "../../runtime/core/errors";
import { loadStackConfig, PROJECT_ROOT } from "../support/pulumi-mocks";

/** The raw `phoenix:` config the CLI would hand the program for a stack, keys without the namespace. */
function stackRaw(stack: string): { raw: RawConfig; region: string } {
  const all = loadStackConfig(stack);
  const raw: RawConfig = {};
  for (const [k, v] of Object.entries(all)) if (k.startsWith("phoenix:")) raw[k.slice("phoenix:".length)] = v;
  return { raw, region: all["aws:region"] };
}

function parseWith(
  overrides: RawConfig,
  environment = "test",
  region: string | undefined = "eu-west-1",
): PhoenixConfig {
  return parseConfig({ ...stackRaw("test").raw, ...overrides }, environment, region);
}

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected the config to be rejected");
}

describe("stack config", () => {
  describe("the stack files", () => {
    for (const stack of ["live", "test"]) {
      it(`parse for ${stack} without problems`, () => {
        const { raw, region } = stackRaw(stack);

        const config = parseConfig(raw, stack, region);

        assert.equal(config.environment, stack);
        assert.equal(config.region, region);
      });
    }

    it("give live a NAT gateway per zone and test a single one", () => {
      const live = parseConfig(stackRaw("live").raw, "live", "eu-west-1");
      const test = parseConfig(stackRaw("test").raw, "test", "eu-west-1");

      assert.equal(live.natGateways, "perZone");
      assert.equal(test.natGateways, "single");
    });

    it("recycle live's instances after 14 days and leave test's alone", () => {
      const live = parseConfig(stackRaw("live").raw, "live", "eu-west-1");
      const test = parseConfig(stackRaw("test").raw, "test", "eu-west-1");

      assert.deepEqual([live.tiers.web.maxInstanceAgeHours, live.tiers.api.maxInstanceAgeHours], [336, 336]);
      assert.deepEqual(
        [test.tiers.web.maxInstanceAgeHours, test.tiers.api.maxInstanceAgeHours],
        [undefined, undefined],
      );
    });

    it("scale test to zero at the end of every working day", () => {
      const test = parseConfig(stackRaw("test").raw, "test", "eu-west-1");

      for (const tier of [test.tiers.web, test.tiers.api]) {
        const end = tier.schedules.find((s) => s.desiredCapacity === 0);
        assert.deepEqual(end, {
          name: "workday-end",
          cron: "0 19 * * MON-FRI",
          timeZone: "Europe/London",
          minSize: 0,
          maxSize: 0,
          desiredCapacity: 0,
        });
      }
    });
  });

  describe("Pulumi.yaml", () => {
    const project = parseYaml(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as {
      config: Record<string, { type: string; description: string; default: unknown }>;
    };

    it("declares exactly the keys the program reads", () => {
      assert.deepEqual(Object.keys(project.config).sort(), CONFIG_KEYS.map((k) => k.key).sort());
    });

    it("declares each key with the program's type, default and description", () => {
      for (const key of CONFIG_KEYS) {
        const decl = project.config[key.key];
        assert.equal(decl.type, key.type, key.key);
        assert.deepEqual(decl.default, key.default, key.key);
        assert.equal(decl.description, key.description, key.key);
      }
    });

    it("gives defaults that parse on their own", () => {
      const config = parseConfig({}, "scratch", "eu-west-1");

      assert.equal(config.tiers.web.platform, "linux");
      assert.equal(config.availabilityZones, 2);
    });
  });

  describe("rejects before anything is created", () => {
    const cases: [string, RawConfig, RegExp][] = [
      [
        "a minimum above the maximum",
        { webMinSize: "3", webMaxSize: "2" },
        /phoenix:webMinSize = 3: must not exceed phoenix:webMaxSize \(2\)/,
      ],
      [
        "a desired capacity outside min..max",
        { apiDesiredCapacity: "5" },
        /phoenix:apiDesiredCapacity = 5: must be within .*\(1\.\.2\)/,
      ],
      ["a port above 65535", { webPort: "70000" }, /phoenix:webPort = 70000: must be from 1 to 65535/],
      ["port 22", { apiPort: "22" }, /phoenix:apiPort = 22: 22 and 3389 are administrative ports/],
      ["port 3389", { webPort: 3389 }, /phoenix:webPort = 3389/],
      ["a port that is not a number", { webPort: "eighty" }, /phoenix:webPort = "eighty": must be a whole number/],
      [
        "an unknown platform",
        { webPlatform: "solaris" },
        /phoenix:webPlatform = "solaris": must be one of linux, windows/,
      ],
      ["a CIDR that is not one", { vpcCidr: "10.0.0.0" }, /phoenix:vpcCidr = "10.0.0.0": is not an IPv4 CIDR/],
      ["a CIDR with an octet above 255", { vpcCidr: "10.300.0.0/16" }, /has an octet above 255/],
      ["a CIDR too large for a VPC", { vpcCidr: "10.0.0.0/8" }, /must have a prefix from \/16 to \/24/],
      ["a CIDR with host bits set", { vpcCidr: "10.0.0.1/16" }, /has host bits set/],
      ["a single availability zone", { availabilityZones: "1" }, /phoenix:availabilityZones = 1: must be from 2 to 6/],
      [
        "an unknown NAT strategy",
        { natGateways: "none" },
        /phoenix:natGateways = "none": must be one of single, perZone/,
      ],
      ["a boolean that is not one", { accessLogs: "yes" }, /phoenix:accessLogs = "yes": must be true or false/],
      [
        "a malformed certificate ARN",
        { certificateArn: "my-cert" },
        /phoenix:certificateArn = "my-cert": must be an ACM certificate ARN/,
      ],
      [
        "an image that is neither an AMI nor a parameter",
        { linuxImage: "ubuntu" },
        /phoenix:linuxImage = "ubuntu": must be an AMI id .* or an SSM parameter name/,
      ],
      [
        "a Windows root volume under 30 GiB",
        { apiPlatform: "windows", apiRootVolumeSizeGiB: "8" },
        /phoenix:apiRootVolumeSizeGiB = 8: Windows images need/,
      ],
      [
        "a log retention CloudWatch does not offer",
        { bootLogRetentionDays: "10" },
        /phoenix:bootLogRetentionDays = 10: must be one of 1, 3, 5/,
      ],
      [
        "an unknown rollout strategy",
        { webStrategy: "yolo" },
        /phoenix:webStrategy = "yolo": must be one of surge, replace/,
      ],
      ["a misspelt key", { webMinsize: "1" }, /phoenix:webMinsize = "1": is not a phoenix config key/],
      [
        "a CPU target above 100%",
        { webCpuTargetPercent: "150" },
        /phoenix:webCpuTargetPercent = 150: must be from 0 to 100/,
      ],
      [
        "a negative request target",
        { apiRequestsPerTarget: "-5" },
        /phoenix:apiRequestsPerTarget = -5: must be from 0 to 1000000/,
      ],
      [
        "a bad cron",
        { webSchedules: '["nights: 0 25 * * *  UTC desired=0 min=0"]' },
        /phoenix:webSchedules = .*cron "0 25 \* \* \*" field 2 \(hour\)/,
      ],
      ["a cron with six fields", { webSchedules: ["nights: 0 0 19 * * MON UTC min=0"] }, /is not "<name>: <minute>/],
      [
        "an unknown time zone",
        { webSchedules: ["nights: 0 19 * * * Mars/Olympus min=0 desired=0"] },
        /"Mars\/Olympus" is not an IANA time zone/,
      ],
      [
        "a scheduled size outside min/max",
        { apiSchedules: ["peak: 0 9 * * * UTC desired=5"] },
        /schedule peak: desired=5 is outside its min\/max 1\.\.2/,
      ],
      [
        "a scheduled max above the tier's",
        { apiSchedules: ["peak: 0 9 * * * UTC max=9"] },
        /max=9 is above the tier's maximum 2/,
      ],
      ["a schedule that sets no size", { webSchedules: ["noop: 0 9 * * * UTC"] }, /sets no size/],
      [
        "two schedules with one name",
        { webSchedules: ["a: 0 9 * * * UTC min=1", "a: 0 10 * * * UTC min=1"] },
        /schedule name a is used twice/,
      ],
      [
        "schedules that are not a list",
        { webSchedules: "nights" },
        /phoenix:webSchedules = "nights": must be a YAML list of strings/,
      ],
    ];
    for (const [what, overrides, message] of cases) {
      it(`rejects ${what}`, () => {
        const text = problemsOf(() => parseWith(overrides));

        assert.match(text, message);
        assert.match(text, /nothing was created/);
      });
    }

    it("reports every problem at once, not only the first", () => {
      const text = problemsOf(() => parseWith({ webPort: "0", apiPlatform: "beos", vpcCidr: "nope" }));

      assert.match(text, /3 problem\(s\)/);
    });

    it("rejects a stack name that cannot name buckets", () => {
      assert.match(
        problemsOf(() => parseWith({}, "Test_Env")),
        /stack name "Test_Env" must start with a lowercase letter/,
      );
    });

    it("rejects a stack name too long for load balancer names", () => {
      assert.match(
        problemsOf(() => parseWith({}, "a-very-long-stack-name")),
        /at most 16 characters/,
      );
    });

    it("rejects a missing region with the command that sets it", () => {
      assert.match(
        problemsOf(() => parseConfig(stackRaw("test").raw, "test", undefined)),
        /pulumi config set aws:region/,
      );
    });
  });

  describe("schedules", () => {
    it("accepts names, ranges, lists and steps in a cron", () => {
      assert.equal(cronProblem("*/15 7-19 1,15 JAN-MAR mon-fri"), undefined);
    });

    it("rejects a range that runs backwards", () => {
      assert.match(cronProblem("0 19-7 * * *") ?? "", /field 2 \(hour\)/);
    });

    it("lets a schedule take the tier to zero when it lowers the minimum too", () => {
      const { schedule, problems } = parseSchedule("off: 0 19 * * FRI UTC min=0 max=0 desired=0", {
        minSize: 1,
        maxSize: 2,
      });

      assert.deepEqual(problems, []);
      assert.equal(schedule?.desiredCapacity, 0);
    });
  });

  describe("scheduled capacity", () => {
    const test = () => parseConfig(stackRaw("test").raw, "test", "eu-west-1");

    it("runs each test tier 60 of the week's 168 hours: 07:00 to 19:00 London time, Monday to Friday", () => {
      const hours = weeklyInstanceHours(test().tiers.web.schedules, 0, "2026-11-30T00:00:00Z");

      assert.equal(hours, 60);
    });

    it("keeps the same hours in British Summer Time, because the schedule follows London's clock", () => {
      assert.equal(weeklyInstanceHours(test().tiers.api.schedules, 0, "2026-06-01T00:00:00Z"), 60);
    });

    it("runs a tier without schedules all week at its capacity", () => {
      assert.equal(weeklyInstanceHours([], 3, "2026-11-30T00:00:00Z"), 504);
    });

    it("matches a cron on day of month or day of week when both are restricted, as cron does", () => {
      const matches = cronMatcher("0 9 1 * MON");
      const at = { minute: 0, hour: 9, month: 12 };

      assert.equal(matches({ ...at, day: 1, weekday: 2 }), true);
      assert.equal(matches({ ...at, day: 7, weekday: 1 }), true);
      assert.equal(matches({ ...at, day: 8, weekday: 2 }), false);
    });
  });

  describe("images", () => {
    it("boot live from its own pipeline's parameter", () => {
      const live = parseConfig(stackRaw("live").raw, "live", "eu-west-1");

      assert.equal(live.tiers.web.image.imageId, "resolve:ssm:/phoenix/live/base-image");
      assert.equal(live.tiers.web.image.kind, "pipeline");
    });

    it("boot a stack without the pipeline from AWS's public Amazon Linux 2023 alias", () => {
      const config = parseWith({ imagePipeline: "false" });

      assert.equal(
        config.tiers.api.image.imageId,
        "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      );
    });

    it("let a disposable copy follow test's images through test's parameter", () => {
      const source = imageSourceFor("pr-42", "linux", false, "/phoenix/test/base-image");

      assert.deepEqual(source, {
        kind: "parameter",
        imageId: "resolve:ssm:/phoenix/test/base-image",
        parameterName: "/phoenix/test/base-image",
      });
    });

    it("keep a pinned AMI id as it is", () => {
      assert.equal(imageSourceFor("test", "linux", false, "ami-0123456789abcdef0").imageId, "ami-0123456789abcdef0");
    });

    it("give a Windows tier the Windows image", () => {
      const config = parseWith({ apiPlatform: "windows", apiRootVolumeSizeGiB: "30", imagePipeline: "false" });

      assert.equal(
        config.tiers.api.image.imageId,
        "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
      );
    });

    it("reject a pinned image while the pipeline is on", () => {
      const text = problemsOf(() => parseWith({ imagePipeline: "true", linuxImage: "ami-0123456789abcdef0" }));

      assert.match(text, /phoenix:linuxImage = "ami-0123456789abcdef0": web tier: imagePipeline is on/);
    });
  });
});
