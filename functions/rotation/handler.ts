/**
 * The rotation function's entry point, bundled by esbuild into one file (functions/bundle.ts). One bundle serves every
 * kind of credential; each function's environment says which kind it rotates and where (`ROTATION_KIND` and the
 * variables below), so every function has its own role and touches only its own secret.
 *
 * Secrets Manager invokes it with `{ Step, SecretId, ClientRequestToken }`; the deploy-time invocation of the
 * PostgreSQL application function sends `{ "action": "bootstrap" }` instead.
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { headerCredential } from "./header";
import { jwtSigningKey } from "./jwt";
import { alternatingUsers, bootstrap, parseConnection, singleUser, type ApplicationRoles } from "./postgres";
import { ROTATION_KINDS, type RotationKind } from "./kinds";
import { rotationHandler, type RotationEvent, type RotationStrategy } from "./protocol";
import { elastiCacheUser } from "./redis";

type Environment = Record<string, string | undefined>;

function required(environment: Environment, name: string): string {
  const value = environment[name];
  if (!value) throw new Error(`the function's environment has no ${name}`);
  return value;
}

function kindOf(environment: Environment): RotationKind {
  const kind = environment.ROTATION_KIND as RotationKind;
  if (!ROTATION_KINDS.includes(kind)) throw new Error(`ROTATION_KIND is ${kind}; one of ${ROTATION_KINDS.join(", ")}`);
  return kind;
}

function applicationRoles(environment: Environment): ApplicationRoles {
  return {
    owner: required(environment, "APP_OWNER_ROLE"),
    schema: required(environment, "APP_SCHEMA"),
    user: required(environment, "APP_USER"),
  };
}

/** Builds the strategy a function's environment asks for. */
export function strategyFor(environment: Environment, secrets: SecretsManagerClient): RotationStrategy<unknown> {
  const kind = kindOf(environment);
  // The master's current value and, while its own rotation is under way, its pending one.
  const masterCandidates = async (secretId: string) => {
    const read = async (VersionStage: string) => {
      try {
        const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage }));
        return [parseConnection(SecretString ?? "")];
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return [];
        throw error;
      }
    };
    return [...(await read("AWSCURRENT")), ...(await read("AWSPENDING"))];
  };
  switch (kind) {
    case "postgres-application":
      return alternatingUsers({
        roles: applicationRoles(environment),
        master: () => masterCandidates(required(environment, "MASTER_SECRET_ARN")),
        tls: "verify-full",
      });
    case "postgres-master":
      return singleUser({
        tls: "verify-full",
        instance: {
          host: required(environment, "DATABASE_HOST"),
          port: Number(required(environment, "DATABASE_PORT")),
        },
      });
    case "redis-user":
      return elastiCacheUser({
        elasticache: new ElastiCacheClient({}),
        userId: required(environment, "ELASTICACHE_USER_ID"),
      });
    case "jwt-key":
      return jwtSigningKey({ bytes: Number(required(environment, "JWT_KEY_BYTES")) });
    case "header":
      return headerCredential({
        elb: new ElasticLoadBalancingV2Client({}),
        listenerRuleArns: required(environment, "LISTENER_RULE_ARNS").split(","),
        ...(environment.DISTRIBUTION_ID
          ? {
              cloudfront: {
                // CloudFront's API is global, served from us-east-1.
                client: new CloudFrontClient({ region: "us-east-1" }),
                distributionId: environment.DISTRIBUTION_ID,
                originId: required(environment, "ORIGIN_ID"),
              },
            }
          : {}),
      });
  }
}

/** The deploy-time event of the PostgreSQL application function. */
interface BootstrapEvent {
  action: "bootstrap";
}

/** What the Lambda runtime passes besides the event (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html). */
interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

/** Time kept back from the function's timeout to report a failure rather than be cut off. */
const REPORT_MARGIN_MS = 15_000;

export async function handler(event: RotationEvent | BootstrapEvent, context?: LambdaContext): Promise<unknown> {
  const environment = process.env;
  const secrets = new SecretsManagerClient({});
  if ("action" in event) {
    if (event.action !== "bootstrap" || kindOf(environment) !== "postgres-application") {
      throw new Error(`this function does not handle ${JSON.stringify(event)}`);
    }
    const read = async (secretId: string) => {
      const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
      return parseConnection(SecretString ?? "");
    };
    const result = await bootstrap({
      roles: applicationRoles(environment),
      master: await read(required(environment, "MASTER_SECRET_ARN")),
      application: await read(required(environment, "APP_SECRET_ARN")),
      tls: "verify-full",
      // Right after a promotion the instance reboots: wait for it as long as the function may run.
      deadline: Date.now() + (context ? context.getRemainingTimeInMillis() - REPORT_MARGIN_MS : 0),
    });
    console.log(JSON.stringify({ bootstrap: result }));
    return result;
  }
  console.log(JSON.stringify({ step: event.Step, secret: event.SecretId, token: event.ClientRequestToken }));
  await rotationHandler(secrets, strategyFor(environment, secrets))(event);
  return undefined;
}
