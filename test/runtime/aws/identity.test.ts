// Who the credentials are, for `phoenix promote --force`: the ARN STS answers, or a line saying it could not tell.
import * as assert from "node:assert/strict";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { createClients } from "../../../runtime/aws/clients";
import { callerArn } from "../../../runtime/aws/identity";

describe("the caller's identity", () => {
  const clients = createClients({ region: "eu-west-1", credentials: { accessKeyId: "AKID", secretAccessKey: "s" } });
  const sts = mockClient(clients.sts);

  beforeEach(() => sts.reset());
  after(() => sts.restore());

  it("is the ARN sts:GetCallerIdentity answers", async () => {
    sts.on(GetCallerIdentityCommand).resolves({
      Account: "123456789012",
      Arn: "arn:aws:sts::123456789012:assumed-role/ci/build-42",
      UserId: "AROAEXAMPLE:build-42",
    });

    assert.equal(await callerArn(clients), "arn:aws:sts::123456789012:assumed-role/ci/build-42");
    assert.equal(sts.commandCalls(GetCallerIdentityCommand).length, 1);
  });

  it("is refused when STS answers without one: --force must not record nobody", async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: "123456789012" });

    await assert.rejects(callerArn(clients), /answered without an ARN: --force cannot record who skipped the gate/);
  });
});
