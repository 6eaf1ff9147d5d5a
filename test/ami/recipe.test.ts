// What a base image is made of: the component documents Image Builder accepts (and what their scripts check), the
// content-derived versions, and each platform's component and recipe as the pipeline declares them under mocks.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { awsManagedImageArn, componentDocument, contentVersion, recipeName } from "../../ami/recipe";
import type { PulumiMocks } from "../support/pulumi-mocks";
import { requireTool } from "../support/tools";
import { BuiltPipelines, buildPipelines } from "./fixture";

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

  it("checks what the Linux boot script and sample app run on, and installs no CloudWatch agent", () => {
    const validate = parseYaml(fs.readFileSync(PLATFORM_FILES.linux, "utf8")).phases[1].steps[0].inputs.commands[0];

    assert.match(validate, /python3/);
    assert.match(validate, /aws --version/);
    // Instance roles grant nothing an agent needs (docs/security.md): an agent in the image would only fail.
    assert.doesNotMatch(fs.readFileSync(PLATFORM_FILES.linux, "utf8"), /cloudwatch-agent/);
  });

  it("passes shellcheck in every Linux script step", () => {
    const doc = parseYaml(fs.readFileSync(PLATFORM_FILES.linux, "utf8"));
    const scripts = doc.phases.flatMap((p: { steps: { action: string; inputs?: { commands: string[] } }[] }) =>
      p.steps.filter((s) => s.action === "ExecuteBash").map((s) => s.inputs!.commands.join("\n")),
    );

    assert.equal(scripts.length, 3);
    requireTool("shellcheck");
    for (const script of scripts) {
      const result = spawnSync("shellcheck", ["-s", "bash", "-"], { input: script, encoding: "utf8" });
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    }
  });

  it("fails the Linux validate step, naming each missing prerequisite, on a machine without them", () => {
    // On this PATH there is no AWS CLI: exactly the build the validate phase must stop.
    const script = parseYaml(fs.readFileSync(PLATFORM_FILES.linux, "utf8")).phases[1].steps[0].inputs.commands[0];
    requireTool("bash");

    const result = spawnSync("bash", ["-c", script], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin" },
      timeout: 30_000,
    });

    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /MISSING: AWS CLI v2/);
    assert.match(result.stderr, /failing the image build/);
  });

  it("checks IIS and .NET Framework 4.8 on Windows, and installs no CloudWatch agent", () => {
    const validate = parseYaml(fs.readFileSync(PLATFORM_FILES.windows, "utf8")).phases[1].steps[0].inputs.commands[0];

    assert.match(validate, /Web-Server/);
    assert.match(validate, /528040/);
    assert.doesNotMatch(fs.readFileSync(PLATFORM_FILES.windows, "utf8"), /CloudWatchAgent|cloudwatch-agent/);
  });
});

describe("content versions and names", () => {
  it("versions a document by its content: same text, same version; changed text, new version", () => {
    const doc = componentDocument("linux");

    assert.equal(contentVersion(doc), contentVersion(doc));
    assert.notEqual(contentVersion(doc), contentVersion(`${doc}\n# changed`));
    const patch = Number(contentVersion(doc).split(".")[2]);
    assert.ok(patch >= 0 && patch < 2 ** 30, "Image Builder allows at most 2^30 - 1 per version part");
  });

  it("names every platform's recipe after its environment", () => {
    assert.equal(recipeName("live", "windows"), "phoenix-live-windows");
  });
});

describe("each platform's recipe under mocks", () => {
  let mocks: PulumiMocks;
  let region: string;
  let byName: BuiltPipelines["byName"];

  before(async () => {
    ({ mocks, region, byName } = await buildPipelines());
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

  it("builds only Linux by default", () => {
    const recipes = mocks
      .ofType("aws:imagebuilder/imageRecipe:ImageRecipe")
      .filter((r) => r.name.startsWith("custom-"))
      .map((r) => r.name);

    assert.deepEqual(recipes, ["custom-linux"]);
  });
});
