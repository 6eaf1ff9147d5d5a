// The load balancer's routes: exactly one default tier, each tier routed once, on a real port; refused before
// anything is created.
import * as assert from "node:assert/strict";
import { LoadBalancerRoute, validateRoutes } from "../../components/load-balancer";

describe("load balancer routes", () => {
  const route = (tier: string, port = 8080, pathPatterns?: string[]): LoadBalancerRoute => ({
    tier,
    port,
    pathPatterns,
  });

  it("rejects load balancer routes with two defaults", () => {
    assert.throws(() => validateRoutes([route("web"), route("api")]), /2 routes have no pathPatterns \(web, api\)/);
  });

  it("rejects load balancer routes with no default", () => {
    assert.throws(() => validateRoutes([route("api", 8080, ["/api/*"])]), /0 routes have no pathPatterns/);
  });

  it("rejects a tier routed twice", () => {
    assert.throws(() => validateRoutes([route("web"), route("web", 8080, ["/x/*"])]), /tier web is routed twice/);
  });

  it("rejects a port outside 1 to 65535", () => {
    assert.throws(() => validateRoutes([route("web", 0)]), /tier web has port 0; use 1 to 65535/);
  });
});
