// IAM policy documents as the components write them: one statement shape for identity policies (a role's) and
// resource policies (a bucket's), built by pure functions so that tests read them statement by statement and the
// IAM simulator evaluates them as AWS would.
import type * as pulumi from "@pulumi/pulumi";

/**
 * One statement. `R` is the resource value: plain strings in a role's resolved policy, `pulumi.Input<string>` in a
 * bucket policy written before its ARN is known. `Principal` only in resource policies.
 */
export interface PolicyStatement<R = string> {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: unknown;
  Action: string | string[];
  /** Exactly one of Resource and NotResource. */
  Resource?: R | R[];
  /** Every resource but these (a Deny that leaves only the listed ones). */
  NotResource?: R | R[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument<R = string> {
  Version: "2012-10-17";
  Statement: PolicyStatement<R>[];
}

/** A bucket policy statement: resources may be outputs, resolved before the policy is written. */
export type BucketPolicyStatement = PolicyStatement<pulumi.Input<string>>;
