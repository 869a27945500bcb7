import { spawnSync } from "node:child_process";
import { expect } from "chai";
import { FargateService } from "../components/compute/fargate-service";
import { FAULT_AGENT_SCRIPT, TaskFaultAgent } from "../components/resilience/task-fault-agent";
import type { StackConfig } from "../config";
import { FEATURE_FLAGS } from "../config/app";
import { runProgram, type StackRun } from "../offline/harness";
import { minimalServiceArgs } from "./fixtures/service";
import { checkStack } from "../offline/policies";
import { policies } from "../policy-pack/policies";
import { type DeclaredResource } from "../offline/mocks";
import {
  STACKS,
  prefixOf,
  isIdleStandby,
  isProduction,
  byArn,
  canaryRelease,
  json,
  ofType,
  revealed,
  single,
  stackRun,
  stackConfig,
  type Statement,
} from "./helpers";

interface Template {
  description: string;
  roleArn: string;
  stopConditions: { source: string; value: string }[];
  actions: {
    name: string;
    actionId: string;
    parameters?: { key: string; value: string }[];
    target: { key: string; value: string };
  }[];
  targets: {
    name: string;
    resourceType: string;
    selectionMode: string;
    resourceArns?: string[];
    parameters?: Record<string, string>;
  }[];
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

/** The inline policies attached to a role (by its name), their statements together. */
function statementsOf(run: StackRun, role: DeclaredResource): Statement[] {
  return ofType(run, ROLE_POLICY)
    .filter((policy) => policy.inputs.role === role.outputs.name)
    .flatMap((policy) => json<{ Statement: Statement[] }>(policy, "policy").Statement);
}

describe("the fault-injection sidecar's script", () => {
  it("is valid bash that registers the task under its ARN tag and cleans up on stop", () => {
    const check = spawnSync("bash", ["-n"], { input: FAULT_AGENT_SCRIPT, encoding: "utf8" });
    expect(check.status, check.stderr).to.equal(0);
    expect(FAULT_AGENT_SCRIPT).to.include('"Key=ECS_TASK_ARN,Value=$task_arn"');
    expect(FAULT_AGENT_SCRIPT).to.include('"Key=FAULT_INJECTION_SIDECAR,Value=true"');
    expect(FAULT_AGENT_SCRIPT).to.match(/trap cleanup TERM INT/);
    expect(FAULT_AGENT_SCRIPT).to.include("aws ssm deregister-managed-instance");
  });
});

describe("release engineering and resilience on both stacks", () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      let config: StackConfig;
      before(async () => {
        run = await stackRun(stack);
        config = stackConfig(stack);
      });
      const prefix = `${prefixOf(stack)}`;
      const backendTaskRole = () => {
        const taskDefinition = single(run, "aws:ecs/taskDefinition:TaskDefinition", `${prefix}-backend-task`);
        return byArn(run, taskDefinition.inputs.taskRoleArn);
      };
      const backendEnvironment = () => {
        const taskDefinition = single(run, "aws:ecs/taskDefinition:TaskDefinition", `${prefix}-backend-task`);
        const containers = JSON.parse(taskDefinition.inputs.containerDefinitions as string) as {
          name: string;
          environment?: { name: string; value: string }[];
        }[];
        const app = containers.find((container) => container.name === "app");
        return Object.fromEntries((app?.environment ?? []).map((variable) => [variable.name, variable.value]));
      };
      const rollbackAlarms = () =>
        ["target-5xx", "unhealthy-targets"].map((alarm) =>
          single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", `${prefix}-backend-${alarm}`),
        );

      describe("feature flags (AppConfig)", () => {
        const parts = () => ({
          application: single(run, "aws:appconfig/application:Application"),
          environment: single(run, "aws:appconfig/environment:Environment"),
          profile: single(run, "aws:appconfig/configurationProfile:ConfigurationProfile"),
          version: single(run, "aws:appconfig/hostedConfigurationVersion:HostedConfigurationVersion"),
          strategy: single(run, "aws:appconfig/deploymentStrategy:DeploymentStrategy"),
          deployment: single(run, "aws:appconfig/deployment:Deployment"),
        });

        it("has an application, this stack's environment and a feature-flag profile, named as the backend is told", () => {
          const { application, environment, profile } = parts();
          expect(application.inputs.name).to.equal(prefix);
          expect(environment.inputs).to.include({ applicationId: application.id, name: config.environment });
          expect(profile.inputs).to.include({
            applicationId: application.id,
            name: "feature-flags",
            type: "AWS.AppConfig.FeatureFlags",
            locationUri: "hosted",
          });
          expect(backendEnvironment()).to.include({
            APPCONFIG_APPLICATION: application.inputs.name,
            APPCONFIG_ENVIRONMENT: environment.inputs.name,
            APPCONFIG_PROFILE: profile.inputs.name,
          });
        });

        it("rolls a flag change back when the backend's rollback alarms fire", () => {
          const { environment } = parts();
          const monitors = environment.inputs.monitors as { alarmArn: string; alarmRoleArn: string }[];
          const alarmArns = rollbackAlarms().map((alarm) => alarm.outputs.arn);
          expect(monitors.map((monitor) => monitor.alarmArn)).to.have.members(alarmArns);
          const monitorRole = single(run, "aws:iam/role:Role", `${prefix}-flags-monitors`);
          for (const monitor of monitors) expect(monitor.alarmRoleArn).to.equal(monitorRole.outputs.arn);
          const trust = json<{ Statement: Statement[] }>(monitorRole, "assumeRolePolicy").Statement;
          expect(trust[0]?.Principal).to.deep.equal({ Service: "appconfig.amazonaws.com" });
          // AppConfig's documented trust policy has no condition keys: one it does not send would block it.
          expect(trust[0]?.Condition).to.equal(undefined);
          expect(statementsOf(run, monitorRole)).to.deep.equal([
            { Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: alarmArns },
          ]);
        });

        it("hosts every flag the backend knows, all off in the first version, and never deploys it over the owners' later ones", () => {
          const { version, deployment, strategy } = parts();
          const content = JSON.parse(revealed(version.inputs.content) as string) as {
            version: string;
            flags: Record<string, { name: string }>;
            values: Record<string, { enabled: boolean }>;
          };
          expect(content.version).to.equal("1");
          expect(Object.keys(content.flags)).to.have.members(Object.keys(FEATURE_FLAGS));
          for (const flag of Object.keys(FEATURE_FLAGS)) {
            expect(content.values[flag], flag).to.deep.equal({ enabled: false });
          }
          expect(version.inputs.contentType).to.equal("application/json");
          // Every input of both resources replaces them, and a replacement would deploy the first values again.
          expect(version.ignoreChanges).to.include.members(["content", "description"]);
          expect(deployment.ignoreChanges).to.include.members([
            "configurationVersion",
            "deploymentStrategyId",
            "description",
          ]);
          // npm run flags finds the strategy by this name.
          expect(strategy.inputs.name).to.equal(`${prefix}-flags-gradual`);
        });

        it("deploys the flags gradually with the stack's rollout settings", () => {
          const { application, environment, profile, version, strategy, deployment } = parts();
          const { rollout } = config.featureFlags;
          expect(strategy.inputs).to.include({
            deploymentDurationInMinutes: rollout.durationMinutes,
            growthType: "LINEAR",
            growthFactor: rollout.growthPercent,
            finalBakeTimeInMinutes: rollout.bakeMinutes,
            replicateTo: "NONE",
          });
          expect(deployment.inputs).to.include({
            applicationId: application.id,
            environmentId: environment.outputs.environmentId,
            configurationProfileId: profile.outputs.configurationProfileId,
            configurationVersion: String(version.outputs.versionNumber),
            deploymentStrategyId: strategy.id,
          });
        });

        it("lets the backend's task role read this profile in this environment, and no other role read flags", () => {
          const { application, environment, profile } = parts();
          const reader = ofType(run, ROLE_POLICY).filter((policy) =>
            JSON.stringify(policy.inputs).includes("appconfig:"),
          );
          expect(reader.map((policy) => policy.inputs.role)).to.deep.equal([backendTaskRole().outputs.name]);
          expect(json<{ Statement: Statement[] }>(reader[0] as DeclaredResource, "policy").Statement).to.deep.equal([
            {
              Sid: "ReadFeatureFlags",
              Effect: "Allow",
              Action: ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"],
              Resource:
                `arn:aws:appconfig:${config.region}:${run.accountId}:application/${String(application.id)}` +
                `/environment/${String(environment.outputs.environmentId)}` +
                `/configuration/${String(profile.outputs.configurationProfileId)}`,
            },
          ]);
        });
      });

      describe("fault injection (FIS)", () => {
        const templates = () =>
          Object.fromEntries(
            ofType(run, "aws:fis/experimentTemplate:ExperimentTemplate").map((template) => [
              template.name.slice(`${prefix}-fis-`.length),
              template.inputs as unknown as Template,
            ]),
          );
        const template = (key: string) => {
          const found = templates()[key];
          if (!found) throw new Error(`no experiment template ${key}`);
          return found;
        };
        const clusterName = () => run.outputs.clusterName as string;
        const serviceNames = () => run.outputs.serviceNames as Record<string, string>;

        it("has a template for each experiment this stack's resources can take", () => {
          const expected = [
            ...(config.database.multiAZ ? ["database-failover"] : []),
            ...(config.cache.multiAZ ? ["cache-failover"] : []),
            "frontend-stop-tasks",
            "backend-stop-tasks",
            ...(config.faultInjection.taskAgent ? ["frontend-cpu-stress", "backend-cpu-stress"] : []),
          ];
          expect(Object.keys(templates())).to.have.members(expected);
          expect(Object.keys(run.outputs.experimentTemplateIds as object)).to.have.members(expected);
          // Production has standbys to fail over to and no sidecar; staging has no standbys and stresses CPU.
          const failovers = isProduction(stack) ? ["database-failover", "cache-failover"] : [];
          expect(expected.filter((key) => key.endsWith("-failover"))).to.deep.equal(failovers);
          expect(expected.some((key) => key.endsWith("-cpu-stress"))).to.equal(stack === "staging");
        });

        it("stops every experiment as soon as a user-facing 5xx-rate alarm fires", () => {
          const alarms = ["public", "api"].map(
            (lb) => single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", `${prefix}-ops-${lb}-5xx-rate`).outputs.arn,
          );
          for (const [key, experiment] of Object.entries(templates())) {
            expect(experiment.stopConditions, key).to.have.deep.members(
              alarms.map((value) => ({ source: "aws:cloudwatch:alarm", value })),
            );
            expect(experiment.actions, key).to.have.length(1);
            expect(experiment.actions[0]?.target.value).to.equal(experiment.targets[0]?.name);
          }
        });

        if (stack === "production") {
          it("fails the database over to its standby: a reboot with failover of this stack's instance", () => {
            const experiment = template("database-failover");
            const database = single(run, "aws:rds/instance:Instance", `${prefix}-postgres-instance`);
            expect(experiment.actions[0]).to.deep.include({
              actionId: "aws:rds:reboot-db-instances",
              parameters: [{ key: "forceFailover", value: "true" }],
              target: { key: "DBInstances", value: "targets" },
            });
            expect(experiment.targets[0]).to.deep.include({
              resourceType: "aws:rds:db",
              selectionMode: "ALL",
              resourceArns: [database.outputs.arn],
            });
          });

          it("fails Redis over by cutting power to its primary's AZ for 5 minutes", () => {
            const experiment = template("cache-failover");
            const group = single(run, "aws:elasticache/replicationGroup:ReplicationGroup");
            expect(experiment.actions[0]).to.deep.include({
              actionId: "aws:elasticache:replicationgroup-interrupt-az-power",
              parameters: [{ key: "duration", value: `PT${config.faultInjection.cacheOutageMinutes}M` }],
              target: { key: "ReplicationGroups", value: "targets" },
            });
            const primaryAz = config.vpc.availabilityZones[0];
            expect(experiment.targets[0]).to.deep.include({
              resourceType: "aws:elasticache:replicationgroup",
              resourceArns: [group.outputs.arn],
              parameters: { availabilityZoneIdentifier: primaryAz },
            });
            // The experiment cuts the AZ where the primary starts.
            expect((group.inputs.preferredCacheClusterAzs as string[])[0]).to.equal(primaryAz);
          });
        }

        it("stops the configured share of each service's tasks", () => {
          for (const service of ["frontend", "backend"]) {
            const experiment = template(`${service}-stop-tasks`);
            expect(experiment.actions[0]).to.deep.include({
              actionId: "aws:ecs:stop-task",
              target: { key: "Tasks", value: "targets" },
            });
            expect(experiment.targets[0]).to.deep.include({
              resourceType: "aws:ecs:task",
              selectionMode: `PERCENT(${config.faultInjection.stopTaskPercent})`,
              parameters: { cluster: clusterName(), service: serviceNames()[service] },
            });
          }
        });

        if (stack === "staging") {
          it("stresses each service's CPU past the scale-out threshold for long enough to scale out", () => {
            for (const service of ["frontend", "backend"]) {
              const experiment = template(`${service}-cpu-stress`);
              const parameters = Object.fromEntries(
                (experiment.actions[0]?.parameters ?? []).map((parameter) => [parameter.key, parameter.value]),
              );
              expect(experiment.actions[0]).to.deep.include({ actionId: "aws:ecs:task-cpu-stress" });
              expect(parameters).to.deep.equal({
                duration: `PT${config.faultInjection.cpuStressMinutes}M`,
                percent: String(config.faultInjection.cpuStressPercent),
              });
              expect(Number(parameters.percent)).to.be.greaterThan(config.scaling.scaleOutCpuPercent);
              // Longer than the scale-out alarm needs (its periods of one minute) plus a cooldown.
              const minutes = Number(/^PT(\d+)M$/.exec(parameters.duration ?? "")?.[1]);
              expect(minutes).to.be.at.least(config.scaling.scaleOutPeriods + 5);
              expect(experiment.targets[0]).to.deep.include({
                resourceType: "aws:ecs:task",
                selectionMode: "ALL",
                parameters: { cluster: clusterName(), service: serviceNames()[service] },
              });
            }
          });
        }

        it("runs with a role FIS alone may assume, that reaches this stack's resources only", () => {
          const role = single(run, "aws:iam/role:Role", `${prefix}-fis-role`);
          for (const experiment of Object.values(templates())) expect(experiment.roleArn).to.equal(role.outputs.arn);
          const trust = json<{ Statement: Statement[] }>(role, "assumeRolePolicy").Statement;
          expect(trust).to.deep.equal([
            {
              Effect: "Allow",
              Principal: { Service: "fis.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: {
                StringEquals: { "aws:SourceAccount": run.accountId },
                ArnLike: { "aws:SourceArn": `arn:aws:fis:${config.region}:${run.accountId}:experiment/*` },
              },
            },
          ]);
          const statements = statementsOf(run, role);
          const bySid = (sid: string) => statements.find((statement) => statement.Sid === sid);
          const database = single(run, "aws:rds/instance:Instance", `${prefix}-postgres-instance`);
          // A standby's cache group exists once it is recovered; its experiment and permission name it in advance.
          const groupArn = isIdleStandby(stack)
            ? `arn:aws:elasticache:${config.region}:${run.accountId}:replicationgroup:${prefix}-redis`
            : single(run, "aws:elasticache/replicationGroup:ReplicationGroup").outputs.arn;
          const cluster = single(run, "aws:ecs/cluster:Cluster");
          const tasks = `arn:aws:ecs:${config.region}:${run.accountId}:task/${clusterName()}/*`;
          // Failover permissions exist only where the failover templates do (production).
          expect(bySid("FailOverTheDatabase")?.Resource).to.equal(
            config.database.multiAZ ? database.outputs.arn : undefined,
          );
          expect(bySid("FailOverTheCache")?.Resource).to.equal(config.cache.multiAZ ? groupArn : undefined);
          expect(bySid("StopTasks")?.Resource).to.equal(tasks);
          expect(bySid("FindTasks")?.Condition).to.deep.equal({ ArnEquals: { "ecs:cluster": cluster.outputs.arn } });
          // "*" only for actions AWS cannot scope, each named here.
          const unscoped = statements
            .filter((statement) => list(statement.Resource).includes("*"))
            .flatMap((statement) => list(statement.Action));
          const allowed = [
            "ecs:ListTasks",
            ...(config.cache.multiAZ ? ["tag:GetResources"] : []),
            ...(config.faultInjection.taskAgent ? ["ssm:ListCommands", "ssm:CancelCommand"] : []),
          ];
          expect(unscoped).to.have.members(allowed);
          for (const statement of statements) {
            for (const action of list(statement.Action)) expect(action).to.not.match(/(^\*$|:\*$)/);
          }
          if (config.faultInjection.taskAgent) {
            expect(bySid("RunTheCpuStressDocument")?.Resource).to.equal(
              `arn:aws:ssm:${config.region}::document/AWSFIS-Run-CPU-Stress`,
            );
            // Only managed instances tagged as sidecars of this cluster's tasks (tags the tasks cannot put elsewhere).
            expect(bySid("OnThisClustersTasks")?.Condition).to.deep.equal({
              StringLike: { "ssm:resourceTag/ECS_TASK_ARN": tasks },
              StringEquals: { "ssm:resourceTag/FAULT_INJECTION_SIDECAR": "true" },
            });
          } else {
            expect(statements.flatMap((statement) => list(statement.Action)).filter((a) => a.startsWith("ssm:"))).to.be
              .empty;
          }
        });
      });

      describe("progressive delivery", () => {
        it("switches both services to a canary from the stack's config, keeping the rollback alarms", async () => {
          const canary = await stackRun(stack, canaryRelease(stack));
          for (const service of ["frontend", "backend"]) {
            const ecsService = single(canary, "aws:ecs/service:Service", `${prefix}-${service}-service`);
            const { lifecycleHooks, ...deployment } = ecsService.inputs.deploymentConfiguration as {
              lifecycleHooks: { lifecycleStages: string[] }[];
            };
            expect(deployment).to.deep.equal({
              strategy: "CANARY",
              bakeTimeInMinutes: String(config.deployment.bakeTimeMinutes),
              canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: "20" },
            });
            // A canary is also checked before each of its two production steps.
            expect(lifecycleHooks.map((hook) => hook.lifecycleStages)).to.deep.equal([
              ["POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"],
            ]);
            expect(ecsService.inputs.alarms).to.deep.include({ enable: true, rollback: true });
            expect((ecsService.inputs.alarms as { alarmNames: string[] }).alarmNames).to.have.length(2);
            expect(ecsService.inputs.deploymentCircuitBreaker).to.deep.equal({ enable: true, rollback: true });
          }
        });
      });
    });
  }
});

describe("the CPU-stress sidecar in production", () => {
  it("is refused by production's policy pack: turning it on fails the preview", async () => {
    // A service carrying the sidecar, judged with production's pack config (the config schema lets the stack ask).
    const run = await runProgram("production", () => {
      const agent = new TaskFaultAgent("fault-agent", { account: minimalServiceArgs().account });
      new FargateService(
        "api",
        minimalServiceArgs({ sidecars: [agent.sidecar], taskPermissions: [agent.taskPermissions("test")] }),
      );
    });
    const report = await checkStack(run, policies);
    const refused = report.violations.filter((violation) => violation.policy === "ecs-task-hardening");
    expect(refused.map((violation) => violation.resource?.name)).to.deep.equal(["api-task"]);
    for (const violation of refused) {
      expect(violation.level).to.equal("mandatory");
      expect(violation.message).to.include("container fault-agent has a writable root filesystem");
    }
  });
});
