// What the infrastructure (components/, ami/, userdata/, config/) and the runtime must agree on, written once: the
// tag keys groups are found and steered by, the SSM parameter names, the release store's keys, the rollout Lambda's
// environment variable names, the IAM actions the runtime's AWS calls need, the metric names the dashboard reads,
// and the bounds and defaults of every knob. Both sides import this folder, one file per subject re-exported here; it
// imports nothing from outside itself, so a Lambda bundle, the CLI and the Pulumi program all carry the same strings.

export * from "./names";
export * from "./tags";
export * from "./store";
export * from "./alarms";
export * from "./lambda";
export * from "./iam";
export * from "./calls";
export * from "./metrics";
export * from "./limits";
