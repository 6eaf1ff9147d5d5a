// Typed errors the CLI and handlers can tell apart from bugs: each says what was wrong and what to do.

/** Input from an operator or a stack file that cannot be used. The message names the value and what is allowed. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A manifest, event or parameter that does not have the shape the contract requires. */
export class ContractError extends Error {
  override name = "ContractError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** AWS could not be read completely; nothing was changed. */
export class FleetReadError extends Error {
  override name = "FleetReadError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A conditional write lost: the object changed (or appeared) since it was read. Nothing was written. */
export class PreconditionFailedError extends Error {
  override name = "PreconditionFailedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
