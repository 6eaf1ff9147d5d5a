// The contract's call lists against the code that makes the calls: every AWS operation runtime/aws/ sends is listed
// in ROLLOUT_CALLS or OPERATOR_CALLS, and every AWS call the boot scripts make in BOOT_CALLS, so a new call cannot
// reach a deployed role unnoticed: listed, the IAM simulator (test/components/iam/) fails until the role allows it.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { BOOT_CALLS, OPERATOR_CALLS, PROMOTE_CALLS, ROLLOUT_CALLS } from "../../../runtime/contract";
import { PROJECT_ROOT } from "../../support/pulumi-mocks";

/** Operations named in TypeScript source: `<Op>Command` classes and `paginate<Op>` helpers. */
export function sdkOperations(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/\b([A-Z][A-Za-z0-9]+)Command\b/g)) found.add(m[1]);
  for (const m of source.matchAll(/\bpaginate([A-Z][A-Za-z0-9]+)\b/g)) found.add(m[1]);
  return [...found].sort();
}

/** The AWS Tools for PowerShell cmdlets the Windows boot script may use, by the CLI operation each one is. */
const CMDLETS: Record<string, string> = {
  "Read-S3Object": "get-object",
  "Get-S3ObjectMetadata": "head-object",
  "New-CWLLogStream": "create-log-stream",
  "Write-CWLLogEvent": "put-log-events",
  "Set-ASInstanceHealth": "set-instance-health",
};

/** Operations a boot script calls: `aws <service> <operation>` in bash, AWS cmdlets in PowerShell. */
export function bootOperations(script: string): string[] {
  const found = new Set<string>();
  for (const m of script.matchAll(/\baws (s3api|s3|logs|autoscaling|ssm|ec2|cloudwatch|sts) ([a-z0-9-]+)/g)) {
    found.add(m[2]);
  }
  for (const m of script.matchAll(/\b[A-Z][a-z]+-(?:S3|CWL|CW|AS|SSM|EC2|STS)[A-Za-z]+\b/g)) {
    found.add(CMDLETS[m[0]] ?? `unknown cmdlet ${m[0]}`);
  }
  return [...found].sort();
}

const read = (...parts: string[]) => fs.readFileSync(path.join(PROJECT_ROOT, ...parts), "utf8");

describe("the AWS calls the contract lists", () => {
  const awsDir = path.join(PROJECT_ROOT, "runtime", "aws");
  const sent = [...new Set(fs.readdirSync(awsDir).flatMap((f) => sdkOperations(read("runtime", "aws", f))))].sort();
  const listed = [...new Set([...ROLLOUT_CALLS, ...OPERATOR_CALLS, ...PROMOTE_CALLS].map((c) => c.operation))].sort();

  it("lists every operation runtime/aws/ sends, so the simulator checks the rollout role allows it", () => {
    assert.deepEqual(
      sent.filter((op) => !listed.includes(op)),
      [],
      "add each to ROLLOUT_CALLS (the Lambda calls it), PROMOTE_CALLS (phoenix promote does) or OPERATOR_CALLS (only the CLI does)",
    );
  });

  it("lists no operation runtime/aws/ no longer sends, so no role keeps a grant nothing uses", () => {
    assert.deepEqual(
      listed.filter((op) => !sent.includes(op)),
      [],
    );
  });

  it("finds operations the way runtime/aws/ names them", () => {
    const source = "const { DescribeTargetHealthCommand } = sdk.elbv2(); paginateDescribeInstances(x)";

    assert.deepEqual(sdkOperations(source), ["DescribeInstances", "DescribeTargetHealth"]);
  });

  it("lists every AWS call of both boot scripts in BOOT_CALLS, and nothing they do not call", () => {
    const linux = bootOperations(read("userdata", "linux.sh"));
    const windows = bootOperations(read("userdata", "windows.ps1"));
    const listedBoot = [...new Set(BOOT_CALLS.map((c) => c.operation))].sort();

    assert.deepEqual([...new Set([...linux, ...windows])].sort(), listedBoot);
  });

  it("names an AWS cmdlet it does not know, so the Windows script cannot add a call unseen", () => {
    assert.deepEqual(bootOperations("Get-SSMParameter -Name x; aws ssm get-parameter --name y"), [
      "get-parameter",
      "unknown cmdlet Get-SSMParameter",
    ]);
  });
});
