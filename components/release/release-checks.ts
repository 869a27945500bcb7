import * as aws from "../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import { CHECKED_STAGES, type CheckedStage, type CheckPlan } from "../../functions/release-checks/hook";
import type { SmokeSuiteName } from "../../functions/release-checks/smoke";
import { regionOf, type AwsAccount } from "../lib/aws-account";
import { bundledFunction, type FunctionNetwork } from "../lib/bundled-function";
import type { LogDestination } from "../lib/log-group";
import { serviceTrustPolicy } from "../lib/service-trust";

/** A `{ header, value }` secret the checks send as a header, and the key that encrypts it. */
export interface HeaderCredential {
  secretArn: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
}

/** Arguments of {@link ReleaseChecks}. */
export interface ReleaseChecksArgs {
  /** The account; the roles carry its permissions boundary. */
  account: AwsAccount;
  /** The private subnets and the security group the function runs in (it reaches the load balancers from there). */
  network: FunctionNetwork;
  /** Where the function's logs go. */
  logs: LogDestination;
  /** The credential the load balancers' test rules require: it sends a request to a release's new tasks. */
  testCredential: HeaderCredential;
  /** Credentials some service's rules require of every request (the origin header). @default none */
  requiredCredentials?: HeaderCredential[];
  /** Minutes the checks may keep failing, retried every 30 s, before the release rolls back (config/rollout.ts). */
  budgetMinutes: { test: number; production: number };
}

/** What {@link ReleaseChecks.hooksFor} needs to know about a service. */
export interface CheckedService {
  /** The service, for the function's logs. */
  name: string;
  /** Which suite it answers (functions/release-checks/smoke.ts). */
  suite: SmokeSuiteName;
  /** `https://<the name its load balancer's certificate and rules answer to>`. */
  url: string;
  /** The load balancer's own DNS name, connected to instead of the URL's host (a failover name may point away). */
  connectTo?: pulumi.Input<string>;
  /** Which of the `requiredCredentials` its rules require. @default none */
  requiredCredentialSecretArns?: pulumi.Input<string>[];
  /** Its deployment strategy: canary and linear deployments are also checked before each production step. */
  strategy: "BLUE_GREEN" | "CANARY" | "LINEAR";
}

/** Seconds one invocation may run: the suite's requests run in parallel with 5-second timeouts. */
const FUNCTION_TIMEOUT_SECONDS = 60;

/**
 * The release checks: a Lambda function (functions/release-checks/, bundled with esbuild) that ECS invokes as a
 * deployment lifecycle hook to run the smoke suite against a release's new tasks — through the test listener rule
 * before any production traffic reaches them, before each canary or linear step, and under production traffic after
 * the shift — and whose answer continues the deployment or rolls it back. It runs in the private subnets, may read
 * only the header credentials it sends, and is invoked through a role only ECS may assume.
 * Services take their hooks from {@link ReleaseChecks.hooksFor}.
 */
export class ReleaseChecks extends pulumi.ComponentResource {
  /** The function ECS invokes. */
  public readonly functionArn: pulumi.Output<string>;
  /** The role ECS assumes to invoke it. */
  public readonly invokeRoleArn: pulumi.Output<string>;
  private readonly args: ReleaseChecksArgs;

  constructor(name: string, args: ReleaseChecksArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cloudweave:release:ReleaseChecks", name, {}, opts);
    const child = { parent: this };
    const { account } = args;
    const region = regionOf(this);
    const credentials = [args.testCredential, ...(args.requiredCredentials ?? [])];

    const fn = bundledFunction(
      name,
      {
        account,
        code: "release-checks",
        logGroupName: `/cloudweave/release-checks/${name}`,
        logs: args.logs,
        description: `Runs the smoke suite against a release's new tasks for ECS (${name})`,
        roleDescription: `Runs the release checks of ${name}: reads their header credentials, nothing else`,
        statements: [
          {
            Sid: "ReadTheHeaderCredentials",
            Effect: "Allow",
            Action: "secretsmanager:GetSecretValue",
            Resource: credentials.map((credential) => credential.secretArn),
          },
          {
            // Secrets Manager decrypts the values with their keys on the caller's behalf, and only that way.
            Sid: "DecryptThemThroughSecretsManager",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: credentials.map((credential) => credential.kmsKeyArn),
            Condition: {
              StringEquals: { "kms:ViaService": pulumi.interpolate`secretsmanager.${region}.amazonaws.com` },
            },
          },
        ],
        timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
        network: args.network,
      },
      child,
    );

    // The role a service's hook names: ECS assumes it to invoke this function, and it may do nothing else
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html).
    const invokeRole = new aws.iam.Role(
      `${name}-invoker`,
      {
        description: `Lets ECS invoke the release checks of ${name} during service deployments`,
        assumeRolePolicy: serviceTrustPolicy("ecs.amazonaws.com", account.accountId),
        permissionsBoundary: account.permissionsBoundaryArn,
        tags: { Name: `${name}-invoker` },
      },
      child,
    );
    const invokePolicy = new aws.iam.RolePolicy(
      `${name}-invoker`,
      {
        role: invokeRole.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            { Sid: "InvokeTheReleaseChecks", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: fn.arn },
          ],
        }),
      },
      child,
    );

    this.args = args;
    this.functionArn = fn.arn;
    // Named by a hook only once it may invoke the function: a deployment never meets a role without its policy.
    this.invokeRoleArn = pulumi.all([invokeRole.arn, invokePolicy.id]).apply(([arn]) => arn);
    this.registerOutputs({ functionArn: this.functionArn, invokeRoleArn: this.invokeRoleArn });
  }

  /**
   * The deployment lifecycle hooks a service's deployment configuration lists: one Lambda hook at
   * POST_TEST_TRAFFIC_SHIFT and POST_PRODUCTION_TRAFFIC_SHIFT (and PRE_PRODUCTION_TRAFFIC_SHIFT, which ECS invokes
   * before every step of a canary or linear deployment), passing the service's check plan as `hookDetails`.
   */
  public hooksFor(service: CheckedService): aws.types.input.ecs.ServiceDeploymentConfigurationLifecycleHook[] {
    const plan: pulumi.Input<CheckPlan> = pulumi
      .all([service.connectTo, this.args.testCredential.secretArn, service.requiredCredentialSecretArns ?? []])
      .apply(([connectTo, testCredentialSecretArn, requiredCredentialSecretArns]) => ({
        service: service.name,
        suite: service.suite,
        url: service.url,
        ...(connectTo ? { connectTo } : {}),
        testCredentialSecretArn,
        requiredCredentialSecretArns,
        budgetMinutes: this.args.budgetMinutes,
      }));
    return [
      {
        targetType: "AWS_LAMBDA",
        hookTargetArn: this.functionArn,
        roleArn: this.invokeRoleArn,
        lifecycleStages: checkedStages(service.strategy),
        hookDetails: pulumi.jsonStringify({ plan }),
      },
    ];
  }
}

/**
 * The stages a deployment of `strategy` is checked at, in the order ECS reaches them: those the hook checks
 * (functions/release-checks/hook.ts), but the one before each production step where there is a single step.
 */
export function checkedStages(strategy: CheckedService["strategy"]): CheckedStage[] {
  return (Object.keys(CHECKED_STAGES) as CheckedStage[]).filter(
    (stage) => strategy !== "BLUE_GREEN" || stage !== "PRE_PRODUCTION_TRAFFIC_SHIFT",
  );
}
