import { FEATURE_FLAGS, type FeatureFlag } from "../config/app";
import type { FargateService } from "../components/compute/fargate-service";
import { FeatureFlags } from "../components/release/feature-flags";
import type { StackContext } from "./context";

/** The AppConfig names the backend asks for its flags by (AppConfig accepts names as identifiers). */
export function featureFlagNames({ config, prefix }: StackContext) {
  return { application: prefix, environment: config.environment, profile: "feature-flags" };
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
