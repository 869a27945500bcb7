import { expect } from "chai";
import { readStackSettings } from "../offline/stack-files";
import { GAME_DAY_STACKS, STACKS } from "./fixtures/stacks";
import { BAD_CASES, parse, problems, settingsOf } from "./fixtures/bad-config";

describe("stack configuration", () => {
  for (const stack of [...STACKS, ...GAME_DAY_STACKS]) {
    it(`accepts Pulumi.${stack}.yaml as written, with no encrypted value needed`, () => {
      const settings = readStackSettings(stack);
      // A stack is named after its environment; a standby adds "-dr" to its primary's (ADR 24).
      const config = parse(settings);
      expect(stack).to.equal(
        config.disasterRecovery?.role === "standby" ? `${config.environment}-dr` : config.environment,
      );
      const encrypted = Object.entries(settings).filter(([, value]) => JSON.stringify(value).includes('"secure"'));
      expect(encrypted, "settings that need a secrets provider").to.deep.equal([]);
    });
  }

  it("production carries the design's figures exactly", () => {
    const config = parse(settingsOf("production"));
    expect(config.vpc.cidr).to.equal("10.0.0.0/16");
    expect(config.vpc.availabilityZones).to.have.length(3);
    expect(config.vpc.subnets).to.deep.equal({
      public: ["10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"],
      private: ["10.0.11.0/24", "10.0.12.0/24", "10.0.13.0/24"],
      database: ["10.0.21.0/24", "10.0.22.0/24", "10.0.23.0/24"],
    });
    expect(config.vpc.natGateways).to.equal("one-per-az");
    expect(config.database).to.deep.include({ instanceClass: "db.t3.medium", multiAZ: true, backupRetention: 7 });
    expect(config.database.engineVersion).to.match(/^15(\.\d+)?$/);
    expect(config.database.maxAllocatedStorage).to.be.greaterThan(config.database.allocatedStorage);
    expect(config.cache).to.deep.include({ nodeType: "cache.t3.micro", replicas: 1, multiAZ: true });
    expect(config.cache.engineVersion).to.match(/^7\./);
    expect(config.compute.frontend).to.deep.include({ cpu: 2048, memory: 4096, desiredCount: 2, maxCount: 10 });
    expect(config.compute.backend).to.deep.include({ cpu: 1024, memory: 2048, desiredCount: 2, maxCount: 20 });
    expect(config.deployment).to.deep.include({
      bakeTimeMinutes: 15,
      rollbackOn5xxPerMinute: 10,
      strategy: "BLUE_GREEN",
    });
    expect(config.scaling).to.deep.equal({
      scaleOutCpuPercent: 70,
      scaleOutPeriods: 2,
      scaleInCpuPercent: 30,
      scaleInPeriods: 5,
      memoryTargetPercent: 75,
    });
    expect(config.deletionProtection).to.equal(true);
  });

  it("staging is the design's smaller environment on the same architecture", () => {
    const staging = parse(settingsOf("staging"));
    const production = parse(settingsOf("production"));
    expect(staging.database.instanceClass).to.equal("db.t3.micro");
    expect(staging.cache).to.deep.include({ nodeType: "cache.t3.micro", replicas: 1, multiAZ: false });
    expect(staging.vpc.natGateways).to.equal("single");
    expect(staging.vpc.availabilityZones).to.have.length(production.vpc.availabilityZones.length);
    for (const name of ["frontend", "backend"] as const) {
      expect(staging.compute[name].cpu).to.be.at.most(production.compute[name].cpu);
      expect(staging.compute[name].maxCount, `${name} can still scale out`).to.be.greaterThan(
        staging.compute[name].desiredCount,
      );
    }
    expect(staging.deletionProtection).to.equal(false);
  });

  it("lets a stack switch deletion protection on or off explicitly", () => {
    expect(parse({ ...settingsOf("staging"), "cloudweave:deletionProtection": true }).deletionProtection).to.equal(
      true,
    );
    expect(parse({ ...settingsOf("production"), "cloudweave:deletionProtection": false }).deletionProtection).to.equal(
      false,
    );
  });

  it("reports every problem at once", () => {
    const settings = settingsOf("production");
    BAD_CASES.filter((c) => c.stack === "production")
      .slice(0, 3)
      .forEach((c) => c.change(settings));
    expect(problems(settings).length).to.be.at.least(2);
  });

  describe("refuses bad settings, naming the key, the value and what is allowed", () => {
    for (const badCase of BAD_CASES) {
      it(`${badCase.title} (${badCase.stack})`, () => {
        const settings = settingsOf(badCase.stack);
        badCase.change(settings);
        const expected = badCase.value ? `${badCase.key} = ${badCase.value}: ` : `${badCase.key}: `;
        expect(
          problems(settings).some((problem) => problem.startsWith(expected) && problem.includes(badCase.allowed)),
          problems(settings).join("\n"),
        ).to.equal(true);
      });
    }
  });
});
