import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { FargateService } from "../components/compute/fargate-service";
import type { StackConfig } from "../config";
import { APP_CONTAINERS, APP_PORTS, BACKEND_SECRET_VARIABLES } from "../config/app";
import { PROJECT_ROOT, runProgram, type StackRun } from "../offline/harness";
import { regionFacts, type DeclaredResource } from "../offline/mocks";
import { originVerifySecretName } from "../components/edge/edge";
import { minimalServiceArgs } from "./fixtures/service";
import { checkStack } from "../offline/policies";
import { policies } from "../policy-pack/policies";
import {
  STACKS,
  prefixOf,
  isIdleStandby,
  hasEdge,
  byArn,
  byId,
  json,
  ofType,
  revealed,
  single,
  stackRun,
  stackConfig,
  type Statement,
} from "./helpers";

type Service = "frontend" | "backend";

interface ContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  user: string;
  readonlyRootFilesystem: boolean;
  privileged: boolean;
  linuxParameters: { capabilities: { add: string[]; drop: string[] } };
  portMappings: { containerPort: number; protocol: string }[];
  environment?: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
  mountPoints?: { sourceVolume: string; containerPath: string; readOnly: boolean }[];
  systemControls?: { namespace: string; value: string }[];
  healthCheck?: { command: string[]; interval: number; retries: number };
  logConfiguration: { logDriver: string; options: Record<string, string> };
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The pieces of one FargateService, found through the references between them. */
function serviceParts(run: StackRun, stack: string, service: Service) {
  const name = `${prefixOf(stack)}-${service}`;
  const ecsService = single(run, "aws:ecs/service:Service", `${name}-service`);
  const taskDefinition = single(run, "aws:ecs/taskDefinition:TaskDefinition", `${name}-task`);
  const containers = JSON.parse(taskDefinition.inputs.containerDefinitions as string) as ContainerDefinition[];
  const app = containers.find((container) => container.name === "app") as ContainerDefinition;
  const policyOf = (role: DeclaredResource) =>
    json<{ Statement: Statement[] }>(
      ofType(run, "aws:iam/rolePolicy:RolePolicy").find((policy) => policy.inputs.role === role.outputs.name)!,
      "policy",
    ).Statement;
  const executionRole = byArn(run, taskDefinition.inputs.executionRoleArn);
  const taskRole = byArn(run, taskDefinition.inputs.taskRoleArn);
  return {
    name,
    ecsService,
    taskDefinition,
    containers,
    app,
    executionRole,
    taskRole,
    executionPolicy: policyOf(executionRole),
    taskPolicy: policyOf(taskRole),
  };
}

/** A service's repository: the stack's own, or a standby's, the primary's replicated one it reads by name. */
function repositoryOf(run: StackRun, stack: string, service: string): { arn: unknown } {
  if (!hasEdge(stack)) {
    const read = run.calls.find(
      (call) =>
        call.token === "aws:ecr/getRepository:getRepository" && String(call.inputs.name).endsWith(`/${service}`),
    );
    return { arn: read?.outputs.arn };
  }
  return {
    arn: single(run, "aws:ecr/repository:Repository", `${prefixOf(stack)}-${service}-images-repository`).outputs.arn,
  };
}

