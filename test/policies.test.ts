import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "../components/lib/aws";
import type { EnforcementLevel, ResourceValidationPolicy } from "@pulumi/policy";
import { expect } from "chai";
import { PROJECT_ROOT, runProgram, type StackRun } from "../offline/harness";
import type { DeclaredResource } from "../offline/mocks";
import {
  checkStack,
  enforcementLevelOf,
  evaluatePolicies,
  readPackConfig,
  settingsOf,
  type PolicyReport,
} from "../offline/policies";
import { plan } from "../offline/plan";
import { policies } from "../policy-pack/policies";
import { activeMutant, revealed, stackRun } from "./helpers";

type Stack = "staging" | "production" | "production-dr";
type Inputs = Record<string, unknown>;
type Change = (resources: DeclaredResource[]) => DeclaredResource[];

// The policy SDK's unknown-value machinery (internal to @pulumi/policy: no typings).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T extends object>(value: T): T;
  unknownStringValue: string;
  UnknownValueError: new (...args: unknown[]) => Error;
};

/** A copy of a run whose records may be changed: secrets revealed, inputs deep-copied. */
function copyOf(run: StackRun): DeclaredResource[] {
  return run.resources.map((resource) => ({
    ...resource,
    inputs: structuredClone(revealed(resource.inputs)) as Inputs,
    propertyDependencies: structuredClone(resource.propertyDependencies) as Record<string, string[]>,
  }));
}

/** Changes the inputs of the resources of `type` whose name matches. */
function edit(
  type: string,
  name: RegExp,
  change: (inputs: Inputs, resource: { propertyDependencies: Record<string, string[]> }) => void,
): Change {
  return (resources) => {
    const targets = resources.filter((resource) => resource.type === type && name.test(resource.name));
    if (targets.length === 0) throw new Error(`no ${type} named like ${String(name)}`);
    for (const target of targets) {
      change(target.inputs, target as unknown as { propertyDependencies: Record<string, string[]> });
    }
    return resources;
  };
}

/** Changes the container definitions of the task definitions whose name matches. */
function editContainers(name: RegExp, change: (containers: Inputs[]) => void): Change {
  return edit("aws:ecs/taskDefinition:TaskDefinition", name, (i) => {
    const containers = JSON.parse(i.containerDefinitions as string) as Inputs[];
    change(containers);
    i.containerDefinitions = JSON.stringify(containers);
  });
}

/** Removes the resources of `type` whose name matches (as if the program no longer declared them). */
function drop(type: string, name: RegExp = /./): Change {
  return (resources) => {
    const kept = resources.filter((resource) => !(resource.type === type && name.test(resource.name)));
    if (kept.length === resources.length) throw new Error(`no ${type} named like ${String(name)}`);
    return kept;
  };
}

function urnOf(resources: DeclaredResource[], type: string, name: RegExp): string {
  const found = resources.find((resource) => resource.type === type && name.test(resource.name));
  if (!found) throw new Error(`no ${type} named like ${String(name)}`);
  return found.urn;
}

const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const RDS = "aws:rds/instance:Instance";
const LB = "aws:lb/loadBalancer:LoadBalancer";
const LISTENER = "aws:lb/listener:Listener";
const CDN = "aws:cloudfront/distribution:Distribution";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";

interface FailingCase {
  readonly policy: string;
  readonly when: string;
  readonly stack: Stack;
  readonly change: Change;
  /** Part of the message the user must see. */
  readonly says: string;
  readonly level?: EnforcementLevel;
}

