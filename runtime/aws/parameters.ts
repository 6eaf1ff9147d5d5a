// The SSM parameters the infrastructure writes for each environment and the runtime reads: where releases live and
// which base image every instance must run.
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { baseImageParameterName, recoveryOfParameterName, releaseBucketParameterName } from "../contract";
import { ContractError, EnvironmentNotDeployedError } from "../core/errors";

export { EnvironmentNotDeployedError };

/** The release bucket's name; throws EnvironmentNotDeployedError when the parameter is missing. */
export async function readReleaseBucket(ssm: SSMClient, environment: string): Promise<string> {
  const name = releaseBucketParameterName(environment);
  const value = await readParameter(ssm, name);
  if (value === undefined) {
    throw new EnvironmentNotDeployedError(
      `SSM parameter ${name} does not exist: environment "${environment}" is not deployed in this account and region ` +
        `(check --env, AWS_PROFILE and AWS_REGION, or deploy the stack with \`pulumi up\`)`,
    );
  }
  return value;
}

/** The base image's AMI id, or undefined when the parameter does not exist (no image is required yet). */
export async function readBaseImage(ssm: SSMClient, environment: string): Promise<string | undefined> {
  return readParameter(ssm, baseImageParameterName(environment));
}

/** The environment a recovery stack recovers (`/phoenix/<env>/recovery-of`), or undefined for every other stack. */
export async function readRecoveryOf(ssm: SSMClient, environment: string): Promise<string | undefined> {
  return readParameter(ssm, recoveryOfParameterName(environment));
}

async function readParameter(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    const value = out.Parameter?.Value;
    if (value === undefined || value.trim() === "") {
      throw new ContractError(
        `SSM parameter ${name} is empty; the infrastructure writes it on deploy: run \`pulumi up\``,
      );
    }
    return value.trim();
  } catch (err) {
    if (err instanceof ParameterNotFound) {
      return undefined;
    }
    throw err;
  }
}
