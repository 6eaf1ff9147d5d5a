// The SQS side of follow-up sweeps against aws-sdk-client-mock: a delayed message is sent only when none is already
// pending (delayed or visible), with the delay asked for, and nothing it meets ever throws out of it.
import * as assert from "node:assert/strict";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { createClients } from "../../../runtime/aws/clients";
import { SqsFollowUp } from "../../../runtime/aws/sqs-follow-up";

const QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/111122223333/live-rollout-follow-up";
const TEST_CONFIG = { region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } };

describe("SQS follow-ups", () => {
  const client: SQSClient = createClients(TEST_CONFIG).sqs;
  const sqs = mockClient(client);
  const followUp = new SqsFollowUp(client, QUEUE_URL, () => Date.UTC(2026, 10, 26, 5, 0, 0));

  beforeEach(() => sqs.reset());
  after(() => sqs.restore());

  function pending(delayed: number, visible: number): void {
    sqs.on(GetQueueAttributesCommand, { QueueUrl: QUEUE_URL }).resolves({
      Attributes: { ApproximateNumberOfMessagesDelayed: String(delayed), ApproximateNumberOfMessages: String(visible) },
    });
  }

  it("sends a delayed message when none is pending", async () => {
    pending(0, 0);
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-1" });

    const outcome = await followUp.schedule(30);

    assert.deepEqual(outcome, { status: "sent" });
    const sends = sqs.commandCalls(SendMessageCommand);
    assert.equal(sends.length, 1);
    assert.equal(sends[0].args[0].input.QueueUrl, QUEUE_URL);
    assert.equal(sends[0].args[0].input.DelaySeconds, 30);
    assert.deepEqual(JSON.parse(sends[0].args[0].input.MessageBody!), {
      type: "phoenix.follow-up",
      sentAt: "2026-11-26T05:00:00.000Z",
      delaySeconds: 30,
    });
    assert.deepEqual(sqs.commandCalls(GetQueueAttributesCommand)[0].args[0].input.AttributeNames, [
      "ApproximateNumberOfMessagesDelayed",
      "ApproximateNumberOfMessages",
    ]);
  });

  it("sends nothing when a delayed follow-up is already pending", async () => {
    pending(1, 0);

    const outcome = await followUp.schedule(30);

    assert.deepEqual(outcome, { status: "pending" });
    assert.equal(sqs.commandCalls(SendMessageCommand).length, 0);
  });

  it("sends nothing when a follow-up is visible and waiting for the function", async () => {
    pending(0, 1);

    assert.deepEqual(await followUp.schedule(30), { status: "pending" });
    assert.equal(sqs.commandCalls(SendMessageCommand).length, 0);
  });

  it("caps the delay at SQS's 900 seconds", async () => {
    pending(0, 0);
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-2" });

    await followUp.schedule(3600);

    assert.equal(sqs.commandCalls(SendMessageCommand)[0].args[0].input.DelaySeconds, 900);
  });

  it("never throws when the queue cannot be read, and says what to check", async () => {
    sqs.on(GetQueueAttributesCommand).rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));

    const outcome = await followUp.schedule(30);

    assert.equal(outcome.status, "failed");
    assert.match(outcome.error!, /AccessDenied: not authorized.*sqs:GetQueueAttributes/);
    assert.equal(sqs.commandCalls(SendMessageCommand).length, 0);
  });

  it("never throws when the send is refused", async () => {
    pending(0, 0);
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error("queue gone"), { name: "QueueDoesNotExist" }));

    const outcome = await followUp.schedule(30);

    assert.equal(outcome.status, "failed");
    assert.match(outcome.error!, /QueueDoesNotExist/);
  });
});
