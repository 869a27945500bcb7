import { expect } from "chai";
import { deploymentConfiguration, type DeploymentSpec } from "../components/compute/fargate-service";
import { minimalServiceArgs } from "./fixtures/service";

/** A deployment as the stack schema fills it in (bake 15 minutes); each test changes what it is about. */
const spec = (overrides: Partial<DeploymentSpec> = {}): DeploymentSpec => ({
  ...minimalServiceArgs().deployment,
  bakeTimeMinutes: 15,
  ...overrides,
});

// ECS's DeploymentConfiguration (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html):
// strategy BLUE_GREEN, CANARY or LINEAR; bakeTimeInMinutes; canaryConfiguration / linearConfiguration for those two
// strategies only. The provider takes the minute counts as strings.
describe("a service's deployment configuration", () => {
  it("is blue/green with the stack's bake time and no canary or linear settings", () => {
    expect(deploymentConfiguration(spec({ bakeTimeMinutes: 7 }))).to.deep.equal({
      strategy: "BLUE_GREEN",
      bakeTimeInMinutes: "7",
    });
  });

  it("moves the canary's share first, for the canary's bake, then the rest", () => {
    expect(
      deploymentConfiguration(spec({ strategy: "CANARY", canary: { percent: 5, bakeMinutes: 20 } })),
    ).to.deep.equal({
      strategy: "CANARY",
      bakeTimeInMinutes: "15",
      canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: "20" },
    });
  });

  it("moves traffic in equal steps with a bake between them", () => {
    expect(
      deploymentConfiguration(spec({ strategy: "LINEAR", linear: { stepPercent: 20, stepBakeMinutes: 4 } })),
    ).to.deep.equal({
      strategy: "LINEAR",
      bakeTimeInMinutes: "15",
      linearConfiguration: { stepPercent: 20, stepBakeTimeInMinutes: "4" },
    });
  });
});
