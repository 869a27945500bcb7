import { allOff, featureFlagsDocument } from "../config/flag-values";
import type { FargateService } from "../components/compute/fargate-service";
import type { Network } from "../components/network/network";
import { FeatureFlags } from "../components/release/feature-flags";
import { ReleaseChecks } from "../components/release/release-checks";
import type { AppSecrets } from "../components/security/app-secrets";
import { serviceLogs, type StackContext } from "./context";
import type { EdgeTier } from "./edge";
import type { StackKeys } from "./security";

/**
 * The AppConfig names the backend asks for its flags by (AppConfig accepts names as identifiers), and the deployment
 * strategy's: what `npm run flags` finds them by.
 */
export function featureFlagNames({ config, prefix }: Pick<StackContext, "config" | "prefix">) {
  return {
    application: prefix,
    environment: config.environment,
    profile: "feature-flags",
    strategy: `${prefix}-flags-gradual`,
  };
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
 * alarms; the backend's task role may read them. Their values are deployed by `npm run flags`, not here.
 */
export function buildFeatureFlags(ctx: StackContext, backend: FargateService): FeatureFlags {
  const { config, prefix, account } = ctx;
  const featureFlags = new FeatureFlags(`${prefix}-flags`, {
    account,
    names: featureFlagNames(ctx),
    // A new environment starts with every flag off; its owners switch them on (feature-flags/<stack>.yaml).
    initialDocument: featureFlagsDocument(allOff()),
    rollout: config.featureFlags.rollout,
    monitorAlarmArns: backend.rollbackAlarmArns,
  });
  featureFlags.grantRead(backend.taskRole);
  return featureFlags;
}
