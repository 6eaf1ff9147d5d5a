// What invoked the rollout Lambda, told apart by the event's shape, and how a failure is reported to Lambda.

/** True for an S3 notification event (`Records[].eventSource === "aws:s3"`): a release was written. */
export function isS3Event(event: unknown): boolean {
  return recordsFrom(event, "aws:s3");
}

/** True for an SQS event (`Records[].eventSource === "aws:sqs"`): a follow-up sweep came due. */
export function isSqsEvent(event: unknown): boolean {
  return recordsFrom(event, "aws:sqs");
}

function recordsFrom(event: unknown, source: string): boolean {
  if (typeof event !== "object" || event === null) return false;
  const records = (event as { Records?: unknown }).Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((r) => typeof r === "object" && r !== null && (r as { eventSource?: unknown }).eventSource === source)
  );
}

/** The EventBridge detail-type that triggered a sweep (`Scheduled Event`, ...), `follow-up`, or `direct`. */
export function triggerOf(event: unknown): string {
  if (typeof event === "object" && event !== null) {
    const detailType = (event as Record<string, unknown>)["detail-type"];
    if (typeof detailType === "string") return detailType;
  }
  if (isSqsEvent(event)) return "follow-up";
  return "direct";
}

/**
 * The error as a native Error, the only kind Lambda reports with its type, message and stack. In the deployed code
 * the runtime's own error classes are rebuilt by Pulumi's closure serializer, whose instances are not `instanceof
 * Error`; their name and message are carried over (and the original kept as `cause`).
 */
export function nativeError(err: unknown): Error {
  if (err instanceof Error && typeof err.stack === "string") return err;
  const e = (typeof err === "object" && err !== null ? err : {}) as { name?: unknown; message?: unknown };
  const name = typeof e.name === "string" && e.name !== "" ? e.name : "Error";
  const message = typeof e.message === "string" && e.message !== "" ? e.message : String(err);
  const native = new Error(message, { cause: err });
  native.name = name;
  return native;
}
