import * as aws from "../components/lib/aws";
import type * as pulumi from "@pulumi/pulumi";
import { APP_CONTAINERS, APP_PORTS, BACKEND_SECRET_VARIABLES, type BackendSecret } from "../config/app";
import { vpcResolverAddress } from "../config/cidr";
import { deploymentTimeoutMinutes } from "../config/rollout";
import { Cluster } from "../components/compute/cluster";
import { FargateService, type SecretReference } from "../components/compute/fargate-service";
import { ImageRepository } from "../components/compute/image-repository";
import type { Network } from "../components/network/network";
import type { Alerting } from "../components/operations/alerting";
import type { ReleaseChecks } from "../components/release/release-checks";
import { TaskFaultAgent } from "../components/resilience/task-fault-agent";
import { serving, serviceLogs, type StackContext } from "./context";
import type { DataTier } from "./data";
import type { EdgeTier } from "./edge";
import type { featureFlagNames } from "./release";
import type { StackKeys } from "./security";

/** The compute tier: the cluster, the image repositories and the two services. */
export interface ComputeTier {
  cluster: Cluster;
  /** Each service's repository: the stack's own, or on a standby the primary's replicated ones in its region. */
  images: Record<"frontend" | "backend", { repositoryUrl: pulumi.Output<string>; arn: pulumi.Output<string> }>;
  frontend: FargateService;
  backend: FargateService;
  /** The secrets injected into the backend task, by what they hold. */
  backendSecretArns: Record<BackendSecret, pulumi.Output<string>>;
  /** The fault-injection sidecar's role, where task experiments run. */
  faultAgent: TaskFaultAgent | undefined;
}

