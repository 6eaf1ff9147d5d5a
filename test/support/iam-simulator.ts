// The IAM simulator as the tests use it: one request against a role's policy documents, decided the way AWS would
// (@cloud-copilot/iam-simulate, with AWS's service authorization data), and a readable line for each decision so a
// failing test says which call, on what, with which context, and why.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { PolicyDocument } from "../../components/iam";
import { MOCK_ACCOUNT_ID } from "./pulumi-mocks";

/** AWS's answer: allowed, denied because nothing allowed it, or denied by a Deny statement. */
export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

/** One request a role's session makes. */
export interface SimulatedCall {
  action: string;
  /** The resource's ARN, or `*` for actions that have none. */
  resource: string;
  /** Request context: `autoscaling:ResourceTag/<key>`, `aws:TagKeys`, `cloudwatch:namespace`, ... @default none */
  context?: Record<string, string | string[]>;
  /** What the call stands for, in the failure message. @default the action on the resource */
  label?: string;
}

/** The role's session the requests come from (the simulator needs a principal; policies here name none). */
const PRINCIPAL = `arn:aws:sts::${MOCK_ACCOUNT_ID}:assumed-role/phoenix-under-test/session`;

/** What AWS decides for one call under these identity policies; throws when the simulator rejects the request. */
export async function decide(policies: PolicyDocument[], call: SimulatedCall): Promise<Decision> {
  const result = await runSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `policy-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        principal: PRINCIPAL,
        action: call.action,
        resource: { resource: call.resource, accountId: MOCK_ACCOUNT_ID },
        contextVariables: call.context ?? {},
      },
    },
    {},
  );
  if (result.resultType === "error") {
    throw new Error(`the simulator refused ${describeCall(call)}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}

/** `<action> on <resource> [context]`, or the call's label. */
export function describeCall(call: SimulatedCall): string {
  const context = call.context && Object.keys(call.context).length > 0 ? ` with ${JSON.stringify(call.context)}` : "";
  return `${call.label ? `${call.label}: ` : ""}${call.action} on ${call.resource}${context}`;
}

/** Every call whose decision is not the one expected, each as a line naming the call and what AWS decided. */
export async function misjudged(
  policies: PolicyDocument[],
  calls: SimulatedCall[],
  expected: "allowed" | "denied",
): Promise<string[]> {
  const wrong: string[] = [];
  for (const call of calls) {
    const decision = await decide(policies, call);
    const ok = expected === "allowed" ? decision === "Allowed" : decision !== "Allowed";
    if (!ok) wrong.push(`${describeCall(call)} → ${decision}`);
  }
  return wrong;
}
