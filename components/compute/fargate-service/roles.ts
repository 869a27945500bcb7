import * as aws from "../../lib/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsAccount } from "../../lib/aws-account";
import { serviceTrustPolicy } from "../../lib/service-trust";

/** What the tasks' execution role may do: pull the image, write the logs, read the injected secrets. */
export interface ExecutionNeeds {
  /** The ECR repository of the service's image. */
  repositoryArn: pulumi.Input<string>;
  /** The service's log group. */
  logGroupArn: pulumi.Input<string>;
  /** Secrets injected into the container (each listed once, however many variables read it). */
  secretArns: pulumi.Input<string>[];
  /** The key of those secrets; decryption is allowed through Secrets Manager in `region` only. */
  secretsKmsKeyArn?: pulumi.Input<string>;
  /** The region the tasks run in. */
  region: pulumi.Input<string>;
}

/** The execution role's policy statements. */
export function executionStatements(needs: ExecutionNeeds): unknown[] {
  const statements: unknown[] = [
    // GetAuthorizationToken has no resource-level permissions; the pulls themselves are scoped to the repository.
    { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Sid: "PullServiceImage",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
      Resource: needs.repositoryArn,
    },
    {
      Sid: "WriteServiceLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: pulumi.interpolate`${needs.logGroupArn}:log-stream:*`,
    },
  ];
  if (needs.secretArns.length > 0) {
    statements.push({
      Sid: "ReadServiceSecrets",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      // Several variables may read keys of the same secret; each secret is listed once.
      Resource: pulumi.all(needs.secretArns).apply((arns) => [...new Set(arns)].sort()),
    });
    if (needs.secretsKmsKeyArn) {
      statements.push({
        Sid: "DecryptServiceSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: needs.secretsKmsKeyArn,
        Condition: {
          StringEquals: { "kms:ViaService": pulumi.interpolate`secretsmanager.${needs.region}.amazonaws.com` },
        },
      });
    }
  }
  return statements;
}

/** X-Ray has no resource-level permissions for these actions: the application sends its traces with them. */
export const SEND_TRACES_STATEMENT = {
  Sid: "SendTraces",
  Effect: "Allow",
  Action: [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
  ],
  Resource: "*",
};

/** A role only ECS tasks of this account (and `sourceArn`) can assume, with one inline policy. */
export function taskRole(
  parent: pulumi.Resource,
  name: string,
  account: AwsAccount,
  spec: { description: string; statements: unknown[]; sourceArn: pulumi.Input<string> },
): aws.iam.Role {
  const role = new aws.iam.Role(
    name,
    {
      description: spec.description,
      permissionsBoundary: account.permissionsBoundaryArn,
      assumeRolePolicy: serviceTrustPolicy("ecs-tasks.amazonaws.com", account.accountId, spec.sourceArn),
      tags: { Name: name },
    },
    { parent },
  );
  new aws.iam.RolePolicy(
    name,
    { role: role.name, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: spec.statements }) },
    { parent },
  );
  return role;
}