/** Compute tier: ECS cluster, ECR repositories, and the frontend and backend services behind their load balancers. */
export function buildCompute(
  ctx: StackContext,
  deps: {
    network: Network;
    keys: StackKeys;
    data: DataTier;
    edge: EdgeTier;
    alerting: Alerting;
    flagNames: ReturnType<typeof featureFlagNames>;
    releaseChecks: ReleaseChecks;
  },
): ComputeTier {
  const { config, prefix, account, protect } = ctx;
  const { network, keys, data, edge } = deps;
  const cluster = new Cluster(clusterName(prefix));
  // A standby pulls the primary's images from the repositories the primary keeps in the standby's region (ECR
  // replicates into them, stack/recovery.ts); everyone else has its own.
  const repository = (service: "frontend" | "backend") =>
    keys.images
      ? new ImageRepository(`${prefix}-${service}-images`, {
          repositoryName: repositoryName(config.environment, service),
          kmsKeyArn: keys.images.arn,
          protect,
        })
      : aws.ecr.getRepositoryOutput({ name: repositoryName(config.environment, service) });
  const images = { frontend: repository("frontend"), backend: repository("backend") };

  /**
   * A service's image, task size and task count range, from its stack settings. A standby's services exist at zero
   * tasks until it is recovered: raising auto scaling's minimum then starts them (RegisterScalableTarget moves the
   * current capacity into the new range, https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html).
   */
  const sizeAndImage = (service: keyof typeof images) => {
    const { imageTag, cpu, memory, maxCount } = config.compute[service];
    const desiredCount = serving(ctx) ? config.compute[service].desiredCount : 0;
    const repository = images[service];
    return {
      image: { repositoryUrl: repository.repositoryUrl, repositoryArn: repository.arn, tag: imageTag },
      cpu,
      memory,
      desiredCount,
      maxCount,
    };
  };
  // Where task experiments run (staging), the tasks carry an SSM agent sidecar FIS stresses their CPU through.
  const faultAgent = config.faultInjection.taskAgent
    ? new TaskFaultAgent(`${prefix}-fault-agent`, { account, image: config.faultInjection.agentImage })
    : undefined;
  const common = {
    account,
    cluster: { arn: cluster.arn, name: cluster.clusterName },
    vpcId: network.vpcId,
    subnetIds: network.privateSubnetIds,
    logs: serviceLogs(ctx, keys.logs.arn),
    scaling: config.scaling,
    deployment: { ...config.deployment, timeoutMinutes: deploymentTimeoutMinutes(config.deployment) },
    // A rolled-back release is worth a look in working hours, not a page.
    alarmActions: [deps.alerting.topicArns.warning],
    protect,
    ...(faultAgent
      ? { sidecars: [faultAgent.sidecar], taskPermissions: [faultAgent.taskPermissions(cluster.clusterName)] }
      : {}),
  };

  const frontend = new FargateService(`${prefix}-frontend`, {
    ...common,
    securityGroupId: network.securityGroupIds.frontend,
    ...sizeAndImage("frontend"),
    container: {
      ...APP_CONTAINERS.frontend,
      port: APP_PORTS.frontend,
      environment: {
        // nginx proxies /api/ here; the name resolves, in the VPC only, to the internal load balancer's addresses.
        API_UPSTREAM: `https://${edge.apiHostname}`,
        // Those addresses change: nginx re-resolves the name through the VPC's DNS server (the image contract).
        DNS_RESOLVER: vpcResolverAddress(config.vpc.cidr),
      },
    },
    routing: {
      listenerArn: edge.publicLoadBalancer.httpsListenerArn,
      loadBalancerArnSuffix: edge.publicLoadBalancer.arnSuffix,
      priority: 100,
      // The edge's rotation owns the value; a standby (no edge) sets the primary's current value at every deployment.
      requiredHeader: { ...edge.originVerifyHeader, rotated: edge.cdn !== undefined },
      testTraffic: data.appSecrets.testTraffic,
    },
    // Through its load balancer's own name: origin.<domain> may point at the other region (ADR 24).
    lifecycleHooks: deps.releaseChecks.hooksFor({
      name: `${prefix}-frontend`,
      suite: "site",
      url: `https://${edge.originHostname}`,
      connectTo: edge.publicLoadBalancer.dnsName,
      requiredCredentialSecretArns: [edge.originVerifySecret.secretArn],
      strategy: config.deployment.strategy,
    }),
  });

  const backendSecretArns: Record<BackendSecret, pulumi.Output<string>> = {
    database: data.database.secretArn,
    redis: data.cache.secretArn,
    jwt: data.appSecrets.jwtSecretArn,
  };
  const backend = new FargateService(`${prefix}-backend`, {
    ...common,
    securityGroupId: network.securityGroupIds.backend,
    ...sizeAndImage("backend"),
    // Its tasks connect to both data stores: they start once the database (and its roles) and the cache exist.
    startAfter: [data.database, data.cache],
    container: {
      ...APP_CONTAINERS.backend,
      port: APP_PORTS.backend,
      environment: {
        APP_ENV: config.environment,
        PORT: String(APP_PORTS.backend),
        // The X-Ray segment name; the sampling rule and trace group select on it.
        AWS_XRAY_TRACING_NAME: `${prefix}-backend`,
        // Where the backend reads its feature flags (AppConfig accepts names as identifiers).
        APPCONFIG_APPLICATION: deps.flagNames.application,
        APPCONFIG_ENVIRONMENT: deps.flagNames.environment,
        APPCONFIG_PROFILE: deps.flagNames.profile,
        // Where the backend re-reads its rotating credentials (docs/credentials.md); ARNs, not secrets.
        DATABASE_CONNECTION_ARN: backendSecretArns.database,
        REDIS_CONNECTION_ARN: backendSecretArns.redis,
        JWT_SETTINGS_ARN: backendSecretArns.jwt,
      },
      secrets: Object.fromEntries(
        Object.entries(BACKEND_SECRET_VARIABLES).map(([variable, { secret, key }]): [string, SecretReference] => [
          variable,
          { secretArn: backendSecretArns[secret], jsonKey: key },
        ]),
      ),
    },
    secretsKmsKeyArn: keys.secrets.arn,
    routing: {
      listenerArn: edge.apiLoadBalancer.httpsListenerArn,
      loadBalancerArnSuffix: edge.apiLoadBalancer.arnSuffix,
      priority: 100,
      testTraffic: data.appSecrets.testTraffic,
    },
    lifecycleHooks: deps.releaseChecks.hooksFor({
      name: `${prefix}-backend`,
      suite: "api",
      url: `https://${edge.apiHostname}`,
      strategy: config.deployment.strategy,
    }),
  });
  // The credentials rotate: the backend reads them again at run time (docs/credentials.md).
  data.database.grantRead(backend.taskRole);
  data.cache.grantRead(backend.taskRole);
  data.appSecrets.grantReadJwt(backend.taskRole);

  // The header credentials the services' rules require rotate once the rules exist (ADR 23).
  const headerRotation = {
    account,
    everyDays: config.secrets.headerRotationDays,
    logs: serviceLogs(ctx, keys.logs.arn),
  };
  edge.cdn?.rotateOriginVerify({
    listenerRuleArns: [frontend.listenerRuleArns.production, frontend.listenerRuleArns.test],
    settings: headerRotation,
  });
  data.appSecrets.rotateTestTraffic({
    listenerRuleArns: [frontend.listenerRuleArns.test, backend.listenerRuleArns.test],
    settings: headerRotation,
  });
  return { cluster, images, frontend, backend, backendSecretArns, faultAgent };
}

/** The ECS cluster's name in every stack of `prefix`: a primary and its standby share it, each in its region. */
export function clusterName(prefix: string): string {
  return `${prefix}-ecs`;
}

/** A service's ECR repository name: `cloudweave-<environment>/<service>` (a primary and its standby share it). */
export function repositoryName(environment: string, service: "frontend" | "backend"): string {
  return `cloudweave-${environment}/${service}`;
}
