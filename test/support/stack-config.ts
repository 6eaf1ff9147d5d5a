// Stack config as the config tests need it: a stack file's raw `phoenix:` values (with Pulumi.yaml's defaults, as
// the CLI would hand them over), the test stack with overrides parsed, and the problems a rejected config reports.
import * as assert from "node:assert/strict";
import { parseConfig, PhoenixConfig, RawConfig } from "../../config";
import { UsageError } from "../../runtime/core/errors";
import { loadStackConfig, PROJECT } from "./pulumi-mocks";

/** The raw `phoenix:` config the CLI would hand the program for a stack, keys without the namespace. */
export function stackRaw(stack: string): { raw: RawConfig; region: string } {
  const all = loadStackConfig(stack);
  const raw: RawConfig = {};
  for (const [k, v] of Object.entries(all)) if (k.startsWith(`${PROJECT}:`)) raw[k.slice(PROJECT.length + 1)] = v;
  return { raw, region: all["aws:region"] };
}

/** A stack file parsed as `pulumi up --stack <stack>` would. */
export function parseStack(stack: string): PhoenixConfig {
  const { raw, region } = stackRaw(stack);
  return parseConfig(raw, stack, region);
}

/** The test stack's config with some keys overridden. */
export function parseWith(
  overrides: RawConfig,
  environment = "test",
  region: string | undefined = "eu-west-1",
): PhoenixConfig {
  return parseConfig({ ...stackRaw("test").raw, ...overrides }, environment, region);
}

/** The message of the UsageError fn throws; fails the test when it accepts the config or throws anything else. */
export function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected the config to be rejected");
}

/** Asserts the test stack with these overrides is rejected with a message matching `message`. */
export function assertRejected(overrides: RawConfig, message: RegExp): void {
  const text = problemsOf(() => parseWith(overrides));
  assert.match(text, message);
  assert.match(text, /nothing was created/);
}