describe("compute tier on both stacks", () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      let config: StackConfig;
      before(async () => {
        run = await stackRun(stack);
        config = stackConfig(stack);
      });

      const outputs = () =>
        run.outputs as {
          securityGroupIds: Record<string, string>;
          publicSubnetIds: string[];
          privateSubnetIds: string[];
          natPublicIps: string[];
          secretArns: Record<string, string>;
          imageRepositoryUrls: Record<Service, string>;
        };
      const loadBalancer = (which: "public" | "api") =>
        single(run, "aws:lb/loadBalancer:LoadBalancer", `${prefixOf(stack)}-${which}-alb`);
      const listeners = (which: "public" | "api") =>
        ofType(run, "aws:lb/listener:Listener").filter(
          (l) => l.inputs.loadBalancerArn === loadBalancer(which).outputs.arn,
        );
      const httpsListener = (which: "public" | "api") =>
        listeners(which).find((listener) => listener.inputs.port === 443) as DeclaredResource;

      for (const service of ["frontend", "backend"] as const) {
        describe(`${service} service`, () => {
          it("runs the configured image, task size and port", () => {
            const { taskDefinition, app } = serviceParts(run, stack, service);
            const settings = config.compute[service];
            expect(taskDefinition.inputs).to.include({
              cpu: String(settings.cpu),
              memory: String(settings.memory),
              networkMode: "awsvpc",
            });
            expect(taskDefinition.inputs.requiresCompatibilities).to.deep.equal(["FARGATE"]);
            expect(app.image).to.equal(`${outputs().imageRepositoryUrls[service]}:${settings.imageTag}`);
            expect(app.portMappings).to.deep.equal([
              { name: "http", containerPort: APP_PORTS[service], protocol: "tcp" },
            ]);
          });

          it("runs in the private subnets behind its own security group, with no public IP", () => {
            const { ecsService } = serviceParts(run, stack, service);
            expect(ecsService.inputs.networkConfiguration).to.deep.equal({
              subnets: outputs().privateSubnetIds,
              securityGroups: [outputs().securityGroupIds[service]],
              assignPublicIp: false,
            });
            expect(ecsService.inputs).to.include({
              launchType: "FARGATE",
              // A standby's services wait at zero tasks until it is recovered (ADR 24).
              desiredCount: isIdleStandby(stack) ? 0 : config.compute[service].desiredCount,
            });
          });

          it("hardens the containers: non-root, read-only root, no privileges, every capability dropped", () => {
            const { containers, app } = serviceParts(run, stack, service);
            // The fault-injection sidecar is the one exception (checked below), and only where the stack asks for it.
            for (const container of containers.filter((candidate) => candidate.name !== "fault-agent")) {
              expect(container.privileged, container.name).to.equal(false);
              expect(container.readonlyRootFilesystem, container.name).to.equal(true);
              expect(container.user, container.name).to.not.match(/^(0|root)(:|$)/);
              expect(container.linuxParameters.capabilities).to.deep.equal({ add: [], drop: ["ALL"] });
              expect(container.logConfiguration.logDriver).to.equal("awslogs");
            }
            expect(app.user).to.equal(APP_CONTAINERS[service].user);
            expect((app.mountPoints ?? []).map((mount) => mount.containerPath)).to.deep.equal([
              ...APP_CONTAINERS[service].writablePaths,
            ]);
          });

          it("runs an X-Ray daemon sidecar the application sends traces to", () => {
            const { containers, app, taskPolicy } = serviceParts(run, stack, service);
            const xray = containers.find((container) => container.name === "xray-daemon");
            expect(xray?.image).to.match(/^public\.ecr\.aws\/xray\/aws-xray-daemon:\d+\.\d+\.\d+$/);
            expect(xray?.essential).to.equal(false);
            expect(xray?.portMappings).to.deep.equal([{ name: "xray", containerPort: 2000, protocol: "udp" }]);
            expect(app.environment).to.deep.include({ name: "AWS_XRAY_DAEMON_ADDRESS", value: "127.0.0.1:2000" });
            expect(taskPolicy.flatMap((statement) => list(statement.Action))).to.include.members([
              "xray:PutTraceSegments",
              "xray:PutTelemetryRecords",
            ]);
          });

          it("carries the fault-injection sidecar only where the stack runs task experiments", () => {
            const { containers, app, taskPolicy } = serviceParts(run, stack, service);
            const agent = containers.find((container) => container.name === "fault-agent");
            const ssmActions = taskPolicy
              .flatMap((statement) => list(statement.Action))
              .filter((a) => a.startsWith("ssm:"));
            if (!config.faultInjection.taskAgent) {
              expect(agent).to.equal(undefined);
              expect(ssmActions).to.deep.equal([]);
              return;
            }
            const role = single(run, "aws:iam/role:Role", `${prefixOf(stack)}-fault-agent-managed-instance`);
            expect(agent?.image).to.match(/^public\.ecr\.aws\/amazon-ssm-agent\/amazon-ssm-agent:\d+(\.\d+){3}$/);
            // Never essential, never privileged, no added capabilities; the app keeps its own hardening.
            expect(agent).to.deep.include({ essential: false, privileged: false, readonlyRootFilesystem: false });
            expect(agent?.linuxParameters.capabilities.add).to.deep.equal([]);
            expect(agent?.environment).to.deep.equal([
              { name: "MANAGED_INSTANCE_ROLE_NAME", value: role.outputs.name },
            ]);
            expect(agent?.logConfiguration.options["awslogs-stream-prefix"]).to.equal("fault-agent");
            expect(app.readonlyRootFilesystem).to.equal(true);
            // The task role may register the task, tagged as the sidecar of a task of this cluster and with no other
            // tag; tag only managed instances no task has claimed; deregister only this cluster's sidecars; and pass
            // exactly the managed-instance role.
            const clusterTasks = `arn:aws:ecs:us-east-1:${run.accountId}:task/${String(
              single(run, "aws:ecs/cluster:Cluster").outputs.name,
            )}/*`;
            const sidecarTags = {
              StringEquals: { "aws:RequestTag/FAULT_INJECTION_SIDECAR": "true" },
              StringLike: { "aws:RequestTag/ECS_TASK_ARN": clusterTasks },
              "ForAllValues:StringEquals": { "aws:TagKeys": ["ECS_TASK_ARN", "FAULT_INJECTION_SIDECAR"] },
            };
            const bySid = (sid: string) => taskPolicy.find((statement) => statement.Sid === sid);
            expect(bySid("RegisterForFaultInjection")?.Condition).to.deep.equal(sidecarTags);
            const managedInstances = `arn:aws:ssm:us-east-1:${run.accountId}:managed-instance/*`;
            expect(bySid("TagOwnManagedInstance")).to.deep.include({
              Action: "ssm:AddTagsToResource",
              Resource: managedInstances,
              Condition: { ...sidecarTags, Null: { "aws:ResourceTag/ECS_TASK_ARN": "true" } },
            });
            expect(bySid("DeregisterThisClustersSidecars")).to.deep.include({
              Action: "ssm:DeregisterManagedInstance",
              Resource: managedInstances,
              Condition: {
                StringEquals: { "aws:ResourceTag/FAULT_INJECTION_SIDECAR": "true" },
                StringLike: { "aws:ResourceTag/ECS_TASK_ARN": clusterTasks },
              },
            });
            expect(ssmActions, "activations expire by themselves; nobody deletes them").to.not.include(
              "ssm:DeleteActivation",
            );
            // The managed-instance role does what the SSM agent needs and nothing else.
            const instancePolicies = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter(
              (policy) => policy.inputs.role === role.outputs.name,
            );
            expect(instancePolicies).to.deep.equal([]);
            const pass = taskPolicy.find((statement) => statement.Sid === "PassManagedInstanceRole");
            expect(pass).to.deep.include({ Action: "iam:PassRole", Resource: role.outputs.arn });
            expect(pass?.Condition).to.deep.equal({ StringEquals: { "iam:PassedToService": "ssm.amazonaws.com" } });
            expect(json<{ Statement: Statement[] }>(role, "assumeRolePolicy").Statement[0]?.Principal).to.deep.equal({
              Service: "ssm.amazonaws.com",
            });
          });

          it("gives both roles least privilege: no wildcard actions, resources scoped wherever AWS allows", () => {
            const { executionPolicy, taskPolicy, taskDefinition, executionRole, taskRole } = serviceParts(
              run,
              stack,
              service,
            );
            const repositoryArn = repositoryOf(run, stack, service).arn;
            const logGroup = single(run, "aws:cloudwatch/logGroup:LogGroup", `${prefixOf(stack)}-${service}-logs`);
            for (const statement of [...executionPolicy, ...taskPolicy]) {
              expect(statement.Effect).to.equal("Allow");
              for (const action of list(statement.Action)) expect(action, statement.Sid).to.not.match(/(^\*$|:\*$)/);
            }
            // Only actions without resource-level permissions may name "*".
            const unscoped = [...executionPolicy, ...taskPolicy]
              .filter((statement) => list(statement.Resource).includes("*"))
              .flatMap((statement) => list(statement.Action));
            // CreateActivation has no resource-level permissions (it is bound by its tags).
            const resourceless = ["ecr:GetAuthorizationToken", "ssm:CreateActivation"];
            expect(
              unscoped.filter((action) => !resourceless.includes(action) && !action.startsWith("xray:")),
            ).to.deep.equal([]);
            const pull = executionPolicy.find((statement) => statement.Sid === "PullServiceImage");
            expect(pull?.Resource).to.equal(repositoryArn);
            const logs = executionPolicy.find((statement) => statement.Sid === "WriteServiceLogs");
            expect(logs?.Resource).to.equal(`${String(logGroup.outputs.arn)}:log-stream:*`);
            expect(taskDefinition.inputs.executionRoleArn).to.not.equal(taskDefinition.inputs.taskRoleArn);
            for (const role of [executionRole, taskRole]) {
              const trust = json<{ Statement: Statement[] }>(role, "assumeRolePolicy").Statement;
              expect(trust).to.have.length(1);
              expect(trust[0]?.Principal).to.deep.equal({ Service: "ecs-tasks.amazonaws.com" });
              expect(trust[0]?.Condition?.StringEquals).to.deep.equal({ "aws:SourceAccount": run.accountId });
            }
          });

          it("checks health as the design says: GET the health path, 30 s, 3 to pass, 2 to fail, HTTP 200", () => {
            const { app, ecsService } = serviceParts(run, stack, service);
            const path = APP_CONTAINERS[service].healthCheckPath;
            const groups = ["blue", "green"].map((color) =>
              single(run, "aws:lb/targetGroup:TargetGroup", `${prefixOf(stack)}-${service}-${color}`),
            );
            for (const group of groups) {
              expect(group.inputs).to.include({ targetType: "ip", protocol: "HTTP", port: APP_PORTS[service] });
              expect(group.inputs.vpcId).to.equal(run.outputs.vpcId);
              expect(group.inputs.healthCheck).to.deep.include({
                path,
                protocol: "HTTP",
                matcher: "200",
                interval: 30,
                healthyThreshold: 3,
                unhealthyThreshold: 2,
              });
            }
            expect(app.healthCheck?.command.join(" ")).to.include(`http://127.0.0.1:${APP_PORTS[service]}${path}`);
            expect(app.healthCheck).to.deep.include({ interval: 30, retries: 2 });
            expect(ecsService.inputs.healthCheckGracePeriodSeconds).to.equal(60);
          });

          it("scales between the configured counts on the design's CPU steps, plus memory target tracking", () => {
            const { name } = serviceParts(run, stack, service);
            const settings = config.compute[service];
            const target = single(run, "aws:appautoscaling/target:Target", `${name}-scaling`);
            expect(target.inputs).to.include({
              minCapacity: isIdleStandby(stack) ? 0 : settings.desiredCount,
              maxCapacity: settings.maxCount,
              scalableDimension: "ecs:service:DesiredCount",
            });
            const policy = (suffix: string) => single(run, "aws:appautoscaling/policy:Policy", `${name}-${suffix}`);
            const alarm = (suffix: string) =>
              single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", `${name}-${suffix}`);

            const high = alarm("cpu-high");
            expect(high.inputs).to.include({
              namespace: "AWS/ECS",
              metricName: "CPUUtilization",
              comparisonOperator: "GreaterThanThreshold",
              threshold: 70,
              evaluationPeriods: 2,
              period: 60,
            });
            expect(high.inputs.alarmActions).to.deep.equal([policy("cpu-scale-out").outputs.arn]);
            const low = alarm("cpu-low");
            expect(low.inputs).to.include({
              comparisonOperator: "LessThanThreshold",
              threshold: 30,
              evaluationPeriods: 5,
            });
            expect(low.inputs.alarmActions).to.deep.equal([policy("cpu-scale-in").outputs.arn]);
            for (const cpuAlarm of [high, low]) {
              expect(cpuAlarm.inputs.dimensions).to.deep.equal({
                ClusterName: run.outputs.clusterName,
                ServiceName: (run.outputs.serviceNames as Record<Service, string>)[service],
              });
            }
            const scaleOut = policy("cpu-scale-out").inputs.stepScalingPolicyConfiguration as {
              stepAdjustments: { scalingAdjustment: number }[];
            };
            expect(scaleOut.stepAdjustments.every((step) => step.scalingAdjustment > 0)).to.be.true;
            const scaleIn = policy("cpu-scale-in").inputs.stepScalingPolicyConfiguration as {
              stepAdjustments: { scalingAdjustment: number }[];
            };
            expect(scaleIn.stepAdjustments).to.deep.equal([{ metricIntervalUpperBound: "0", scalingAdjustment: -1 }]);
            expect(policy("memory-tracking").inputs.targetTrackingScalingPolicyConfiguration).to.deep.include({
              targetValue: 75,
              disableScaleIn: true,
              predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageMemoryUtilization" },
            });
            for (const scalingPolicy of ofType(run, "aws:appautoscaling/policy:Policy").filter((p) =>
              p.name.startsWith(`${name}-`),
            )) {
              expect(scalingPolicy.inputs.resourceId).to.equal(target.outputs.resourceId);
            }
          });

          it("deploys blue/green natively, with a bake time, circuit breaker and alarm rollback", () => {
            const { name, ecsService } = serviceParts(run, stack, service);
            const blue = single(run, "aws:lb/targetGroup:TargetGroup", `${name}-blue`);
            const green = single(run, "aws:lb/targetGroup:TargetGroup", `${name}-green`);
            const production = single(run, "aws:lb/listenerRule:ListenerRule", `${name}-production`);
            const test = single(run, "aws:lb/listenerRule:ListenerRule", `${name}-test`);
            const role = single(run, "aws:iam/role:Role", `${name}-deployments`);

            const { lifecycleHooks, ...deployment } = ecsService.inputs.deploymentConfiguration as {
              lifecycleHooks: { lifecycleStages: string[] }[];
            };
            expect(deployment).to.deep.equal({
              strategy: "BLUE_GREEN",
              bakeTimeInMinutes: String(config.deployment.bakeTimeMinutes),
            });
            // Checked after the test shift and after the production shift (test/release-checks-stack.test.ts).
            expect(lifecycleHooks.map((hook) => hook.lifecycleStages)).to.deep.equal([
              ["POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"],
            ]);
            expect(ecsService.inputs.deploymentCircuitBreaker).to.deep.equal({ enable: true, rollback: true });
            expect(ecsService.inputs.loadBalancers).to.deep.equal([
              {
                targetGroupArn: blue.outputs.arn,
                containerName: "app",
                containerPort: APP_PORTS[service],
                advancedConfiguration: {
                  alternateTargetGroupArn: green.outputs.arn,
                  productionListenerRule: production.outputs.arn,
                  testListenerRule: test.outputs.arn,
                  roleArn: role.outputs.arn,
                },
              },
            ]);
            const attachment = ofType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").find(
              (candidate) => candidate.inputs.role === role.outputs.name,
            );
            expect(attachment?.inputs.policyArn).to.equal(
              "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers",
            );
            expect(json<{ Statement: Statement[] }>(role, "assumeRolePolicy").Statement[0]?.Principal).to.deep.equal({
              Service: "ecs.amazonaws.com",
            });

            const alarms = ecsService.inputs.alarms as { alarmNames: string[]; enable: boolean; rollback: boolean };
            expect(alarms).to.deep.include({ enable: true, rollback: true });
            const rollbackAlarms = alarms.alarmNames.map((alarmName) =>
              ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").find((a) => a.outputs.name === alarmName)!,
            );
            expect(rollbackAlarms.map((alarm) => alarm.name).sort()).to.deep.equal([
              `${name}-target-5xx`,
              `${name}-unhealthy-targets`,
            ]);
            const errors = rollbackAlarms.find((alarm) => alarm.name.endsWith("-target-5xx"))!;
            expect(errors.inputs).to.include({
              threshold: config.deployment.rollbackOn5xxPerMinute,
              evaluationPeriods: 2,
            });
            const queries = errors.inputs.metricQueries as {
              id: string;
              metric?: { metricName: string; dimensions: Record<string, string> };
            }[];
            expect(
              queries.filter((query) => query.metric).map((query) => query.metric?.dimensions.TargetGroup),
              "the alarm watches both target groups",
            ).to.deep.equal([blue.outputs.arnSuffix, green.outputs.arnSuffix]);
          });

          it("routes through forward-only production and test rules on its load balancer's HTTPS listener", () => {
            const { name } = serviceParts(run, stack, service);
            const listener = httpsListener(service === "frontend" ? "public" : "api");
            const blue = single(run, "aws:lb/targetGroup:TargetGroup", `${name}-blue`);
            const green = single(run, "aws:lb/targetGroup:TargetGroup", `${name}-green`);
            const production = single(run, "aws:lb/listenerRule:ListenerRule", `${name}-production`);
            const test = single(run, "aws:lb/listenerRule:ListenerRule", `${name}-test`);
            for (const rule of [production, test]) {
              expect(rule.inputs.listenerArn, rule.name).to.equal(listener.outputs.arn);
              expect(rule.inputs.actions, rule.name).to.deep.equal([
                {
                  type: "forward",
                  forward: {
                    targetGroups: [
                      { arn: blue.outputs.arn, weight: 100 },
                      { arn: green.outputs.arn, weight: 0 },
                    ],
                  },
                },
              ]);
            }
            expect(test.inputs.priority).to.be.lessThan(production.inputs.priority as number);
            // Only requests CloudFront forwarded (carrying its secret header) reach the frontend: the value the edge
            // generated, or on a standby the primary's, read by name from its replica at each deployment.
            const originSecret = originVerifySecretName(`${prefixOf(stack)}-edge`);
            const replicaRead = run.calls.find(
              (call) =>
                call.token.endsWith("/getSecretVersion:getSecretVersion") && call.inputs.secretId === originSecret,
            );
            const originValue = replicaRead
              ? (JSON.parse(String(replicaRead.outputs.secretString)) as { value: string }).value
              : revealed(single(run, "random:index/randomPassword:RandomPassword", originSecret).outputs.result);
            expect(replicaRead === undefined, "only a standby reads the primary's header").to.equal(
              stackConfig(stack).disasterRecovery?.role !== "standby",
            );
            const required =
              service === "frontend"
                ? [{ httpHeader: { httpHeaderName: "X-Origin-Verify", values: [originValue] } }]
                : [];
            expect(revealed(production.inputs.conditions)).to.deep.equal([
              { pathPattern: { values: ["/*"] } },
              ...required,
            ]);
            // Green tasks answer only requests carrying the generated test-traffic credential.
            const credential = single(
              run,
              "random:index/randomPassword:RandomPassword",
              `${prefixOf(stack)}-app-test-traffic`,
            );
            const testConditions = revealed(test.inputs.conditions) as object[];
            expect(testConditions).to.deep.equal([
              { pathPattern: { values: ["/*"] } },
              ...required,
              {
                httpHeader: {
                  httpHeaderName: "X-CloudWeave-Test-Traffic",
                  values: [revealed(credential.outputs.result)],
                },
              },
            ]);
            expect(String(revealed(credential.outputs.result)).length).to.be.at.least(40);
          });
        });
      }

      it("injects the backend's secrets by ARN, each variable from one key of its secret, never as plain values", () => {
        const { app, executionPolicy } = serviceParts(run, stack, "backend");
        const arns = outputs().secretArns;
        const expected = Object.entries(BACKEND_SECRET_VARIABLES)
          .map(([name, { secret, key }]) => ({ name, valueFrom: `${arns[secret]}:${key}::` }))
          .sort((a, b) => a.name.localeCompare(b.name));
        expect(app.secrets).to.deep.equal(expected);
        for (const variable of app.environment ?? []) {
          expect(variable.name).to.not.match(/PASSWORD|SECRET|TOKEN|KEY/);
        }
        const read = executionPolicy.find((statement) => statement.Sid === "ReadServiceSecrets");
        expect(list(read?.Resource ?? []).sort()).to.deep.equal(Object.values(arns).sort());
        const decrypt = executionPolicy.find((statement) => statement.Sid === "DecryptServiceSecrets");
        expect(decrypt?.Resource).to.equal((run.outputs.kmsKeyArns as Record<string, string>).secrets);
        expect(decrypt?.Condition?.StringEquals).to.deep.equal({
          "kms:ViaService": `secretsmanager.${config.region}.amazonaws.com`,
        });
      });

      it("gives the frontend no secrets and points its API proxy at the internal load balancer", () => {
        const { app, executionPolicy } = serviceParts(run, stack, "frontend");
        expect(app.secrets).to.deep.equal([]);
        expect(executionPolicy.some((statement) => list(statement.Action).some((a) => a.startsWith("secretsmanager:"))))
          .to.be.false;
        expect(app.environment).to.deep.include({
          name: "API_UPSTREAM",
          value: `https://api.internal.${config.domain.name}`,
        });
        // nginx re-resolves the name through the Amazon DNS server: the VPC's base address plus two.
        const [a, b, c, d] = String(single(run, "aws:ec2/vpc:Vpc").inputs.cidrBlock)
          .split("/")[0]!
          .split(".")
          .map(Number);
        expect(app.environment).to.deep.include({ name: "DNS_RESOLVER", value: `${a}.${b}.${c}.${d! + 2}` });
        // nginx binds port 80 as a non-root user: the task's network namespace must allow it.
        expect(app.systemControls).to.deep.equal([{ namespace: "net.ipv4.ip_unprivileged_port_start", value: "80" }]);
      });

      it("puts the public load balancer in the public subnets: HTTPS on TLS 1.3 from CloudFront and the release checks only", () => {
        const alb = loadBalancer("public");
        expect(alb.inputs).to.include({
          internal: false,
          loadBalancerType: "application",
          dropInvalidHeaderFields: true,
          desyncMitigationMode: "defensive",
          enableDeletionProtection: config.deletionProtection,
        });
        expect(alb.inputs.subnets).to.deep.equal(outputs().publicSubnetIds);
        expect(alb.inputs.securityGroups).to.deep.equal([outputs().securityGroupIds.alb]);
        const https = httpsListener("public");
        const validation = single(
          run,
          "aws:acm/certificateValidation:CertificateValidation",
          `${prefixOf(stack)}-alb-validation`,
        );
        expect(https.inputs).to.include({
          protocol: "HTTPS",
          sslPolicy: "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
          certificateArn: validation.outputs.certificateArn,
        });
        expect(https.inputs.defaultActions).to.deep.equal([
          {
            type: "fixed-response",
            fixedResponse: { statusCode: "404", contentType: "text/plain", messageBody: "Not found" },
          },
        ]);
        // CloudFront connects over HTTPS only; no port-80 listener exists to reach.
        expect(listeners("public").map((listener) => listener.inputs.port)).to.deep.equal([443]);
        const ingress = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
          (rule) => rule.inputs.securityGroupId === outputs().securityGroupIds.alb,
        );
        // CloudFront's origin-facing managed prefix list of the region (the mocks' REGIONS table, with its source), and
        // the stack's own NAT addresses, one by one: where the release checks in the private subnets come from.
        expect(
          ingress.map((rule) => [
            rule.inputs.prefixListId ?? rule.inputs.cidrIpv4,
            rule.inputs.fromPort,
            rule.inputs.toPort,
          ]),
        ).to.have.deep.members([
          [regionFacts(config.region).cloudFrontPrefixList, 443, 443],
          ...outputs().natPublicIps.map((address) => [`${address}/32`, 443, 443]),
        ]);
      });

      it("keeps the API load balancer internal, HTTPS only, reachable from the frontend's and the release checks' groups alone", () => {
        const alb = loadBalancer("api");
        expect(alb.inputs).to.include({ internal: true, dropInvalidHeaderFields: true });
        expect(alb.inputs.subnets).to.deep.equal(outputs().privateSubnetIds);
        expect(alb.inputs.securityGroups).to.deep.equal([outputs().securityGroupIds.apiAlb]);
        expect(listeners("api").map((listener) => listener.inputs.port)).to.deep.equal([443]);
        expect(httpsListener("api").inputs.sslPolicy).to.equal("ELBSecurityPolicy-TLS13-1-2-Res-2021-06");
        const ingress = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
          (rule) => rule.inputs.securityGroupId === outputs().securityGroupIds.apiAlb,
        );
        expect(
          ingress.map((rule) => [rule.inputs.referencedSecurityGroupId, rule.inputs.fromPort]),
        ).to.have.deep.members([
          [outputs().securityGroupIds.frontend, 443],
          [outputs().securityGroupIds.releaseChecks, 443],
        ]);
      });

      it("validates the load balancers' certificate by DNS for the origin and internal API names", () => {
        const certificate = single(run, "aws:acm/certificate:Certificate", `${prefixOf(stack)}-alb-certificate`);
        expect(certificate.inputs).to.include({ domainName: `origin.${config.domain.name}`, validationMethod: "DNS" });
        expect(certificate.inputs.subjectAlternativeNames).to.deep.equal([`api.internal.${config.domain.name}`]);
        expect(certificate.provider, "issued in the stack's region").to.equal(undefined);
        const records = ofType(run, "aws:route53/record:Record").filter((record) =>
          record.name.startsWith(`${prefixOf(stack)}-alb-validation-`),
        );
        expect(records.map((record) => record.inputs.type)).to.deep.equal(["CNAME", "CNAME"]);
        const validation = single(
          run,
          "aws:acm/certificateValidation:CertificateValidation",
          `${prefixOf(stack)}-alb-validation`,
        );
        expect(validation.inputs.validationRecordFqdns).to.have.length(2);
        const aliases = ofType(run, "aws:route53/record:Record").filter(
          (record) => record.inputs.type === "A" && !record.name.startsWith(`${prefixOf(stack)}-edge`),
        );
        expect(aliases.map((record) => record.inputs.name).sort()).to.deep.equal(
          [`api.internal.${config.domain.name}`, `origin.${config.domain.name}`].sort(),
        );
        // Validation records and the origin name are public; the internal API's name is in the private zone alone.
        const publicZone = records[0]?.inputs.zoneId;
        const origin = aliases.find((record) => record.inputs.name === `origin.${config.domain.name}`);
        expect(origin?.inputs.zoneId).to.equal(publicZone);
        const api = aliases.find((record) => record.inputs.name === `api.internal.${config.domain.name}`);
        const privateZone = single(run, "aws:route53/zone:Zone");
        expect(api?.inputs.zoneId).to.equal(privateZone.outputs.zoneId).and.not.equal(publicZone);
        expect(privateZone.inputs).to.deep.include({
          name: `internal.${config.domain.name}`,
          vpcs: [{ vpcId: single(run, "aws:ec2/vpc:Vpc").id }],
        });
        const internalAlb = loadBalancer("api");
        const published = ofType(run, "aws:route53/record:Record").filter(
          (record) =>
            record.inputs.zoneId !== privateZone.outputs.zoneId &&
            JSON.stringify(record.inputs.aliases ?? []).includes(String(internalAlb.outputs.dnsName)),
        );
        expect(published, "no public record points at the internal load balancer").to.deep.equal([]);
      });

      it("writes both load balancers' access logs to a private, encrypted, versioned, TLS-only bucket", () => {
        const bucket = single(run, "aws:s3/bucket:Bucket", `${prefixOf(stack)}-lb-logs-bucket`);
        const forBucket = (type: string) =>
          ofType(run, type).filter((resource) => resource.inputs.bucket === bucket.id);
        expect(forBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]?.inputs).to.include({
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        expect(forBucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls")[0]?.inputs.rule).to.deep.equal({
          objectOwnership: "BucketOwnerEnforced",
        });
        expect(
          forBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0]?.inputs
            .rules,
        ).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
        expect(forBucket("aws:s3/bucketVersioning:BucketVersioning")[0]?.inputs.versioningConfiguration).to.deep.equal({
          status: "Enabled",
        });
        const lifecycle = forBucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0];
        expect((lifecycle?.inputs.rules as { expiration: { days: number } }[])[0]?.expiration).to.deep.equal({
          days: config.logs.retentionInDays,
        });
        const policyResource = forBucket("aws:s3/bucketPolicy:BucketPolicy")[0] as DeclaredResource;
        const statements = json<{ Statement: Statement[] }>(policyResource, "policy").Statement;
        expect(statements.find((s) => s.Sid === "DenyInsecureTransport")).to.deep.include({
          Effect: "Deny",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
        const delivery = statements.find((s) => s.Sid === "LoadBalancerLogDelivery");
        // ELB's log-delivery account of the region (the mocks' REGIONS table, with its source).
        expect(delivery?.Principal).to.deep.equal({
          AWS: `arn:aws:iam::${regionFacts(config.region).elbLogAccount}:root`,
        });
        expect(delivery?.Resource).to.equal(`${String(bucket.outputs.arn)}/alb/*/AWSLogs/${run.accountId}/*`);

        for (const which of ["public", "api"] as const) {
          const alb = loadBalancer(which);
          expect(alb.inputs.accessLogs).to.deep.equal({
            enabled: true,
            bucket: bucket.outputs.bucket,
            prefix: `alb/${which}/access`,
          });
          expect(alb.propertyDependencies.accessLogs, "waits for the bucket policy").to.include(policyResource.urn);
        }
      });

      it("keeps images in immutable, scanned, KMS-encrypted repositories with a lifecycle (a standby: the primary's)", () => {
        if (!hasEdge(stack)) {
          // The primary keeps them in this region (test/disaster-recovery.test.ts); the standby reads them by name.
          expect(ofType(run, "aws:ecr/repository:Repository")).to.deep.equal([]);
          return;
        }
        for (const service of ["frontend", "backend"] as const) {
          const repository = single(
            run,
            "aws:ecr/repository:Repository",
            `${prefixOf(stack)}-${service}-images-repository`,
          );
          expect(repository.inputs).to.deep.include({
            name: `${prefixOf(stack)}/${service}`,
            imageTagMutability: "IMMUTABLE",
            imageScanningConfiguration: { scanOnPush: true },
            forceDelete: !config.deletionProtection,
          });
          const lifecycle = ofType(run, "aws:ecr/lifecyclePolicy:LifecyclePolicy").find(
            (policy) => policy.inputs.repository === repository.outputs.name,
          );
          const rules = json<{ rules: { selection: { tagStatus: string } }[] }>(lifecycle!, "policy").rules;
          expect(rules.map((rule) => rule.selection.tagStatus)).to.deep.equal(["untagged", "any"]);
        }
      });

      it("creates the image repositories alone with docs/delivery.md's first-deploy targets (not a standby's)", () => {
        if (!hasEdge(stack)) return;
        const readme = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "delivery.md"), "utf8");
        const command = readme.split("\n").find((line) => line.startsWith("pulumi up --stack staging --target"));
        const globs = [...(command ?? "").matchAll(/--target '([^']+)'/g)].map((match) => match[1] as string);
        expect(globs, "the documented targeted command").to.have.length(2);
        // Pulumi's URN globs: `**` matches anything, `*` anything within a name.
        const patterns = globs.map(
          (glob) =>
            new RegExp(
              `^${glob
                .replaceAll("cloudweave-staging", prefixOf(stack))
                .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
                .replaceAll("**", "\u0000")
                .replaceAll("*", "[^:]*")
                .replaceAll("\u0000", ".*")}$`,
            ),
        );
        const targeted = run.resources.filter((resource) => patterns.some((pattern) => pattern.test(resource.urn)));
        const urns = new Set(targeted.map((resource) => resource.urn));
        expect(
          targeted
            .filter((r) => r.custom)
            .map((r) => r.type)
            .sort(),
        ).to.deep.equal(
          [
            "aws:ecr/lifecyclePolicy:LifecyclePolicy",
            "aws:ecr/lifecyclePolicy:LifecyclePolicy",
            "aws:ecr/repository:Repository",
            "aws:ecr/repository:Repository",
            "aws:kms/alias:Alias",
            "aws:kms/key:Key",
            // A primary's images key is multi-Region: its replica in the standby's region comes with it.
            ...(config.disasterRecovery?.role === "primary"
              ? ["aws:kms/alias:Alias", "aws:kms/replicaKey:ReplicaKey", "pulumi:providers:aws"]
              : []),
          ].sort(),
        );
        for (const resource of targeted) {
          for (const dependency of [...resource.dependencies, resource.parent ?? ""]) {
            if (dependency.includes("::pulumi:pulumi:Stack::") || dependency === "") continue;
            expect(urns.has(dependency), `${resource.name} needs ${dependency}`).to.equal(true);
          }
        }
      });

      it("runs the services on a cluster with Container Insights", () => {
        const cluster = single(run, "aws:ecs/cluster:Cluster");
        expect(cluster.inputs.settings).to.deep.equal([{ name: "containerInsights", value: "enhanced" }]);
        for (const service of ofType(run, "aws:ecs/service:Service")) {
          expect(service.inputs.cluster).to.equal(cluster.outputs.arn);
        }
      });

      it("writes the services' logs to encrypted groups kept for the configured time", () => {
        for (const service of ["frontend", "backend"] as const) {
          const { app } = serviceParts(run, stack, service);
          const logGroup = single(run, "aws:cloudwatch/logGroup:LogGroup", `${prefixOf(stack)}-${service}-logs`);
          expect(app.logConfiguration.options["awslogs-group"]).to.equal(logGroup.outputs.name);
          expect(logGroup.inputs.retentionInDays).to.equal(config.logs.retentionInDays);
          expect(logGroup.inputs.kmsKeyId).to.equal((run.outputs.kmsKeyArns as Record<string, string>).logs);
        }
      });
    });
  }
});

