import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { functionBundle, LAMBDA_RUNTIME } from "../../functions/bundle";
import type { AwsAccount } from "./aws-account";
import { physicalName } from "./aws-names";
import { MANAGE_NETWORK_INTERFACES } from "./lambda-vpc";
import { encryptedLogGroup, type LogDestination } from "./log-group";
import { serviceTrustPolicy } from "./service-trust";

/** One statement of an IAM policy document. */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: pulumi.Input<string> | pulumi.Input<string>[];
  Condition?: Record<string, Record<string, pulumi.Input<string> | pulumi.Input<string>[]>>;
}

/** The private subnets and the security group a function runs in. */
export interface FunctionNetwork {
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
}

/** What {@link bundledFunction} builds a function from. */
export interface BundledFunctionArgs {
  /** The account; the execution role carries its permissions boundary. */
  account: AwsAccount;
  /** The function's code: `functions/<code>/handler.ts`, bundled with esbuild (functions/bundle.ts). */
  code: string;
  /** The log group's name (`/cloudweave/<what>/<name>`). */
  logGroupName: string;
  /** The logs key and retention. */
  logs: LogDestination;
  /** The function's description. */
  description: pulumi.Input<string>;
  /** The execution role's description: what the function may touch. */
  roleDescription: string;
  /** What the function may do beyond writing its logs (and, in a VPC, managing its network interfaces). */
  statements: pulumi.Input<PolicyStatement>[];
  /** Seconds one invocation may run (Lambda allows 1-900). */
  timeoutSeconds: number;
  /** Its environment variables. @default none */
  environment?: Record<string, pulumi.Input<string>>;
  /** Runs in these private subnets with this group (to reach a data store or a load balancer). @default outside any VPC */
  network?: FunctionNetwork;
}

/** Lambda's limit on a function's timeout (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
const MAX_TIMEOUT_SECONDS = 900;

/**
 * One of the project's own Lambda functions, as every component that runs one needs it: an encrypted log group it
 * writes JSON to, an execution role with the permissions boundary and only `statements` (plus its logs, and its
 * network interfaces in a VPC), and the function itself — the bundled TypeScript on arm64, named after `name`. Children
 * are created with `opts` (the calling component as parent); the function waits for its role's policy, so its first
 * invocation never meets a role without permissions. How it is invoked is the caller's: a resource permission or a
 * role.
 */
export function bundledFunction(
  name: string,
  args: BundledFunctionArgs,
  opts: pulumi.CustomResourceOptions,
): aws.lambda.Function {
  if (args.timeoutSeconds < 1 || args.timeoutSeconds > MAX_TIMEOUT_SECONDS)
    throw new Error(`${name}: timeoutSeconds ${args.timeoutSeconds} is not 1-${MAX_TIMEOUT_SECONDS}`);
  const { account, network } = args;

  const logGroup = encryptedLogGroup(`${name}-logs`, args.logGroupName, args.logs, opts);
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      description: args.roleDescription,
      assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", account.accountId),
      permissionsBoundary: account.permissionsBoundaryArn,
      tags: { Name: `${name}-role` },
    },
    opts,
  );
  const statements: pulumi.Input<PolicyStatement>[] = [
    ...args.statements,
    {
      Sid: "WriteItsLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: pulumi.interpolate`${logGroup.arn}:*`,
    },
    ...(network ? [MANAGE_NETWORK_INTERFACES] : []),
  ];
  const policy = new aws.iam.RolePolicy(
    `${name}-policy`,
    { role: role.name, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements }) },
    opts,
  );

  const bundle = functionBundle(args.code);
  return new aws.lambda.Function(
    `${name}-function`,
    {
      // Named, not generated: the components' names run long, and a generated one must leave 8 characters spare.
      name: physicalName("aws:lambda/function:Function", name),
      description: args.description,
      runtime: LAMBDA_RUNTIME,
      // The bundles are plain JavaScript (pg and ioredis included): the cheaper Graviton architecture runs them as is.
      architectures: ["arm64"],
      handler: bundle.handler,
      code: new pulumi.asset.AssetArchive({ [bundle.fileName]: new pulumi.asset.FileAsset(bundle.path) }),
      role: role.arn,
      timeout: args.timeoutSeconds,
      memorySize: 256,
      ...(args.environment ? { environment: { variables: args.environment } } : {}),
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      ...(network ? { vpcConfig: { subnetIds: network.subnetIds, securityGroupIds: [network.securityGroupId] } } : {}),
      tags: { Name: `${name}-function` },
    },
    { ...opts, dependsOn: [policy] },
  );
}
