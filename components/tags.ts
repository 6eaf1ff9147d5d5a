// The tags phoenix puts on everything it creates. The CLI and the Lambdas find groups by `phoenix:environment` and
// `phoenix:tier`, never by name, so these keys are part of the contract, not decoration.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export const ENVIRONMENT_TAG = "phoenix:environment";
export const TIER_TAG = "phoenix:tier";
export const PORT_TAG = "phoenix:port";
export const STRATEGY_TAG = "phoenix:strategy";
/** The tier's rollout policy as JSON; runtime/planner.ts POLICY_TAG reads it. */
export const POLICY_TAG = "phoenix:policy";
export const MANAGED_BY_TAG = "managed-by";
export const MANAGED_BY = "phoenix";

/** Tags every resource of an environment carries (the provider adds them as default tags). */
export function environmentTags(environment: string): Record<string, string> {
  return { [ENVIRONMENT_TAG]: environment, [MANAGED_BY_TAG]: MANAGED_BY };
}

/** Tags of a resource that belongs to one tier. */
export function tierTags(environment: string, tier: string): Record<string, string> {
  return { ...environmentTags(environment), [TIER_TAG]: tier };
}

/**
 * The AWS provider every resource of an environment is created with: the stack's region, and the environment's tags
 * as default tags so that no resource can be created untagged. Pass it to the Environment as `providers: { aws }`.
 */
export function environmentProvider(
  environment: string,
  region: string,
  opts?: pulumi.CustomResourceOptions,
): aws.Provider {
  return new aws.Provider(
    `${environment}-aws`,
    { region: region as aws.Region, defaultTags: { tags: environmentTags(environment) } },
    opts,
  );
}
