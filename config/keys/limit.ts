// The rows of keys the runtime enforces too (images, rollout, tiers) take their bounds and default from here.
import { Limit, LimitName, LIMITS } from "../../runtime/contract";
import { IntegerKey } from "../declared-key";

/** Bounds and default of a knob the runtime enforces too: the contract's, never a copy. */
export function limit(name: LimitName): Pick<IntegerKey, "type" | "min" | "max" | "default" | "zero" | "shared"> {
  const l: Limit = LIMITS[name];
  return {
    type: "integer",
    min: l.min,
    max: l.max,
    default: l.fallback,
    ...(l.zero ? { zero: l.zero } : {}),
    shared: name,
  };
}
