// The rollout Lambda's entry point as Pulumi serializes it: a thin closure over the runtime's handler factory, and
// what the archive leaves out. Everything the closure reaches is plain TypeScript in runtime/, tested without Pulumi.
import * as pulumi from "@pulumi/pulumi";
import { createRolloutHandler } from "../../runtime/lambda/handlers";
import type { InvocationContext, RolloutHandler } from "../../runtime/lambda/handlers";

/** Packages the handler never loads: the Lambda runtime ships @aws-sdk v3; the rest serve the CLI or Pulumi. */
export const EXCLUDED_PACKAGES = [
  "@aws-sdk/client-auto-scaling",
  "@aws-sdk/client-cloudwatch",
  "@aws-sdk/client-ec2",
  "@aws-sdk/client-elastic-load-balancing-v2",
  "@aws-sdk/client-s3",
  "@aws-sdk/client-ssm",
  "@aws-sdk/client-sqs",
  // `phoenix doctor`'s clients: only the CLI loads them.
  "@aws-sdk/client-cloudwatch-logs",
  "@aws-sdk/client-eventbridge",
  "@aws-sdk/client-lambda",
  "@aws-sdk/client-sts",
  // The CLI's and the rehearsal's packages: the handler never loads them.
  "commander",
  "fflate",
  "vega",
  "vega-lite",
];

/**
 * The Lambda's entry point, serialized into the archive by Pulumi: a thin closure over the handler factory. The
 * handler is built once per execution environment, on the first invocation, so a missing variable fails that
 * invocation with its name.
 */
export function rolloutCallback(): (event: unknown, context?: InvocationContext) => Promise<unknown> {
  const lazy: { handler?: RolloutHandler } = {};
  return async (event: unknown, context?: InvocationContext) => {
    lazy.handler = lazy.handler ?? createRolloutHandler();
    // The context names the function and the request: who holds the sweep lease while this invocation sweeps.
    return lazy.handler(event, context);
  };
}

/**
 * Serializes the entry point as CallbackFunction will, throwing the serializer's explanation when some code it
 * reaches cannot be serialized. Under Pulumi mocks such a failure hangs the program instead of failing it, so tests
 * call this first.
 *
 * Two limits of Pulumi's closure serializer bind all runtime code the Lambda reaches (runtime/ minus the CLI):
 * - a nested function must not use a `const`/`let` declared after it in the enclosing function (the parser takes
 *   it for a free variable: "Unexpected missing variable in closure environment"); declare it first with `let`.
 * - `super(message)` in a class extending Error becomes `Error.call(this, message)`, which sets nothing, and class
 *   field initializers are dropped: an error class must assign `this.name` and `this.message` in its constructor
 *   for its message to survive (runtime/lambda's nativeError() then reports it as a native Error).
 */
export async function checkSerializable(): Promise<void> {
  await pulumi.runtime.serializeFunction(rolloutCallback(), {
    serialize: () => true,
    exportName: "handler",
    allowSecrets: true,
  });
}
