// How the rollout Lambda reaches AWS when its environment has private endpoints: the SDK's per-service endpoint
// variables pointed at the interface endpoints (which have no private DNS, see components/network.ts), and the
// follow-up queue's URL on the SQS endpoint's host.
import * as pulumi from "@pulumi/pulumi";
import { rolloutServices, SERVICE_ENDPOINTS } from "../../runtime/contract";
import type { RolloutPrivateEndpoints } from "./args";

/**
 * The SDK's endpoint variable for every service the function calls, pointed at its interface endpoint; none without
 * private endpoints (the SDK then resolves AWS's public names through the NAT).
 */
export function endpointVariables(
  endpoints: RolloutPrivateEndpoints | undefined,
): Record<string, pulumi.Input<string>> {
  if (endpoints === undefined) return {};
  const variables: Record<string, pulumi.Input<string>> = {};
  for (const service of rolloutServices()) {
    const known = SERVICE_ENDPOINTS[service];
    if (known === undefined) {
      throw new Error(`rollout: the function calls ${service}, which SERVICE_ENDPOINTS does not know how to reach`);
    }
    if (known.gateway) continue;
    const host = endpoints.hosts[service];
    if (host === undefined) {
      throw new Error(`rollout: the function calls ${service}, and the network has no interface endpoint for it`);
    }
    variables[known.sdkEnv!] = pulumi.interpolate`https://${host}`;
  }
  return variables;
}

/** The queue URL on the SQS endpoint's host: the SQS client sends to the host of the URL it is given. */
export function endpointQueueUrl(
  url: pulumi.Output<string>,
  endpoints: RolloutPrivateEndpoints | undefined,
): pulumi.Input<string> {
  if (endpoints?.hosts.sqs === undefined) return url;
  return pulumi
    .all([url, endpoints.hosts.sqs])
    .apply(([queueUrl, host]) => queueUrl.replace(/^https:\/\/[^/]+/, `https://${host}`));
}
