import { expect } from "chai";
import { FargateService } from "../components/compute/fargate-service";
import { runProgram, type StackRun } from "../offline/harness";
import type { DeclaredResource } from "../offline/mocks";
import { ofType, single } from "./helpers";
import { minimalServiceArgs } from "./fixtures/service";
import { alarmState, type MetricSource, type Series } from "./support/metric-alarm";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:cloudweave-warning";

/** A service as a test declares it: rollback on 10 target 5xx per minute. */
async function service(): Promise<StackRun> {
  return runProgram("staging", () => void new FargateService("web", minimalServiceArgs({ alarmActions: [TOPIC] })));
}

/**
 * What CloudWatch would hold for the service's load balancer (metric names and statistics as the ALB publishes
 * them: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
 */
function albMetrics(
  run: StackRun,
  data: Record<"blue" | "green", { errors?: Series; unhealthy?: Series }>,
): MetricSource {
  const suffixOf = (color: "blue" | "green") =>
    single(run, "aws:lb/targetGroup:TargetGroup", `web-${color}`).outputs.arnSuffix;
  return ({ namespace, metricName, stat, dimensions }) => {
    if (namespace !== "AWS/ApplicationELB" || dimensions.LoadBalancer !== "app/lb/1") return undefined;
    const color = (["blue", "green"] as const).find((candidate) => dimensions.TargetGroup === suffixOf(candidate));
    if (!color) return undefined;
    if (metricName === "HTTPCode_Target_5XX_Count" && stat === "Sum") return data[color].errors;
    if (metricName === "UnHealthyHostCount" && stat === "Maximum") return data[color].unhealthy;
    return undefined;
  };
}

describe("the rollback alarms a deployment watches", () => {
  let run: StackRun;
  let errors: DeclaredResource;
  let unhealthy: DeclaredResource;
  before(async () => {
    run = await service();
    errors = single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "web-target-5xx");
    unhealthy = single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "web-unhealthy-targets");
  });

  it("roll back on 10 target 5xx a minute for two minutes, summed over both colours, whichever serves", () => {
    const state = (blue: Series, green: Series) =>
      alarmState(errors.inputs, albMetrics(run, { blue: { errors: blue }, green: { errors: green } }), 3);
    expect(state([0, 10, 10], [undefined, undefined, undefined]), "the live colour fails").to.equal("ALARM");
    expect(state([undefined, undefined, undefined], [0, 12, 11]), "the new colour fails").to.equal("ALARM");
    expect(state([0, 6, 5], [0, 4, 5]), "both share the traffic and the errors").to.equal("ALARM");
    expect(state([0, 0, 10], [0, 0, 0]), "one bad minute").to.equal("OK");
    expect(state([0, 9, 9], [undefined, undefined, undefined]), "below the threshold").to.equal("OK");
    expect(state([undefined, undefined, undefined], [undefined, undefined, undefined]), "no traffic").to.equal("OK");
  });

  it("roll back when any target of either colour fails its health checks for two minutes", () => {
    const state = (blue: Series, green: Series) =>
      alarmState(unhealthy.inputs, albMetrics(run, { blue: { unhealthy: blue }, green: { unhealthy: green } }), 3);
    expect(state([0, 0, 0], [0, 1, 1])).to.equal("ALARM");
    expect(state([0, 2, 1], [undefined, undefined, undefined])).to.equal("ALARM");
    expect(state([0, 0, 1], [0, 0, 0]), "one minute").to.equal("OK");
    expect(state([undefined, undefined, undefined], [undefined, undefined, undefined]), "no targets yet").to.equal(
      "OK",
    );
  });

  it("are the alarms the service rolls back on, and notify the given topics", () => {
    const ecsService = single(run, "aws:ecs/service:Service");
    expect(ecsService.inputs.alarms).to.deep.equal({
      alarmNames: [errors.outputs.name, unhealthy.outputs.name],
      enable: true,
      rollback: true,
    });
    for (const alarm of [errors, unhealthy]) {
      expect(alarm.inputs.alarmActions, "in alarm").to.deep.equal([TOPIC]);
      expect(alarm.inputs.okActions, "and back to normal").to.deep.equal([TOPIC]);
    }
  });

  it("leave the traffic shift to ECS and the header values to their rotation: Pulumi resets neither", () => {
    for (const rule of ofType(run, "aws:lb/listenerRule:ListenerRule")) {
      // Only the actions' weights and the rotated http-header conditions' values (by index: 0 is the path, the
      // test-traffic header comes last): a changed path pattern still applies.
      const conditions = rule.inputs.conditions as unknown[];
      const testHeader = rule.name.endsWith("-test") ? [`conditions[${conditions.length - 1}].httpHeader.values`] : [];
      expect(rule.ignoreChanges, rule.name).to.deep.equal(["actions", ...testHeader]);
    }
    expect(single(run, "aws:ecs/service:Service").ignoreChanges).to.have.members(["desiredCount", "loadBalancers"]);
  });

  it("send traffic to the tasks by IP over HTTP/1.1, health-checked on the port they serve", () => {
    // Fargate tasks use awsvpc networking: their target groups must register IP targets
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html); health checks on the traffic port.
    for (const color of ["blue", "green"]) {
      const group = single(run, "aws:lb/targetGroup:TargetGroup", `web-${color}`);
      expect(group.inputs).to.include({
        targetType: "ip",
        protocol: "HTTP",
        protocolVersion: "HTTP1",
        ipAddressType: "ipv4",
        port: minimalServiceArgs().container.port,
      });
      expect(group.inputs.healthCheck).to.deep.include({ enabled: true, port: "traffic-port", protocol: "HTTP" });
    }
  });

  it("renames the target groups when an input that replaces them changes, so a replacement never collides", async () => {
    const nameAt = async (port: number) => {
      const other = await runProgram("staging", () => {
        const args = minimalServiceArgs();
        new FargateService("web", { ...args, container: { ...args.container, port } });
      });
      return single(other, "aws:lb/targetGroup:TargetGroup", "web-blue").outputs.name;
    };
    const current = single(run, "aws:lb/targetGroup:TargetGroup", "web-blue").outputs.name;
    expect(await nameAt(minimalServiceArgs().container.port), "same inputs").to.equal(current);
    expect(await nameAt(minimalServiceArgs().container.port + 1), "another port").to.not.equal(current);
  });

  it("declare every child inside the service, named after it", () => {
    const component = single(run, "cloudweave:compute:FargateService");
    for (const resource of run.resources.filter((candidate) => candidate.custom)) {
      expect(resource.parent, `${resource.type} ${resource.name}`).to.equal(component.urn);
      expect(resource.name.startsWith("web-"), resource.name).to.equal(true);
    }
  });
});
