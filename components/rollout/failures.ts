// What happens to an asynchronous invocation that fails: bounded retries, then its event in the dead-letter queue,
// and an alarm as soon as one is there (read the function's log for the error).
import * as aws from "@pulumi/aws";
import { RolloutScope } from "./args";

/** Bounded retries of asynchronous invocations, then the dead-letter queue and an alarm on it. */
export function failureHandling(
  { name, args, tags, parent }: RolloutScope,
  fn: aws.lambda.Function,
  deadLetterQueue: aws.sqs.Queue,
): void {
  new aws.lambda.FunctionEventInvokeConfig(
    `${name}-async`,
    {
      functionName: fn.name,
      maximumRetryAttempts: args.maximumRetryAttempts,
      maximumEventAgeInSeconds: args.maximumEventAgeSeconds,
      destinationConfig: { onFailure: { destination: deadLetterQueue.arn } },
    },
    { parent },
  );
  new aws.cloudwatch.MetricAlarm(
    `${name}-failed-invocations`,
    {
      alarmDescription:
        `phoenix ${args.environment}: a rollout invocation failed after its retries (event in ${name}-dlq); ` +
        "read the function's log for the error",
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: deadLetterQueue.name },
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: args.alarmActions,
      tags,
    },
    { parent },
  );
}
