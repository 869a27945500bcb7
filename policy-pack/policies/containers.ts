/** ECS and ECR: hardened task definitions, private tasks, observable clusters, trustworthy images. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  TOKENS,
  bool,
  configStrings,
  ofKind,
  record,
  referenced,
  resourcePolicy,
  stackPolicy,
  str,
  type Props,
} from "./support";

/** Environment variable names that suggest a secret; such values belong in `secrets`, injected from a store. */
const SECRET_LIKE = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIAL)/i;

/** The container definitions of a task definition: JSON text, parsed. Unparsable text is reported by the caller. */
function containers(props: Props): Props[] | undefined {
  const text = props.containerDefinitions;
  if (typeof text !== "string") return Array.isArray(text) ? text.map(record) : undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.map(record) : undefined;
  } catch {
    return undefined;
  }
}

export const clusterInsights = resourcePolicy({
  name: "ecs-container-insights",
  description: "ECS clusters have Container Insights on.",
  anchors: { checkov: ["CKV_AWS_65"], trivy: ["AVD-AWS-0034"], fsbp: ["ECS.12"] },
  severity: "low",
  remediation: 'Add settings: [{ name: "containerInsights", value: "enhanced" }] (or "enabled").',
  types: TOKENS.cluster,
  validate: (props, _args, report) => {
    const setting = (Array.isArray(props.settings) ? props.settings : [])
      .map(record)
      .find((candidate) => candidate.name === "containerInsights");
    if (setting?.value !== "enabled" && setting?.value !== "enhanced") report("Container Insights must be enabled.");
  },
});

export const taskHardening = resourcePolicy({
  name: "ecs-task-hardening",
  description:
    "Task definitions run containers unprivileged, with read-only root filesystems, no host namespaces, and no secret-looking plain environment variables.",
  anchors: {
    checkov: ["CKV_AWS_334", "CKV_AWS_335", "CKV_AWS_336"],
    trivy: ["AVD-AWS-0036"],
    fsbp: ["ECS.3", "ECS.4", "ECS.5", "ECS.8"],
  },
  severity: "high",
  remediation:
    "Set privileged: false and readonlyRootFilesystem: true (scratch volumes for writable paths), leave pidMode/networkMode off host, and pass secrets through `secrets` (valueFrom an ARN).",
  configSchema: {
    properties: {
      // Non-essential sidecars a stack accepts with a writable root (staging's fault-injection agent); never the app.
      writableRootSidecars: { type: "array", items: { type: "string" }, default: [] },
    },
  },
  types: TOKENS.taskDefinition,
  validate: (props, args, report) => {
    const writableSidecars = configStrings(args, "writableRootSidecars", []);
    if (str(props, "pidMode") === "host") report('pidMode must not be "host".');
    if (str(props, "ipcMode") === "host") report('ipcMode must not be "host".');
    if (str(props, "networkMode") === "host") report('networkMode must not be "host".');
    const definitions = containers(props);
    if (!definitions) {
      report("containerDefinitions is not a JSON list of containers; the task cannot be checked.");
      return;
    }
    for (const container of definitions) {
      const name = str(container, "name") ?? "?";
      if (bool(container, "privileged") === true) report(`container ${name} is privileged.`);
      const excepted = writableSidecars.includes(name) && bool(container, "essential") === false;
      if (bool(container, "readonlyRootFilesystem") !== true && !excepted) {
        report(`container ${name} has a writable root filesystem.`);
      }
      for (const variable of (Array.isArray(container.environment) ? container.environment : []).map(record)) {
        const variableName = str(variable, "name") ?? "";
        if (SECRET_LIKE.test(variableName)) {
          report(`container ${name} passes ${variableName} as a plain environment variable; use secrets.`);
        }
      }
    }
  },
});

