// The rehearsal's artifacts: zip files the release code accepts, carrying the build an instance installs at boot.
import * as assert from "node:assert/strict";
import { buildArtifact, readArtifact } from "../../../runtime/rehearsal/artifact";

describe("the rehearsal's artifacts", () => {
  it("are zip files the release code accepts, carrying the build an instance installs", () => {
    const zip = buildArtifact({ tier: "web", version: "1.2.3", broken: true });

    assert.equal(zip.readUInt32LE(0), 0x04034b50);
    assert.deepEqual(readArtifact(zip), { tier: "web", version: "1.2.3", broken: true });
  });
});
