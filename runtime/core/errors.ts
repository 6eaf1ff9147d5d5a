// Typed errors the CLI and handlers can tell apart from bugs: each says what was wrong and what to do.
//
// Each constructor assigns `name` and `message` itself rather than relying on class fields and `super(message)`:
// Pulumi's closure serializer (the Lambda archive) drops field initializers and turns `super(...)` into
// `Error.call(this, ...)`, which sets nothing, so an error thrown inside the deployed handler would lose its text.
import { TAGS } from "../contract";

/** Input from an operator or a stack file that cannot be used. The message names the value and what is allowed. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
    this.message = message;
  }
}

/** A manifest, event or parameter that does not have the shape the contract requires. */
export class ContractError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ContractError";
    this.message = message;
  }
}

/**
 * The release-bucket parameter does not exist: the environment has not been deployed (or was deployed elsewhere). To
 * the CLI that is the operator's input (--env, the profile or the region) pointing where nothing is: a usage error.
 */
export class EnvironmentNotDeployedError extends ContractError {
  // Assigned in the constructor, not as a field: the Lambda's closure serializer drops field initializers.
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EnvironmentNotDeployedError";
    this.message = message;
  }
}

/** AWS could not be read completely; nothing was changed. */
export class FleetReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FleetReadError";
    this.message = message;
  }
}

/** A conditional write lost: the object changed (or appeared) since it was read. Nothing was written. */
export class PreconditionFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PreconditionFailedError";
    this.message = message;
  }
}

/** An error as one line for logs and outcomes: `Name: message`. */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Nothing to act on: no group carries the environment's tag, which is a typo in an environment flag, or credentials
 * pointing at another account or region. `flag` names the flag that gave the environment when it was not --env.
 */
export function noGroupsError(environment: string, hint: string, flag?: string): UsageError {
  const which = flag === undefined ? "" : `${flag} ${environment}: `;
  return new UsageError(`${which}no Auto Scaling groups are tagged ${TAGS.environment}=${environment}: ${hint}`);
}
