// Follow-up sweeps through an SQS delay queue: a message sent with DelaySeconds becomes visible later, the Lambda's
// SQS event source delivers it, and the rollout handler sweeps again. Before sending, the queue is asked whether a
// follow-up is already waiting (delayed or visible), so that at most one chain of follow-ups exists however many
// sweeps ask. The message being processed right now is in flight, not counted: a follow-up may schedule the next.
import type { SQSClient } from "@aws-sdk/client-sqs";
import { FOLLOW_UP_MESSAGE_TYPE } from "../contract";
import { errorText } from "../core/errors";
import { clampDelaySeconds, FollowUpOutcome, FollowUpScheduler } from "../core/follow-up";
import { sdk } from "./clients";

/** The body of a follow-up message: the handler only needs to know it is one; the rest is for a human reading it. */
interface FollowUpMessage {
  type: typeof FOLLOW_UP_MESSAGE_TYPE;
  /** ISO time the message was sent. */
  sentAt: string;
  delaySeconds: number;
}

export class SqsFollowUp implements FollowUpScheduler {
  constructor(
    private readonly client: Pick<SQSClient, "send">,
    private readonly queueUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  async schedule(delaySeconds: number): Promise<FollowUpOutcome> {
    const { GetQueueAttributesCommand, SendMessageCommand } = sdk.sqs();
    try {
      const attributes = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: ["ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessages"],
        }),
      );
      const counts = attributes.Attributes ?? {};
      // Approximate, and eventually consistent: two sweeps seconds apart may both send. The chains then merge,
      // because each later sweep sees the other's message pending and sends none.
      const pending =
        Number(counts.ApproximateNumberOfMessagesDelayed ?? 0) + Number(counts.ApproximateNumberOfMessages ?? 0);
      if (pending > 0) return { status: "pending" };
      const delay = clampDelaySeconds(delaySeconds);
      const body: FollowUpMessage = {
        type: FOLLOW_UP_MESSAGE_TYPE,
        sentAt: new Date(this.now()).toISOString(),
        delaySeconds: delay,
      };
      await this.client.send(
        new SendMessageCommand({ QueueUrl: this.queueUrl, DelaySeconds: delay, MessageBody: JSON.stringify(body) }),
      );
      return { status: "sent" };
    } catch (err) {
      return {
        status: "failed",
        error:
          `follow-up to ${this.queueUrl} not scheduled (${errorText(err)}); the next scheduled sweep goes on ` +
          "without it: check the rollout role allows sqs:GetQueueAttributes and sqs:SendMessage on the queue",
      };
    }
  }
}
