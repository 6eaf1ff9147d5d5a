// The runtime's shared vocabulary: what a fleet looks like (snapshot, fleet.ts), what the operator allows (policy,
// policy.ts), what a sweep decides (plan, plan.ts), the ports it acts through (ports.ts) and the release store
// (store.ts). Plain data only, JSON-serializable, so that any sweep can be logged and replayed by `phoenix explain`.
// Import from here (`../core/types`); the files are split for reading, not as separate surfaces.
export * from "./fleet";
export * from "./plan";
export * from "./policy";
export * from "./ports";
export * from "./store";
