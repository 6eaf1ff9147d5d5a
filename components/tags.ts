// The AWS provider every resource of an environment is created with. The tag keys themselves are part of the
// contract with the runtime (runtime/contract/tags.ts): the CLI and the Lambda find groups by them, never by name.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { environmentTags } from "../runtime/contract";

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
