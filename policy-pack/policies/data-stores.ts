/** RDS and ElastiCache resilience and access: private, backed up, protected, Multi-AZ where it counts. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  TOKENS,
  bool,
  configNumber,
  list,
  num,
  ofKind,
  records,
  referenced,
  resourcePolicy,
  stackPolicy,
  str,
  strings,
} from "./support";

/** The design's automated-backup retention: the pack's default minimum (each stack's pack config may set its own). */
const MIN_BACKUP_RETENTION_DAYS = 7;

export const rdsNotPublic = resourcePolicy({
  name: "rds-not-public",
  description: "RDS instances are not publicly accessible.",
  anchors: { checkov: ["CKV_AWS_17"], trivy: ["AVD-AWS-0180"], fsbp: ["RDS.2"] },
  severity: "critical",
  remediation: "Set publiclyAccessible: false and keep the instance in the database subnets.",
  types: TOKENS.dbInstance,
  validate: (props, _args, report) => {
    if (bool(props, "publiclyAccessible") === true) report("publiclyAccessible must be false.");
  },
});

export const rdsBackupRetention = resourcePolicy({
  name: "rds-backup-retention",
  description: "RDS automated backups are kept for at least the configured number of days.",
  anchors: { checkov: ["CKV_AWS_133"], trivy: ["AVD-AWS-0077"], fsbp: ["RDS.11"] },
  severity: "high",
  remediation: "Raise backupRetentionPeriod (cloudweave:database.backupRetention) to the minimum or more.",
  configSchema: { properties: { minimumDays: { type: "number", default: MIN_BACKUP_RETENTION_DAYS } } },
  types: TOKENS.dbInstance,
  validate: (props, args, report) => {
    const minimum = configNumber(args, "minimumDays", MIN_BACKUP_RETENTION_DAYS);
    const days = num(props, "backupRetentionPeriod") ?? 0;
    if (days < minimum) report(`backupRetentionPeriod is ${days} days; keep at least ${minimum}.`);
  },
});

export const rdsDeletionProtection = resourcePolicy({
  name: "rds-deletion-protection",
  description: "RDS instances have deletion protection (mandatory in production, advisory elsewhere).",
  anchors: { checkov: ["CKV_AWS_293"], trivy: ["AVD-AWS-0177"], fsbp: ["RDS.8"] },
  enforcementLevel: "advisory",
  severity: "high",
  remediation: "Set deletionProtection: true (cloudweave:deletionProtection, on by default in production).",
  types: TOKENS.dbInstance,
  validate: (props, _args, report) => {
    if (bool(props, "deletionProtection") !== true) report("deletionProtection must be true.");
  },
});

export const rdsMultiAz = resourcePolicy({
  name: "rds-multi-az",
  description: "RDS instances run Multi-AZ (mandatory in production, advisory elsewhere).",
  anchors: { checkov: ["CKV_AWS_157"], fsbp: ["RDS.5"] },
  enforcementLevel: "advisory",
  severity: "high",
  remediation: "Set multiAz: true (cloudweave:database.multiAZ).",
  types: TOKENS.dbInstance,
  validate: (props, _args, report) => {
    if (bool(props, "multiAz") !== true) report("multiAz must be true.");
  },
});

export const rdsIamAuthentication = resourcePolicy({
  name: "rds-iam-authentication",
  description: "RDS instances accept IAM database authentication.",
  anchors: { checkov: ["CKV_AWS_161"], trivy: ["AVD-AWS-0176"], fsbp: ["RDS.10"] },
  severity: "medium",
  remediation: "Set iamDatabaseAuthenticationEnabled: true.",
  types: TOKENS.dbInstance,
  validate: (props, _args, report) => {
    if (bool(props, "iamDatabaseAuthenticationEnabled") !== true) {
      report("iamDatabaseAuthenticationEnabled must be true.");
    }
  },
});

export const rdsMinorUpgrades = resourcePolicy({
  name: "rds-auto-minor-version-upgrade",
  description: "RDS instances take minor engine upgrades automatically.",
  anchors: { checkov: ["CKV_AWS_226"], fsbp: ["RDS.13"] },
  severity: "low",
  remediation: "Leave autoMinorVersionUpgrade at true.",
  types: TOKENS.dbInstance,
  validate: (props, _args, report) => {
    if (bool(props, "autoMinorVersionUpgrade") === false) report("autoMinorVersionUpgrade must not be false.");
  },
});

export const rdsLogExports = resourcePolicy({
  name: "rds-log-exports",
  description: "PostgreSQL instances export their logs to CloudWatch Logs.",
  anchors: { checkov: ["CKV_AWS_129"], fsbp: ["RDS.9"] },
  severity: "medium",
  remediation: 'Add "postgresql" to enabledCloudwatchLogsExports.',
  types: TOKENS.dbInstance,
  validate: (props, _args, report) => {
    const engine = str(props, "engine") ?? "";
    if (engine.includes("postgres") && !strings(props.enabledCloudwatchLogsExports).includes("postgresql")) {
      report('enabledCloudwatchLogsExports must include "postgresql".');
    }
  },
});

export const rdsForceSsl: StackValidationPolicy = stackPolicy({
  name: "rds-force-ssl",
  description: "PostgreSQL instances use a parameter group that refuses unencrypted connections (rds.force_ssl = 1).",
  anchors: { checkov: ["CKV2_AWS_69"] },
  severity: "high",
  remediation: "Attach a parameter group that sets rds.force_ssl to 1.",
  validate: (resources, _args, report) => {
    for (const instance of ofKind(resources, TOKENS.dbInstance)) {
      if (!(str(instance.props, "engine") ?? "").includes("postgres")) continue;
      const groups = referenced(instance, "parameterGroupName").filter((group) =>
        TOKENS.dbParameterGroup.includes(group.type as (typeof TOKENS.dbParameterGroup)[number]),
      );
      const forced = groups.some((group) =>
        records(group.props, "parameters").some(
          (parameter) => str(parameter, "name") === "rds.force_ssl" && String(parameter.value) === "1",
        ),
      );
      if (!forced) report(`${instance.name} does not force TLS (rds.force_ssl = 1).`, instance.urn);
    }
  },
});

export const elastiCacheResilient = resourcePolicy({
  name: "elasticache-failover-and-snapshots",
  description:
    "ElastiCache replication groups fail over automatically across AZs and keep snapshots (mandatory in production).",
  anchors: { checkov: ["CKV2_AWS_50"], trivy: ["AVD-AWS-0050"], fsbp: ["ElastiCache.3", "ElastiCache.1"] },
  enforcementLevel: "advisory",
  severity: "high",
  remediation:
    "Set automaticFailoverEnabled and multiAzEnabled to true (cloudweave:cache.multiAZ) and snapshotRetentionLimit to 1 or more.",
  types: TOKENS.replicationGroup,
  validate: (props, _args, report) => {
    if (bool(props, "automaticFailoverEnabled") !== true) report("automaticFailoverEnabled must be true.");
    if (bool(props, "multiAzEnabled") !== true) report("multiAzEnabled must be true.");
    if ((num(props, "snapshotRetentionLimit") ?? 0) < 1) report("snapshotRetentionLimit must be at least 1 day.");
    if (list(props, "securityGroupIds").length === 0) report("securityGroupIds must name the cache tier's group.");
  },
});

export const dataStorePolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  rdsNotPublic,
  rdsBackupRetention,
  rdsDeletionProtection,
  rdsMultiAz,
  rdsIamAuthentication,
  rdsMinorUpgrades,
  rdsLogExports,
  rdsForceSsl,
  elastiCacheResilient,
];
