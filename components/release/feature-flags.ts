import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { regionOf, type AwsAccount } from "../lib/aws-account";
import { serviceTrustPolicy } from "../lib/service-trust";

/** Arguments of {@link FeatureFlags}. */
export interface FeatureFlagsArgs {
  /** The account (the reader's resource ARN, the monitor role's trust condition). */
  account: AwsAccount;
  /**
   * The AppConfig application, environment and profile names the application asks for, and the deployment
   * strategy's name: what `npm run flags` finds them by.
   */
  names: { application: string; environment: string; profile: string; strategy: string };
  /**
   * The content of the first hosted version (an `AWS.AppConfig.FeatureFlags` document), deployed when the
   * environment is created. Later versions are the flag owners' (`npm run flags`): Pulumi ignores them.
   */
  initialDocument: string;
  /**
   * How a change of flags reaches the fleet: the share of targets gained per interval until everyone has it over
   * `durationMinutes`, then `bakeMinutes` watching the monitors before the deployment completes.
   */
  rollout: { durationMinutes: number; growthPercent: number; bakeMinutes: number };
  /** Alarms that roll a flag deployment back (the backend's rollback alarms). */
  monitorAlarmArns: pulumi.Input<string>[];
}

/**
 * Feature flags for gradual rollouts: an AWS AppConfig application with an environment per stack, a feature-flag
 * configuration profile, a gradual deployment strategy, and alarm monitors that roll a bad flag change back. The
 * values are not the infrastructure's: Pulumi creates and deploys the first hosted version only, and never puts it
 * back (`ignoreChanges`) once the flags' owners deploy newer ones with `npm run flags` (ADR 25). Readers are granted
 * access with {@link FeatureFlags.grantRead}.
 */
export class FeatureFlags extends pulumi.ComponentResource {
  public readonly applicationId: pulumi.Output<string>;
  public readonly environmentId: pulumi.Output<string>;
  public readonly profileId: pulumi.Output<string>;
  /** The profile in this environment: what a reader may fetch. */
  public readonly profileArn: pulumi.Output<string>;
  private readonly baseName: string;

  constructor(name: string, args: FeatureFlagsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:release:FeatureFlags", name, {}, opts);
    const child = { parent: this };
    const { accountId, partition } = args.account;
    const region = regionOf(this);

    const application = new aws.appconfig.Application(
      `${name}-application`,
      { name: args.names.application, description: "CloudWeave backend feature flags" },
      child,
    );
    const monitorRole = new aws.iam.Role(
      `${name}-monitors`,
      {
        permissionsBoundary: args.account.permissionsBoundaryArn,
        description: `AppConfig reads the alarms that roll back flag changes of ${name}`,
        assumeRolePolicy: serviceTrustPolicy("appconfig.amazonaws.com", accountId),
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-monitors`,
      {
        role: monitorRole.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "cloudwatch:DescribeAlarms", Resource: args.monitorAlarmArns }],
        }),
      },
      child,
    );
    const environment = new aws.appconfig.Environment(
      `${name}-environment`,
      {
        applicationId: application.id,
        name: args.names.environment,
        description: `The ${args.names.environment} stack`,
        monitors: args.monitorAlarmArns.map((alarmArn) => ({ alarmArn, alarmRoleArn: monitorRole.arn })),
      },
      child,
    );
    const profile = new aws.appconfig.ConfigurationProfile(
      `${name}-profile`,
      {
        applicationId: application.id,
        name: args.names.profile,
        type: "AWS.AppConfig.FeatureFlags",
        locationUri: "hosted",
        description: "Backend feature flags",
      },
      child,
    );
    const version = new aws.appconfig.HostedConfigurationVersion(
      `${name}-flags`,
      {
        applicationId: application.id,
        configurationProfileId: profile.configurationProfileId,
        contentType: "application/json",
        description: "The first flag values of this environment; npm run flags deploys the next ones",
        content: args.initialDocument,
      },
      // Every input replaces a hosted version (terraform-provider-aws internal/service/appconfig/
      // hosted_configuration_version.go: ForceNew), which would deploy it over the owners' values.
      { ...child, ignoreChanges: ["content", "description"] },
    );
    const strategy = new aws.appconfig.DeploymentStrategy(
      `${name}-gradual`,
      {
        // A fixed name `npm run flags` finds it by. Name is create-only (terraform-provider-aws
        // internal/service/appconfig/deployment_strategy.go: ForceNew): a stack named by Pulumi before gets a new
        // strategy once, which the first deployment, ignoring its strategy, does not follow.
        name: args.names.strategy,
        description: `${args.rollout.growthPercent}% more targets at a time over ${args.rollout.durationMinutes} minutes`,
        deploymentDurationInMinutes: args.rollout.durationMinutes,
        growthType: "LINEAR",
        growthFactor: args.rollout.growthPercent,
        finalBakeTimeInMinutes: args.rollout.bakeMinutes,
        replicateTo: "NONE",
      },
      child,
    );
    new aws.appconfig.Deployment(
      `${name}-deployment`,
      {
        applicationId: application.id,
        environmentId: environment.environmentId,
        configurationProfileId: profile.configurationProfileId,
        configurationVersion: version.versionNumber.apply(String),
        deploymentStrategyId: strategy.id,
        description: "The first flag values of this environment",
      },
      // The first deployment only: a deployment's inputs all replace it (terraform-provider-aws
      // internal/service/appconfig/deployment.go: ForceNew), and a replacement would deploy the first values again.
      { ...child, ignoreChanges: ["configurationVersion", "deploymentStrategyId", "description"] },
    );

    this.baseName = name;
    this.profileArn = pulumi.interpolate`arn:${partition}:appconfig:${region}:${accountId}:application/${application.id}/environment/${environment.environmentId}/configuration/${profile.configurationProfileId}`;
    this.applicationId = application.id;
    this.environmentId = environment.environmentId;
    this.profileId = profile.configurationProfileId;
    this.registerOutputs({
      applicationId: this.applicationId,
      environmentId: this.environmentId,
      profileId: this.profileId,
    });
  }

  /**
   * Lets `role` (an application's task role) read the flags: this profile in this environment, nothing else.
   * @param id distinguishes the grants of several readers; the policy is named `<component>-<id>`.
   */
  public grantRead(role: { name: pulumi.Input<string> }, id = "reader"): aws.iam.RolePolicy {
    return new aws.iam.RolePolicy(
      `${this.baseName}-${id}`,
      {
        role: role.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "ReadFeatureFlags",
              Effect: "Allow",
              Action: ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"],
              Resource: this.profileArn,
            },
          ],
        }),
      },
      { parent: this },
    );
  }
}