/** For every policy, a real resource of a real stack weakened so that the policy must fail. */
const FAILING: readonly FailingCase[] = [
  {
    policy: "rds-storage-encrypted",
    when: "storage encryption is off",
    stack: "production",
    change: edit(RDS, /postgres/, (i) => (i.storageEncrypted = false)),
    says: "storageEncrypted must be true",
  },
  {
    policy: "rds-performance-insights-encrypted",
    when: "Performance Insights has no customer key",
    stack: "staging",
    change: edit(RDS, /postgres/, (i) => delete i.performanceInsightsKmsKeyId),
    says: "performanceInsightsKmsKeyId",
  },
  {
    policy: "elasticache-encrypted",
    when: "Redis accepts plaintext clients",
    stack: "production",
    change: edit("aws:elasticache/replicationGroup:ReplicationGroup", /redis/, (i) => {
      i.transitEncryptionEnabled = false;
    }),
    says: "transitEncryptionEnabled must be true",
  },
  {
    policy: "elasticache-encrypted",
    when: "Redis has neither an auth token nor an RBAC user group",
    stack: "staging",
    change: edit("aws:elasticache/replicationGroup:ReplicationGroup", /redis/, (i) => {
      delete i.authToken;
      delete i.userGroupIds;
    }),
    says: "authToken",
  },
  {
    policy: "log-group-encrypted",
    when: "a log group has no key",
    stack: "staging",
    change: edit("aws:cloudwatch/logGroup:LogGroup", /backend-logs/, (i) => delete i.kmsKeyId),
    says: "kmsKeyId",
  },
  {
    policy: "ecr-repository-encrypted",
    when: "a repository uses AES-256",
    stack: "production",
    change: edit("aws:ecr/repository:Repository", /frontend/, (i) => {
      i.encryptionConfigurations = [{ encryptionType: "AES256" }];
    }),
    says: "KMS",
  },
  {
    policy: "secret-customer-key",
    when: "a secret uses the AWS-managed key",
    stack: "production",
    change: edit("aws:secretsmanager/secret:Secret", /jwt/, (i) => delete i.kmsKeyId),
    says: "kmsKeyId",
  },
  {
    policy: "kms-key-rotation",
    when: "a key does not rotate",
    stack: "staging",
    change: edit("aws:kms/key:Key", /database-key/, (i) => (i.enableKeyRotation = false)),
    says: "enableKeyRotation",
  },
  {
    policy: "s3-bucket-encrypted",
    when: "a bucket loses its default encryption",
    stack: "production",
    change: drop(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      /edge-assets/,
    ),
    says: "has no default encryption",
  },
  {
    policy: "sg-public-ingress-web-only",
    when: "the database group is opened to the internet",
    stack: "production",
    change: edit(INGRESS, /database-from-backend/, (i, rule) => {
      delete i.referencedSecurityGroupId;
      delete rule.propertyDependencies.referencedSecurityGroupId;
      i.cidrIpv4 = "0.0.0.0/0";
    }),
    says: "admits tcp/5432 from 0.0.0.0/0",
  },
  {
    policy: "sg-public-ingress-web-only",
    when: "the public load balancer opens SSH",
    stack: "staging",
    change: edit(INGRESS, /alb-from-prefix-list/, (i) => {
      i.cidrIpv4 = "0.0.0.0/0";
      i.fromPort = 22;
      i.toPort = 22;
    }),
    says: "tcp/22",
  },
  {
    policy: "data-tier-ingress-from-app-tier",
    when: "the database admits the frontend's group",
    stack: "production",
    change: (resources) =>
      edit(INGRESS, /database-from-backend/, (_i, rule) => {
        rule.propertyDependencies.referencedSecurityGroupId = [urnOf(resources, SG, /-frontend$/)];
      })(resources),
    says: "only the backend tasks' group and rotation functions may connect",
  },
  {
    policy: "data-tier-ingress-from-app-tier",
    when: "Secrets Manager may not invoke the rotation tier's functions",
    stack: "production",
    change: edit("aws:lambda/permission:Permission", /postgres|redis/, (i) => {
      i.principal = "events.amazonaws.com";
    }),
    says: "lets group cloudweave-production-rotation into data-tier group",
  },
  {
    policy: "data-tier-ingress-from-app-tier",
    when: "the cache admits a CIDR",
    stack: "staging",
    change: edit(INGRESS, /cache-from-backend/, (i, rule) => {
      delete rule.propertyDependencies.referencedSecurityGroupId;
      delete i.referencedSecurityGroupId;
      i.cidrIpv4 = "10.1.0.0/16";
    }),
    says: "10.1.0.0/16",
  },
  {
    policy: "sg-rule-descriptions",
    when: "a rule has no description",
    stack: "staging",
    change: edit(EGRESS, /backend-to-database/, (i) => (i.description = " ")),
    says: "description",
  },
  {
    policy: "sg-no-unrestricted-egress",
    when: "the backend may send anything anywhere",
    stack: "production",
    change: edit(EGRESS, /backend-to-anywhere-443/, (i) => (i.ipProtocol = "-1")),
    says: "all traffic out to anywhere",
  },
  {
    policy: "default-security-group-empty",
    when: "the VPC's default group is left unmanaged",
    stack: "staging",
    change: drop("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"),
    says: "leaves its default security group",
  },
  {
    policy: "rds-not-public",
    when: "the database is publicly accessible",
    stack: "staging",
    change: edit(RDS, /postgres/, (i) => (i.publiclyAccessible = true)),
    says: "publiclyAccessible must be false",
  },
  {
    policy: "rds-backup-retention",
    when: "production keeps 3 days of backups",
    stack: "production",
    change: edit(RDS, /postgres/, (i) => (i.backupRetentionPeriod = 3)),
    says: "keep at least 7",
  },
  {
    policy: "rds-deletion-protection",
    when: "production's database can be deleted",
    stack: "production",
    change: edit(RDS, /postgres/, (i) => (i.deletionProtection = false)),
    says: "deletionProtection must be true",
  },
  {
    policy: "rds-multi-az",
    when: "production's database runs in one AZ",
    stack: "production",
    change: edit(RDS, /postgres/, (i) => (i.multiAz = false)),
    says: "multiAz must be true",
  },
  {
    policy: "rds-multi-az",
    when: "staging's database runs in one AZ (advisory there)",
    stack: "staging",
    change: (resources) => resources,
    says: "multiAz must be true",
    level: "advisory",
  },
  {
    policy: "rds-iam-authentication",
    when: "IAM authentication is off",
    stack: "staging",
    change: edit(RDS, /postgres/, (i) => (i.iamDatabaseAuthenticationEnabled = false)),
    says: "iamDatabaseAuthenticationEnabled",
  },
  {
    policy: "rds-auto-minor-version-upgrade",
    when: "minor upgrades are off",
    stack: "staging",
    change: edit(RDS, /postgres/, (i) => (i.autoMinorVersionUpgrade = false)),
    says: "autoMinorVersionUpgrade",
  },
  {
    policy: "rds-log-exports",
    when: "PostgreSQL logs stay on the instance",
    stack: "production",
    change: edit(RDS, /postgres/, (i) => (i.enabledCloudwatchLogsExports = [])),
    says: "postgresql",
  },
  {
    policy: "rds-force-ssl",
    when: "the parameter group accepts plaintext",
    stack: "production",
    change: edit("aws:rds/parameterGroup:ParameterGroup", /postgres/, (i) => {
      i.parameters = (i.parameters as Inputs[]).map((p) => (p.name === "rds.force_ssl" ? { ...p, value: "0" } : p));
    }),
    says: "rds.force_ssl",
  },
  {
    policy: "elasticache-failover-and-snapshots",
    when: "production's cache keeps no snapshots",
    stack: "production",
    change: edit("aws:elasticache/replicationGroup:ReplicationGroup", /redis/, (i) => (i.snapshotRetentionLimit = 0)),
    says: "snapshotRetentionLimit",
  },
  {
    policy: "s3-public-access-blocked",
    when: "a bucket allows public policies",
    stack: "staging",
    change: edit("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", /edge-assets/, (i) => {
      i.blockPublicPolicy = false;
    }),
    says: "blockPublicPolicy",
  },
  {
    policy: "s3-versioning",
    when: "versioning is suspended",
    stack: "production",
    change: edit("aws:s3/bucketVersioning:BucketVersioning", /lb-logs/, (i) => {
      i.versioningConfiguration = { status: "Suspended" };
    }),
    says: "is not versioned",
  },
  {
    policy: "s3-acls-disabled",
    when: "a bucket honours ACLs",
    stack: "staging",
    change: edit("aws:s3/bucketOwnershipControls:BucketOwnershipControls", /cdn-logs/, (i) => {
      i.rule = { objectOwnership: "ObjectWriter" };
    }),
    says: "ACLs",
  },
  {
    policy: "s3-tls-only",
    when: "a bucket policy loses its TLS-only statement",
    stack: "production",
    change: edit(BUCKET_POLICY, /edge-assets/, (i) => {
      const document = JSON.parse(i.policy as string) as { Statement: Inputs[] };
      document.Statement = document.Statement.filter((statement) => statement.Effect !== "Deny");
      i.policy = JSON.stringify(document);
    }),
    says: "plain-HTTP",
  },
  {
    policy: "s3-access-logging",
    when: "the distribution in front of the assets bucket stops logging",
    stack: "staging",
    change: drop("aws:cloudwatch/logDeliverySource:LogDeliverySource"),
    says: "edge-assets records no access",
    level: "advisory",
  },
  {
    policy: "s3-policy-not-public",
    when: "a bucket policy allows everyone",
    stack: "staging",
    change: edit(BUCKET_POLICY, /edge-assets/, (i) => {
      const document = JSON.parse(i.policy as string) as { Statement: Inputs[] };
      document.Statement.push({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" });
      i.policy = JSON.stringify(document);
    }),
    says: "allows everyone",
  },
  {
    policy: "log-group-retention",
    when: "production keeps service logs 14 days",
    stack: "production",
    change: edit("aws:cloudwatch/logGroup:LogGroup", /frontend-logs/, (i) => (i.retentionInDays = 14)),
    says: "keep at least 365",
  },
  {
    policy: "log-group-retention",
    when: "a log group never expires",
    stack: "staging",
    change: edit("aws:cloudwatch/logGroup:LogGroup", /flow-logs/, (i) => delete i.retentionInDays),
    says: "retentionInDays must be set",
  },
  {
    policy: "vpc-flow-logs",
    when: "the VPC's flow log is gone",
    stack: "production",
    change: drop("aws:ec2/flowLog:FlowLog"),
    says: "has no flow logs",
  },
  {
    policy: "secret-rotation",
    when: "the JWT signing key never rotates",
    stack: "production",
    change: drop("aws:secretsmanager/secretRotation:SecretRotation", /jwt-rotation/),
    says: "secret cloudweave-production-app-jwt-secret never rotates",
  },
  {
    policy: "secret-rotation",
    when: "a standby's secret has neither a schedule nor a prepared rotation function",
    stack: "production-dr",
    change: drop("aws:lambda/permission:Permission", /redis-rotation/),
    says: "never rotates and no rotation function is prepared for it",
  },
  {
    policy: "secret-rotation",
    when: "a secret rotates less often than Security Hub's 90 days",
    stack: "production",
    change: edit("aws:secretsmanager/secretRotation:SecretRotation", /redis-rotation/, (i) => {
      i.rotationRules = { scheduleExpression: "rate(120 days)" };
    }),
    says: "rotates every 120 days; at most 90",
  },
  {
    policy: "secret-rotation",
    when: "a rotation's schedule has no fixed period",
    stack: "staging",
    change: edit("aws:secretsmanager/secretRotation:SecretRotation", /master-rotation/, (i) => {
      i.rotationRules = { scheduleExpression: "cron(0 4 1 * ? *)" };
    }),
    says: "has no fixed period",
  },
  {
    policy: "kms-key-policy-no-wildcard",
    when: "a key policy admits everyone",
    stack: "staging",
    change: edit("aws:kms/key:Key", /secrets-key/, (i) => {
      const document = JSON.parse(i.policy as string) as { Statement: Inputs[] };
      document.Statement.push({ Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*" });
      i.policy = JSON.stringify(document);
    }),
    says: "allows any principal",
  },
  {
    policy: "alb-drop-invalid-headers",
    when: "invalid headers pass",
    stack: "staging",
    change: edit(LB, /public-alb/, (i) => (i.dropInvalidHeaderFields = false)),
    says: "dropInvalidHeaderFields",
  },
  {
    policy: "alb-desync-mitigation",
    when: "desync mitigation only monitors",
    stack: "production",
    change: edit(LB, /api-alb/, (i) => (i.desyncMitigationMode = "monitor")),
    says: "monitor",
  },
  {
    policy: "alb-access-logs",
    when: "access logs are off",
    stack: "production",
    change: edit(LB, /public-alb/, (i) => (i.accessLogs = { enabled: false })),
    says: "accessLogs",
  },
  {
    policy: "alb-deletion-protection",
    when: "production's load balancer can be deleted",
    stack: "production",
    change: edit(LB, /public-alb/, (i) => (i.enableDeletionProtection = false)),
    says: "enableDeletionProtection",
  },
  {
    policy: "alb-https-only",
    when: "a listener serves plain HTTP",
    stack: "staging",
    change: edit(LISTENER, /api-https/, (i) => {
      i.protocol = "HTTP";
      i.port = 80;
    }),
    says: "may only redirect to HTTPS",
  },
  {
    policy: "alb-tls-policy",
    when: "a listener negotiates TLS 1.0",
    stack: "production",
    change: edit(LISTENER, /public-https/, (i) => (i.sslPolicy = "ELBSecurityPolicy-2016-08")),
    says: "ELBSecurityPolicy-2016-08",
  },
  {
    policy: "cloudfront-viewer-https",
    when: "the default behaviour allows HTTP",
    stack: "production",
    change: edit(CDN, /cdn/, (i) => {
      (i.defaultCacheBehavior as Inputs).viewerProtocolPolicy = "allow-all";
    }),
    says: "allows allow-all",
  },
  {
    policy: "cloudfront-tls-minimum",
    when: "viewers may use TLS 1.0",
    stack: "staging",
    change: edit(CDN, /cdn/, (i) => ((i.viewerCertificate as Inputs).minimumProtocolVersion = "TLSv1")),
    says: "TLSv1 is not one of",
  },
  {
    policy: "cloudfront-waf",
    when: "the web ACL is detached",
    stack: "production",
    change: edit(CDN, /cdn/, (i) => delete i.webAclId),
    says: "webAclId",
  },
  {
    policy: "cloudfront-origins",
    when: "the app origin is reached over HTTP and the S3 origin without OAC",
    stack: "staging",
    change: edit(CDN, /cdn/, (i) => {
      const [app, assets] = i.origins as Inputs[];
      (app?.customOriginConfig as Inputs).originProtocolPolicy = "http-only";
      delete assets?.originAccessControlId;
    }),
    says: "https-only",
  },
  {
    policy: "cloudfront-access-logging",
    when: "the distribution's log delivery is gone",
    stack: "production",
    change: drop("aws:cloudwatch/logDeliverySource:LogDeliverySource"),
    says: "keeps no access logs",
  },
  {
    policy: "waf-rules-and-logging",
    when: "the web ACL stops logging",
    stack: "staging",
    change: drop("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"),
    says: "does not log",
  },
  {
    policy: "ecs-container-insights",
    when: "Container Insights is off",
    stack: "production",
    change: edit("aws:ecs/cluster:Cluster", /ecs/, (i) => {
      i.settings = [{ name: "containerInsights", value: "disabled" }];
    }),
    says: "Container Insights",
  },
  {
    policy: "ecs-task-hardening",
    when: "a container is privileged, writable and gets a password in plain text",
    stack: "production",
    change: editContainers(/backend/, (containers) => {
      const app = containers[0] as Inputs;
      app.privileged = true;
      app.readonlyRootFilesystem = false;
      app.environment = [{ name: "DATABASE_PASSWORD", value: "hunter2" }];
    }),
    says: "DATABASE_PASSWORD as a plain environment variable",
  },
  {
    policy: "ecs-task-hardening",
    when: "the fault-injection sidecar is added in production (its pack config allows no writable sidecar)",
    stack: "production",
    change: editContainers(/backend/, (containers) => {
      containers.push({ name: "fault-agent", essential: false, privileged: false, readonlyRootFilesystem: false });
    }),
    says: "container fault-agent has a writable root filesystem",
  },
  {
    policy: "ecs-task-hardening",
    when: "staging's fault-injection sidecar becomes essential (only non-essential sidecars are excepted)",
    stack: "staging",
    change: editContainers(/frontend/, (containers) => {
      for (const container of containers) if (container.name === "fault-agent") container.essential = true;
    }),
    says: "container fault-agent has a writable root filesystem",
  },
  {
    policy: "ecs-task-hardening",
    when: "the app container gets a writable root in staging (the exception names the sidecar only)",
    stack: "staging",
    change: editContainers(/backend/, (containers) => {
      for (const container of containers) if (container.name === "app") container.readonlyRootFilesystem = false;
    }),
    says: "container app has a writable root filesystem",
  },
  {
    policy: "ecs-service-no-public-ip",
    when: "tasks get public IPs",
    stack: "staging",
    change: edit("aws:ecs/service:Service", /frontend/, (i) => {
      (i.networkConfiguration as Inputs).assignPublicIp = true;
    }),
    says: "assignPublicIp",
  },
  {
    policy: "ecs-release-checks",
    when: "a canary's steps go unchecked",
    stack: "production",
    change: edit("aws:ecs/service:Service", /backend/, (i) => {
      const configuration = i.deploymentConfiguration as Inputs;
      configuration.strategy = "CANARY";
    }),
    says: "a CANARY deployment runs no release checks at PRE_PRODUCTION_TRAFFIC_SHIFT.",
  },
  {
    policy: "ecs-release-checks",
    when: "a service has no release checks",
    stack: "production-dr",
    change: edit("aws:ecs/service:Service", /frontend/, (i) => {
      delete (i.deploymentConfiguration as Inputs).lifecycleHooks;
    }),
    says: "runs no release checks at POST_TEST_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT.",
  },
  {
    policy: "ecr-immutable-tags-and-scanning",
    when: "tags are mutable",
    stack: "production",
    change: edit("aws:ecr/repository:Repository", /backend/, (i) => (i.imageTagMutability = "MUTABLE")),
    says: "IMMUTABLE",
  },
  {
    policy: "ecr-lifecycle-policy",
    when: "a repository has no lifecycle",
    stack: "staging",
    change: drop("aws:ecr/lifecyclePolicy:LifecyclePolicy", /frontend/),
    says: "keeps every image forever",
  },
];

describe("policy pack", () => {
  const runs = new Map<Stack, StackRun>();
  before(async () => {
    for (const stack of ["staging", "production", "production-dr"] as const) runs.set(stack, await stackRun(stack));
  });
  const runOf = (stack: Stack) => runs.get(stack) as StackRun;

  /** Evaluates one policy on a changed copy of a stack's records, with the stack's pack config. */
  async function evaluateChanged(stack: Stack, policyName: string, change: Change): Promise<PolicyReport> {
    const run = runOf(stack);
    const only = policies.filter((policy) => policy.name === policyName);
    return evaluatePolicies({ ...run, resources: change(copyOf(run)) }, only, readPackConfig(stack).config);
  }
  const baselines = new Map<string, Promise<PolicyReport>>();
  const baselineOf = (stack: Stack) => {
    const key = `${stack} ${activeMutant()}`;
    let report = baselines.get(key);
    if (!report) {
      report = checkStack(runOf(stack), policies);
      baselines.set(key, report);
    }
    return report;
  };

  describe("its policies", () => {
    it("are named, described with their anchors, and say what to change", () => {
      const names = policies.map((policy) => policy.name);
      expect(new Set(names).size, "unique names").to.equal(names.length);
      expect(names).to.not.include("all");
      for (const policy of policies) {
        expect(policy.name).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(policy.tags ?? [], policy.name).to.not.be.empty;
        for (const tag of policy.tags ?? [])
          expect(tag).to.match(
            /^(checkov:CKV2?_AWS_\d+|trivy:AVD-AWS-\d{4}|aws-fsbp:[A-Za-z0-9]+\.\d+|cloudweave:adr-\d{4})$/,
          );
        expect(policy.description, policy.name).to.match(/\[.+\]$/);
        expect(policy.remediationSteps, policy.name).to.be.a("string").and.not.empty;
        expect(policy.severity, policy.name).to.be.oneOf(["low", "medium", "high", "critical"]);
        expect(Object.keys(policy.configSchema?.properties ?? {})).to.not.include("enforcementLevel");
      }
    });

    it("cover the rule table: encryption, security groups, data stores, S3, logs, ALB, CloudFront, WAF, ECS", () => {
      const anchors = policies.flatMap((policy) => policy.tags ?? []);
      for (const required of [
        "checkov:CKV_AWS_16",
        "checkov:CKV_AWS_29",
        "checkov:CKV_AWS_30",
        "checkov:CKV_AWS_19",
        "checkov:CKV_AWS_158",
        "checkov:CKV_AWS_26",
        "checkov:CKV_AWS_136",
        "checkov:CKV_AWS_149",
        "checkov:CKV_AWS_7",
        "checkov:CKV_AWS_24",
        "checkov:CKV_AWS_23",
        "checkov:CKV_AWS_382",
        "checkov:CKV2_AWS_12",
        "checkov:CKV_AWS_17",
        "checkov:CKV_AWS_133",
        "checkov:CKV_AWS_293",
        "checkov:CKV_AWS_157",
        "checkov:CKV_AWS_131",
        "checkov:CKV_AWS_2",
        "checkov:CKV_AWS_103",
        "checkov:CKV_AWS_34",
        "checkov:CKV_AWS_174",
        "checkov:CKV_AWS_68",
        "checkov:CKV_AWS_336",
        "checkov:CKV_AWS_333",
        "checkov:CKV2_AWS_11",
        "aws-fsbp:ECS.8",
      ]) {
        expect(anchors, required).to.include(required);
      }
    });

    it("are constructed into a pack only by the pack's entry point", () => {
      const entry = fs.readFileSync(path.join(PROJECT_ROOT, "policy-pack", "index.ts"), "utf8");
      expect(entry).to.match(/new PolicyPack\("cloudweave", \{[\s\S]*policies,/);
      const modules = fs.readdirSync(path.join(PROJECT_ROOT, "policy-pack", "policies"));
      for (const file of modules) {
        const source = fs.readFileSync(path.join(PROJECT_ROOT, "policy-pack", "policies", file), "utf8");
        expect(source, file).to.not.include("new PolicyPack");
        expect(source, `${file} imports only types from @pulumi/policy`).to.not.match(
          /^import (?!type)[^;]*from "@pulumi\/policy"/m,
        );
      }
      const manifest = fs.readFileSync(path.join(PROJECT_ROOT, "policy-pack", "PulumiPolicy.yaml"), "utf8");
      expect(manifest).to.match(/^runtime: nodejs$/m);
    });

    it("report unknown values during a preview instead of crashing", async () => {
      // What a real preview hands a policy before resources exist: every property unknown.
      const run = runOf("production");
      const kinds = new Map<string, DeclaredResource>();
      for (const resource of run.resources)
        if (resource.custom && !kinds.has(resource.type)) kinds.set(resource.type, resource);
      const unknownProps = (resource: DeclaredResource) =>
        proxy.unknownCheckingProxy(
          Object.fromEntries(Object.keys(resource.inputs).map((key) => [key, proxy.unknownStringValue])),
        );
      for (const policy of policies) {
        const calls: (() => unknown)[] = [];
        if ("validateResource" in policy && policy.validateResource) {
          const validate = [policy.validateResource].flat()[0];
          for (const resource of kinds.values()) {
            calls.push(() =>
              validate?.(
                {
                  type: resource.type,
                  props: unknownProps(resource),
                  urn: resource.urn,
                  name: resource.name,
                  opts: {
                    protect: false,
                    ignoreChanges: [],
                    aliases: [],
                    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                    additionalSecretOutputs: [],
                  },
                  stackTags: new Map(),
                  isType: () => false,
                  asType: () => undefined,
                  getConfig: () => ({}) as never,
                  notApplicable: () => {
                    throw new Error("not applicable");
                  },
                },
                () => undefined,
              ),
            );
          }
        } else if ("validateStack" in policy) {
          const resources = [...kinds.values()].map((resource) => ({
            type: resource.type,
            props: unknownProps(resource),
            urn: resource.urn,
            name: resource.name,
            opts: {
              protect: false,
              ignoreChanges: [],
              aliases: [],
              customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
              additionalSecretOutputs: [],
            },
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
          }));
          calls.push(() =>
            policy.validateStack(
              {
                resources: resources,
                stackTags: new Map(),
                getConfig: () => ({}) as never,
                notApplicable: () => {
                  throw new Error("not applicable");
                },
              },
              () => undefined,
            ),
          );
        }
        for (const call of calls) {
          try {
            await call();
          } catch (error) {
            expect(error, `${policy.name}: ${String(error)}`).to.be.instanceOf(proxy.UnknownValueError);
          }
        }
      }
    });
  });

  describe("on the stacks as declared", () => {
    it("finds no mandatory violation in either stack, and only the known advisory ones", async () => {
      const expected: Record<Stack, string[]> = {
        production: [],
        "production-dr": [],
        staging: [
          "alb-deletion-protection",
          "elasticache-failover-and-snapshots",
          "rds-deletion-protection",
          "rds-multi-az",
        ],
      };
      for (const stack of ["staging", "production", "production-dr"] as const) {
        const report = await checkStack(runOf(stack), policies);
        expect(report.configFile).to.equal(`policy-pack/config/${stack}.json`);
        expect(report.evaluated).to.equal(policies.length);
        expect(report.violations.filter((violation) => violation.level === "mandatory")).to.deep.equal([]);
        expect([...new Set(report.violations.map((violation) => violation.policy))].sort(), stack).to.deep.equal(
          expected[stack],
        );
      }
    });
  });

  describe("fails each policy when a real resource is weakened", () => {
    for (const failing of FAILING) {
      it(`${failing.policy}: ${failing.when} (${failing.stack})`, async () => {
        const baseline = await baselineOf(failing.stack);
        const before = baseline.violations.filter((violation) => violation.policy === failing.policy);
        const report = await evaluateChanged(failing.stack, failing.policy, failing.change);
        const found = report.violations.filter((violation) => violation.policy === failing.policy);
        expect(found.length, JSON.stringify(report.violations, null, 1)).to.be.greaterThan(
          failing.level === "advisory" ? 0 : before.length,
        );
        expect(found.map((violation) => violation.message).join(" | ")).to.include(failing.says);
        for (const violation of found) expect(violation.level).to.equal(failing.level ?? "mandatory");
      });
    }

    it("has a failing case for every policy", () => {
      const covered = new Set(FAILING.map((failing) => failing.policy));
      const missing = policies
        .map((policy) => policy.name)
        .filter((name) => !covered.has(name) && name !== "sns-topic-encrypted");
      expect(missing).to.deep.equal([]);
    });
  });

  describe("on resources the stacks do not declare (yet)", () => {
    it("checks SNS topics, deprecated S3 and ALB tokens, legacy and inline security-group rules", async () => {
      const run = await runProgram("staging", () => {
        new aws.sns.Topic("alerts-plain", {});
        new aws.sns.Topic("alerts-encrypted", { kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/abc" });
        new aws.s3.BucketV2("legacy-bucket", {});
        const group = new aws.ec2.SecurityGroup("legacy-group", {
          description: "legacy",
          ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }],
        });
        new aws.ec2.SecurityGroupRule("legacy-rule", {
          type: "ingress",
          securityGroupId: group.id,
          protocol: "tcp",
          fromPort: 3389,
          toPort: 3389,
          cidrBlocks: ["0.0.0.0/0"],
          description: "RDP",
        });
        new aws.alb.LoadBalancer("legacy-alb", { internal: true, subnets: ["subnet-1"] });
      });
      const report = await evaluatePolicies(run, policies, {});
      const of = (policy: string) => report.violations.filter((violation) => violation.policy === policy);
      expect(of("sns-topic-encrypted").map((violation) => violation.resource?.name)).to.deep.equal(["alerts-plain"]);
      for (const policy of ["s3-bucket-encrypted", "s3-public-access-blocked", "s3-versioning", "s3-tls-only"]) {
        expect(
          of(policy).map((violation) => violation.resource?.name),
          policy,
        ).to.deep.equal(["legacy-bucket"]);
      }
      expect(
        of("sg-public-ingress-web-only")
          .map((violation) => violation.resource?.name)
          .sort(),
      ).to.deep.equal(["legacy-group", "legacy-rule"]);
      expect(of("sg-rule-descriptions").map((violation) => violation.message)).to.deep.equal([
        "ingress[0] has no description.",
      ]);
      expect(of("alb-drop-invalid-headers").map((violation) => violation.resource?.name)).to.deep.equal(["legacy-alb"]);
      expect(of("alb-access-logs").map((violation) => violation.resource?.name)).to.deep.equal(["legacy-alb"]);
    });

    it("accepts a rotated secret and a stricter pack config", async () => {
      const run = await runProgram("staging", () => {
        const secret = new aws.secretsmanager.Secret("rotated", {
          kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/k",
        });
        new aws.secretsmanager.SecretRotation("rotated", {
          secretId: secret.id,
          rotationLambdaArn: "arn:aws:lambda:us-east-1:123456789012:function:rotate",
          rotationRules: { automaticallyAfterDays: 30 },
        });
      });
      const report = await evaluatePolicies(run, policies, {});
      expect(report.violations.filter((violation) => violation.policy === "secret-rotation")).to.deep.equal([]);
      const strict = await evaluatePolicies(runOf("production"), policies, {
        "s3-bucket-encrypted": { enforcementLevel: "mandatory", requireKms: true },
      });
      expect(strict.violations.filter((violation) => violation.policy === "s3-bucket-encrypted")).to.have.length(3);
    });
  });

  describe("enforcement levels and settings", () => {
    const policy = policies.find((candidate) => candidate.name === "rds-backup-retention") as ResourceValidationPolicy;

    it("take the policy's config entry first, then `all`, then the policy, then the pack", () => {
      const multiAz = policies.find((candidate) => candidate.name === "rds-multi-az") as ResourceValidationPolicy;
      expect(enforcementLevelOf(multiAz, {})).to.equal("advisory");
      expect(enforcementLevelOf(multiAz, { all: "mandatory" })).to.equal("mandatory");
      expect(enforcementLevelOf(multiAz, { all: "mandatory", "rds-multi-az": "disabled" })).to.equal("disabled");
      expect(enforcementLevelOf(policy, {})).to.equal("mandatory");
      expect(enforcementLevelOf(policy, { "rds-backup-retention": { enforcementLevel: "advisory" } })).to.equal(
        "advisory",
      );
    });

    it("make Multi-AZ and deletion protection mandatory in production and advisory in staging", () => {
      for (const name of [
        "rds-multi-az",
        "rds-deletion-protection",
        "alb-deletion-protection",
        "elasticache-failover-and-snapshots",
      ]) {
        const target = policies.find((candidate) => candidate.name === name) as ResourceValidationPolicy;
        expect(enforcementLevelOf(target, readPackConfig("production").config), name).to.equal("mandatory");
        expect(enforcementLevelOf(target, readPackConfig("staging").config), name).to.equal("advisory");
      }
    });

    it("fill thresholds from the schema's defaults and the stack's config", () => {
      expect(settingsOf(policy, {})).to.deep.equal({ minimumDays: 7 });
      expect(settingsOf(policy, readPackConfig("staging").config)).to.deep.equal({ minimumDays: 7 });
      const retention = policies.find(
        (candidate) => candidate.name === "log-group-retention",
      ) as ResourceValidationPolicy;
      expect(settingsOf(retention, readPackConfig("production").config)).to.deep.equal({ minimumDays: 365 });
      expect(settingsOf(retention, readPackConfig("staging").config)).to.deep.equal({ minimumDays: 30 });
    });

    it("skip disabled policies", async () => {
      const report = await evaluatePolicies(runOf("staging"), policies, { "secret-rotation": "disabled" });
      expect(report.evaluated).to.equal(policies.length - 1);
      expect(report.violations.some((violation) => violation.policy === "secret-rotation")).to.equal(false);
    });
  });

  describe("in the offline plan", () => {
    it("lists the violations and exits 3 on a mandatory one, as pulumi preview would fail", async () => {
      const result = await plan(["--project", "test/fixtures/unprotected", "--stack", "production"]);
      expect(result.code).to.equal(3);
      expect(result.stderr).to.match(/\d+ mandatory policy violations?: pulumi preview would fail/);
      expect(result.stdout).to.match(
        /mandatory +rds-deletion-protection +cloudweave-production-postgres-instance \(aws:rds\/instance:Instance\): deletionProtection must be true\./,
      );
      expect(result.stdout).to.include("alb-deletion-protection");
    });
  });
});
