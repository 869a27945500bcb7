import { FEATURE_FLAGS, type FeatureFlag } from "../config/app";
import type { FargateService } from "../components/compute/fargate-service";
import type { Network } from "../components/network/network";
import { FeatureFlags } from "../components/release/feature-flags";
import { ReleaseChecks } from "../components/release/release-checks";
import type { AppSecrets } from "../components/security/app-secrets";
import { serviceLogs, type StackContext } from "./context";
import type { EdgeTier } from "./edge";
import type { StackKeys } from "./security";

/** The AppConfig names the backend asks for its flags by (AppConfig accepts names as identifiers). */
export function featureFlagNames({ config, prefix }: StackContext) {
  return { application: prefix, environment: config.environment, profile: "feature-flags" };
}

/**
 * The release checks every deployment of both services runs (ECS lifecycle hooks): the smoke suite against the new
 * tasks through the test rules, before each canary or linear step, and under production traffic.
 */
export function buildReleaseChecks(
  ctx: StackContext,
  deps: { network: Network; keys: StackKeys; appSecrets: AppSecrets; edge: EdgeTier },
): ReleaseChecks {
  const { config, prefix, account } = ctx;
  return new ReleaseChecks(`${prefix}-release-checks`, {
    account,
    network: { subnetIds: deps.network.privateSubnetIds, securityGroupId: deps.network.securityGroupIds.releaseChecks },
    logs: serviceLogs(ctx, deps.keys.logs.arn),
    testCredential: { secretArn: deps.appSecrets.testTrafficSecretArn, kmsKeyArn: deps.keys.secrets.arn },
    requiredCredentials: [deps.edge.originVerifySecret],
    budgetMinutes: {
      test: config.deployment.checks.testMinutes,
      production: config.deployment.checks.productionMinutes,
    },
  });
}

/**
 * Release tier: feature flags in AppConfig, rolled out gradually and rolled back on the backend's deployment
 * alarms; the backend's task role may read them.
 */
export function buildFeatureFlags(ctx: StackContext, backend: FargateService): FeatureFlags {
  const { config, prefix, account } = ctx;
  const featureFlags = new FeatureFlags(`${prefix}-flags`, {
    account,
    names: featureFlagNames(ctx),
    flags: (Object.keys(FEATURE_FLAGS) as FeatureFlag[]).map((flag) => ({
      name: flag,
      description: FEATURE_FLAGS[flag],
      enabled: config.featureFlags.enabled.includes(flag),
    })),
    rollout: config.featureFlags.rollout,
    monitorAlarmArns: backend.rollbackAlarmArns,
  });
  featureFlags.grantRead(backend.taskRole);
  return featureFlags;
}