describe("FargateService component", () => {
  const minimal = minimalServiceArgs;

  it("defaults to the design's health checks, wires the scaling thresholds to their alarms, and has no secrets", async () => {
    const run = await runProgram("staging", () => {
      new FargateService("web", minimal());
    });
    expect(single(run, "aws:lb/targetGroup:TargetGroup", "web-blue").inputs.healthCheck).to.deep.include({
      path: "/healthz",
      interval: 30,
      healthyThreshold: 3,
      unhealthyThreshold: 2,
      matcher: "200",
    });
    expect(single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "web-cpu-high").inputs).to.include({
      threshold: 70,
      evaluationPeriods: 2,
    });
    expect(single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "web-cpu-low").inputs).to.include({
      threshold: 30,
      evaluationPeriods: 5,
    });
    expect(single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "web-target-5xx").inputs.threshold).to.equal(10);
    const definitions = JSON.parse(
      single(run, "aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions as string,
    ) as ContainerDefinition[];
    const app = definitions.find((definition) => definition.name === "app");
    expect(app?.secrets).to.deep.equal([]);
    expect(app?.systemControls, "port 8080 needs no sysctl").to.deep.equal([]);
    const execution = byId(run, single(run, "aws:iam/role:Role", "web-execution").id);
    const policy = ofType(run, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === execution.outputs.name);
    expect(JSON.stringify(policy?.inputs.policy)).to.not.include("secretsmanager");
    expect(single(run, "aws:ecs/service:Service").inputs).to.include({
      waitForSteadyState: true,
      sigintRollback: true,
    });
  });

  it("deploys as a canary or linearly when asked, with the same rollback alarms", async () => {
    for (const [deployment, expected] of [
      [
        { bakeTimeMinutes: 3, strategy: "CANARY", canary: { percent: 5, bakeMinutes: 15 } },
        {
          strategy: "CANARY",
          bakeTimeInMinutes: "3",
          canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: "15" },
        },
      ],
      [
        { bakeTimeMinutes: 3, strategy: "LINEAR", linear: { stepPercent: 20, stepBakeMinutes: 4 } },
        {
          strategy: "LINEAR",
          bakeTimeInMinutes: "3",
          linearConfiguration: { stepPercent: 20, stepBakeTimeInMinutes: "4" },
        },
      ],
    ] as const) {
      const run = await runProgram("staging", () => {
        new FargateService(
          "web",
          minimal({ deployment: { ...minimal().deployment, ...deployment, timeoutMinutes: 60 } }),
        );
      });
      const service = single(run, "aws:ecs/service:Service");
      expect(service.inputs.deploymentConfiguration).to.deep.equal(expected);
      expect((service.inputs.alarms as { rollback: boolean }).rollback).to.equal(true);
    }
  });

  it("takes thresholds, the test header and secrets from its arguments", async () => {
    const run = await runProgram("staging", () => {
      new FargateService(
        "web",
        minimal({
          container: {
            port: 80,
            healthCheckPath: "/",
            user: "101:101",
            secrets: { API_KEY: { secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf" } },
          },
          scaling: { ...minimal().scaling, scaleOutCpuPercent: 60, scaleOutPeriods: 3 },
          routing: {
            listenerArn: "arn:listener",
            loadBalancerArnSuffix: "app/lb/1",
            priority: 10,
            testTraffic: { name: "X-Canary", value: "yes" },
          },
        }),
      );
    });
    expect(single(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "web-cpu-high").inputs).to.include({
      threshold: 60,
      evaluationPeriods: 3,
    });
    expect(single(run, "aws:lb/listenerRule:ListenerRule", "web-test").inputs.conditions).to.deep.include({
      httpHeader: { httpHeaderName: "X-Canary", values: ["yes"] },
    });
    const app = (
      JSON.parse(
        single(run, "aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions as string,
      ) as ContainerDefinition[]
    ).find((definition) => definition.name === "app");
    expect(app?.secrets).to.deep.equal([
      { name: "API_KEY", valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf" },
    ]);
    expect(app?.systemControls).to.deep.equal([{ namespace: "net.ipv4.ip_unprivileged_port_start", value: "80" }]);
  });
});

describe("component escape hatches (transform)", () => {
  it("merges properties over a child's arguments, or lets a function edit them, and the policy pack still sees the result", async () => {
    const run = await runProgram("staging", () => {
      new FargateService(
        "web",
        minimalServiceArgs({
          transform: {
            service: (args) => {
              args.enableExecuteCommand = true;
              args.networkConfiguration = { subnets: ["subnet-1"], assignPublicIp: true };
            },
            taskDefinition: { ephemeralStorage: { sizeInGib: 30 } },
          },
        }),
      );
    });
    expect(single(run, "aws:ecs/service:Service").inputs.enableExecuteCommand).to.equal(true);
    expect(single(run, "aws:ecs/taskDefinition:TaskDefinition").inputs.ephemeralStorage).to.deep.equal({
      sizeInGib: 30,
    });
    // Untouched children keep what the component computed.
    expect(single(run, "aws:ecs/service:Service").inputs.launchType).to.equal("FARGATE");
    const report = await checkStack(run, policies);
    expect(report.violations.map((violation) => violation.policy)).to.include("ecs-service-no-public-ip");
  });
});
