// Every AWS call is bounded: the settings every client is built with, and a real call against a loopback endpoint
// that accepts the connection and never answers, which must fail with a timeout after the stated attempts instead of
// hanging (the SDK's own handler has no timeout at all).
import * as assert from "node:assert/strict";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { clientSettings, createClients } from "../../../runtime/aws/clients";
import { readReleaseBucket } from "../../../runtime/aws/parameters";
import { AWS_CONNECTION_TIMEOUT_MS, AWS_MAX_ATTEMPTS, awsCallBoundMs, LIMITS } from "../../../runtime/contract";
import { Loopback } from "../../support/loopback";

const TEST_CONFIG = { region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" } };

describe("AWS clients' bounds", () => {
  const loopback = new Loopback("127.151");
  after(() => loopback.close());

  it("gives every client a connection and a request timeout that throws, and a stated number of attempts", () => {
    assert.deepEqual(clientSettings(TEST_CONFIG), {
      maxAttempts: AWS_MAX_ATTEMPTS,
      requestHandler: {
        connectionTimeout: AWS_CONNECTION_TIMEOUT_MS,
        requestTimeout: LIMITS.awsRequestTimeoutMs.fallback,
        throwOnRequestTimeout: true,
        socketTimeout: LIMITS.awsRequestTimeoutMs.fallback,
      },
      ...TEST_CONFIG,
    });
  });

  it("takes a shorter request timeout, and never a connection timeout longer than it", () => {
    const settings = clientSettings({}, { requestTimeoutMs: 500 });

    assert.deepEqual(settings.requestHandler, {
      connectionTimeout: 500,
      requestTimeout: 500,
      throwOnRequestTimeout: true,
      socketTimeout: 500,
    });
  });

  it("keeps the bounded handler when an override is left undefined, and yields to a test's own handler", () => {
    const fake = { handle: () => Promise.reject(new Error("unused")) };

    assert.equal(
      (clientSettings({ requestHandler: undefined }).requestHandler as { throwOnRequestTimeout?: boolean })
        .throwOnRequestTimeout,
      true,
    );
    assert.equal(clientSettings({ requestHandler: fake as never }).requestHandler, fake);
  });

  it("fails a call to an endpoint that never answers with a timeout after every attempt, instead of hanging", async function () {
    this.timeout(awsCallBoundMs(300) + 5_000);
    const silent = await loopback.serve({ kind: "hang" });
    const previous = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = silent.url;
    try {
      const clients = createClients(TEST_CONFIG, { requestTimeoutMs: 300 });

      await assert.rejects(
        clients.ssm.send(new GetParameterCommand({ Name: "/phoenix/live/release-bucket" })),
        (err: Error & { $metadata?: { attempts?: number } }) => {
          assert.equal(err.name, "TimeoutError");
          assert.match(err.message, /exceeded the configured 300 ms requestTimeout/);
          assert.equal(err.$metadata?.attempts, AWS_MAX_ATTEMPTS);
          return true;
        },
      );
      assert.equal(silent.requests, AWS_MAX_ATTEMPTS);
      // The fleet's reads report it like any other failed read, in one line.
      await assert.rejects(readReleaseBucket(clients.ssm, "live"), /TimeoutError|requestTimeout/);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL;
      else process.env.AWS_ENDPOINT_URL = previous;
    }
  });
});