export const servicePrivate = resourcePolicy({
  name: "ecs-service-no-public-ip",
  description: "ECS services do not give their tasks public IP addresses.",
  anchors: { checkov: ["CKV_AWS_333"], fsbp: ["ECS.2"] },
  severity: "high",
  remediation: "Set networkConfiguration.assignPublicIp: false and run tasks in private subnets.",
  types: TOKENS.service,
  validate: (props, _args, report) => {
    if (record(props.networkConfiguration).assignPublicIp === true) report("assignPublicIp must be false.");
  },
});

/** The stages release checks must run at, by deployment strategy (functions/release-checks/hook.ts). */
const CHECKED_STAGES: Readonly<Record<string, readonly string[]>> = {
  BLUE_GREEN: ["POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"],
  CANARY: ["POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"],
  LINEAR: ["POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"],
};

export const releaseChecks = resourcePolicy({
  name: "ecs-release-checks",
  description:
    "ECS services that shift traffic between versions test each release before and after it takes traffic: a Lambda lifecycle hook after the test shift and after the production shift, and before each canary or linear step.",
  anchors: { adr: ["0025"] },
  severity: "high",
  remediation:
    "Pass the service a ReleaseChecks component's hooksFor(...) as lifecycleHooks (components/release/release-checks.ts).",
  types: TOKENS.service,
  validate: (props, _args, report) => {
    const configuration = record(props.deploymentConfiguration);
    const strategy = str(configuration, "strategy") ?? "";
    const required = CHECKED_STAGES[strategy];
    if (!required) return;
    const stages = new Set(
      (Array.isArray(configuration.lifecycleHooks) ? configuration.lifecycleHooks : [])
        .map(record)
        .filter((hook) => (str(hook, "targetType") ?? "AWS_LAMBDA") === "AWS_LAMBDA" && hook.hookTargetArn)
        .flatMap((hook): unknown[] => (Array.isArray(hook.lifecycleStages) ? hook.lifecycleStages : [])),
    );
    const missing = required.filter((stage) => !stages.has(stage));
    if (missing.length) report(`a ${strategy} deployment runs no release checks at ${missing.join(", ")}.`);
  },
});

export const repositoryImmutable = resourcePolicy({
  name: "ecr-immutable-tags-and-scanning",
  description: "ECR repositories have immutable tags and scan images on push.",
  anchors: {
    checkov: ["CKV_AWS_51", "CKV_AWS_163"],
    trivy: ["AVD-AWS-0031", "AVD-AWS-0030"],
    fsbp: ["ECR.1", "ECR.2"],
  },
  severity: "medium",
  remediation: 'Set imageTagMutability: "IMMUTABLE" and imageScanningConfiguration.scanOnPush: true.',
  types: TOKENS.repository,
  validate: (props, _args, report) => {
    if (!(str(props, "imageTagMutability") ?? "MUTABLE").startsWith("IMMUTABLE")) {
      report("imageTagMutability must be IMMUTABLE.");
    }
    if (record(props.imageScanningConfiguration).scanOnPush !== true) {
      report("imageScanningConfiguration.scanOnPush must be true.");
    }
  },
});

export const repositoryLifecycle: StackValidationPolicy = stackPolicy({
  name: "ecr-lifecycle-policy",
  description: "Every ECR repository has a lifecycle policy.",
  anchors: { fsbp: ["ECR.3"] },
  severity: "low",
  remediation: "Add an aws.ecr.LifecyclePolicy that expires untagged and old images.",
  validate: (resources, _args, report) => {
    const policies = ofKind(resources, TOKENS.lifecyclePolicy);
    for (const repository of ofKind(resources, TOKENS.repository)) {
      const covered = policies.some((policy) =>
        referenced(policy, "repository").some((target) => target.urn === repository.urn),
      );
      if (!covered) report(`repository ${repository.name} keeps every image forever.`, repository.urn);
    }
  },
});

export const containerPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  clusterInsights,
  taskHardening,
  servicePrivate,
  releaseChecks,
  repositoryImmutable,
  repositoryLifecycle,
];
