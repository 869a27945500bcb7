/**
 * Where each price the cost estimate uses comes from in the AWS Price List Query API
 * (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-price-list-query-api.html): the service code,
 * the product attributes that select the product, and the usage type that tells the remaining products apart. The
 * committed snapshots (offline/cost/prices/<region>.json) record this query next to each price, and
 * `npm run prices:refresh` (scripts/prices-refresh.ts) runs it.
 *
 * Attribute names and values are those the Price List publishes (`GetAttributeValues`); the usage-type patterns
 * follow the public price files' `usagetype` values, which carry a region prefix (`USE1-`, `USW2-`) for most
 * services outside us-east-1's EC2 family, so each pattern matches the end of the usage type.
 */

/** The On-Demand price of one product, as the Price List answers it. */
export interface PriceQuery {
  /** The Price List service code (`DescribeServices`), e.g. `AmazonEC2`. */
  readonly serviceCode: string;
  /** Product attributes that must match exactly (`TERM_MATCH` filters), besides the region. */
  readonly attributes: Readonly<Record<string, string>>;
  /** A pattern the product's `usagetype` must match: tells apart the products the attributes leave. */
  readonly usagetype: string;
  /** The unit the price is per, as the Price List states it (e.g. `Hrs`, `GB-Mo`). */
  readonly unit: string;
  /**
   * Priced without a region in the Price List (Route 53, CloudFront, Budgets): the query names none. A CloudFront-scope
   * WAF ACL is priced in us-east-1, the region it is created in.
   */
  readonly global?: boolean;
  /** The Price List does not list it: the snapshot's value is kept from the pricing page named here. */
  readonly notInPriceList?: string;
}

/** What a price is for, in words, and the unit the estimate multiplies it by. */
export interface PriceDefinition {
  readonly what: string;
  readonly query: PriceQuery;
}

const HOURS = "Hrs";

/** The prices whose key names a fixed product. Keys of products chosen by a setting are built by the functions below. */
export const FIXED_PRICES: Readonly<Record<string, PriceDefinition>> = {
  "nat-gateway-hour": {
    what: "NAT gateway hour",
    query: {
      serviceCode: "AmazonEC2",
      attributes: { productFamily: "NAT Gateway" },
      usagetype: "NatGateway-Hours$",
      unit: HOURS,
    },
  },
  "nat-gateway-gb": {
    what: "GB processed by a NAT gateway",
    query: {
      serviceCode: "AmazonEC2",
      attributes: { productFamily: "NAT Gateway" },
      usagetype: "NatGateway-Bytes$",
      unit: "GB",
    },
  },
  "public-ipv4-hour": {
    what: "public IPv4 address hour (in use)",
    query: {
      serviceCode: "AmazonVPC",
      attributes: { productFamily: "VPC Public IPv4 Address" },
      usagetype: "PublicIPv4:InUseAddress$",
      unit: HOURS,
    },
  },
  "vpc-interface-endpoint-hour": {
    what: "interface VPC endpoint hour, per availability zone",
    query: {
      serviceCode: "AmazonVPC",
      attributes: { productFamily: "VpcEndpoint" },
      usagetype: "VpcEndpoint-Hours$",
      unit: HOURS,
    },
  },
  "alb-hour": {
    what: "application load balancer hour",
    query: {
      serviceCode: "AWSELB",
      attributes: { productFamily: "Load Balancer-Application", locationType: "AWS Region" },
      usagetype: "LoadBalancerUsage$",
      unit: HOURS,
    },
  },
  "alb-lcu-hour": {
    what: "application load balancer capacity unit hour",
    query: {
      serviceCode: "AWSELB",
      attributes: { productFamily: "Load Balancer-Application", locationType: "AWS Region" },
      usagetype: "LCUUsage$",
      unit: "LCU-Hrs",
    },
  },
  "fargate-x86-vcpu-hour": {
    what: "Fargate Linux/x86 vCPU hour",
    query: {
      serviceCode: "AmazonECS",
      attributes: { productFamily: "Compute" },
      usagetype: "Fargate-vCPU-Hours:perCPU$",
      unit: "hours",
    },
  },
  "fargate-x86-gb-hour": {
    what: "Fargate Linux/x86 GB-hour of memory",
    query: {
      serviceCode: "AmazonECS",
      attributes: { productFamily: "Compute" },
      usagetype: "Fargate-GB-Hours$",
      unit: "hours",
    },
  },
  "fargate-arm-vcpu-hour": {
    what: "Fargate Linux/ARM vCPU hour",
    query: {
      serviceCode: "AmazonECS",
      attributes: { productFamily: "Compute" },
      usagetype: "Fargate-ARM-vCPU-Hours:perCPU$",
      unit: "hours",
    },
  },
  "fargate-arm-gb-hour": {
    what: "Fargate Linux/ARM GB-hour of memory",
    query: {
      serviceCode: "AmazonECS",
      attributes: { productFamily: "Compute" },
      usagetype: "Fargate-ARM-GB-Hours$",
      unit: "hours",
    },
  },
  "kms-key-month": {
    what: "KMS key month (each multi-Region replica is a key)",
    query: {
      serviceCode: "awskms",
      attributes: { productFamily: "Encryption Key" },
      usagetype: "KMS-Keys$",
      unit: "Keys",
    },
  },
  "secret-month": {
    what: "Secrets Manager secret month (each replica is a secret)",
    query: {
      serviceCode: "AWSSecretsManager",
      attributes: { productFamily: "Secret" },
      usagetype: "AWSSecretsManager-Secrets$",
      unit: "Secrets",
    },
  },
  "alarm-metric-month": {
    what: "standard-resolution alarm metric month",
    query: {
      serviceCode: "AmazonCloudWatch",
      attributes: { productFamily: "Alarm" },
      usagetype: "CW:AlarmMonitorUsage$",
      unit: "Alarms",
    },
  },
  "alarm-high-resolution-metric-month": {
    what: "high-resolution alarm metric month",
    query: {
      serviceCode: "AmazonCloudWatch",
      attributes: { productFamily: "Alarm" },
      usagetype: "CW:HighResAlarmMonitorUsage$",
      unit: "Alarms",
    },
  },
  "custom-metric-month": {
    what: "custom metric month (first tier)",
    query: {
      serviceCode: "AmazonCloudWatch",
      attributes: { productFamily: "Metric" },
      usagetype: "CW:MetricMonitorUsage$",
      unit: "Metrics",
    },
  },
  "dashboard-month": {
    what: "CloudWatch dashboard month",
    query: {
      serviceCode: "AmazonCloudWatch",
      attributes: { productFamily: "Dashboard" },
      usagetype: "DashboardsUsageHour$",
      unit: "Dashboards",
    },
  },
  "logs-ingestion-gb": {
    what: "GB ingested into CloudWatch Logs (standard class)",
    query: {
      serviceCode: "AmazonCloudWatch",
      attributes: { productFamily: "Data Payload" },
      usagetype: "DataProcessing-Bytes$",
      unit: "GB",
    },
  },
  "logs-storage-gb-month": {
    what: "GB-month stored in CloudWatch Logs",
    query: {
      serviceCode: "AmazonCloudWatch",
      attributes: { productFamily: "Storage Snapshot" },
      usagetype: "TimedStorage-ByteHrs$",
      unit: "GB-Mo",
    },
  },
  "backup-storage-gb-month": {
    what: "GB-month of database backup storage beyond the free allowance",
    query: {
      serviceCode: "AmazonRDS",
      attributes: { productFamily: "Storage Snapshot" },
      usagetype: "RDS:ChargedBackupUsage$",
      unit: "GB-Mo",
    },
  },
  "waf-web-acl-month": {
    what: "WAF web ACL month",
    query: {
      serviceCode: "awswaf",
      attributes: { group: "Web ACL" },
      usagetype: "WebACLV2$",
      unit: "WebACL",
      global: true,
    },
  },
  "waf-rule-month": {
    what: "WAF rule month (a managed rule group counts as one)",
    query: { serviceCode: "awswaf", attributes: { group: "Rule" }, usagetype: "RuleV2$", unit: "Rule" },
  },
  "waf-request": {
    what: "request WAF inspects",
    query: {
      serviceCode: "awswaf",
      attributes: { group: "Request" },
      usagetype: "RequestV2-Tier1$",
      unit: "Request",
    },
  },
  "route53-zone-month": {
    what: "Route 53 hosted zone month (first 25)",
    query: {
      serviceCode: "AmazonRoute53",
      attributes: { productFamily: "DNS Zone" },
      usagetype: "HostedZone$",
      unit: "HostedZone",
      global: true,
    },
  },
  "route53-health-check-month": {
    what: "Route 53 health check month (AWS endpoint or CloudWatch alarm)",
    query: {
      serviceCode: "AmazonRoute53",
      attributes: { productFamily: "DNS Health Check" },
      usagetype: "Health-Check-AWS$",
      unit: "Health-Check",
      global: true,
    },
  },
  "cloudfront-data-out-gb": {
    what: "GB CloudFront serves to viewers (United States, first 10 TB)",
    query: {
      serviceCode: "AmazonCloudFront",
      attributes: {
        productFamily: "Data Transfer",
        fromLocation: "United States",
        transferType: "CloudFront Outbound",
      },
      usagetype: "^US-DataTransfer-Out-Bytes$",
      unit: "GB",
      global: true,
    },
  },
  "cloudfront-https-request": {
    what: "HTTPS request CloudFront answers (United States)",
    query: {
      serviceCode: "AmazonCloudFront",
      attributes: { productFamily: "Request", location: "United States" },
      usagetype: "^US-Requests-Tier2-HTTPS$",
      unit: "Requests",
      global: true,
    },
  },
  "budget-day": {
    what: "AWS Budgets budget day (the first two in an account are free)",
    query: {
      serviceCode: "AWSBudgets",
      attributes: {},
      usagetype: "ActiveBudget$",
      unit: "Days",
      global: true,
      notInPriceList:
        "https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-managing-costs.html ($0.02 per day per budget beyond the first two)",
    },
  },
};

/** An RDS instance hour: engine, class and deployment choose the product. */
export function rdsInstancePrice(engine: string, instanceClass: string, multiAz: boolean): string {
  return `rds-instance-hour/${engine}/${instanceClass}/${multiAz ? "Multi-AZ" : "Single-AZ"}`;
}

/** An RDS storage GB-month: volume type and deployment choose the product (Multi-AZ stores twice). */
export function rdsStoragePrice(storageType: string, multiAz: boolean): string {
  return `rds-storage-gb-month/${storageType}/${multiAz ? "Multi-AZ" : "Single-AZ"}`;
}

/** An ElastiCache node hour: engine and node type choose the product. */
export function cacheNodePrice(engine: string, nodeType: string): string {
  return `elasticache-node-hour/${engine}/${nodeType}`;
}

/** The Price List's names for what the program calls an RDS engine and storage type. */
const RDS_ENGINES: Readonly<Record<string, string>> = { postgres: "PostgreSQL" };
const RDS_VOLUME_TYPES: Readonly<Record<string, string>> = { gp3: "General Purpose-GP3", gp2: "General Purpose" };
const CACHE_ENGINES: Readonly<Record<string, string>> = { redis: "Redis", valkey: "Valkey" };

/** The definition of any price key the estimate may ask for, or undefined for a key it cannot query. */
export function priceDefinition(key: string): PriceDefinition | undefined {
  const fixed = FIXED_PRICES[key];
  if (fixed) return fixed;
  const [kind, ...parts] = key.split("/");
  if (kind === "rds-instance-hour" && parts.length === 3) {
    const [engine = "", instanceClass = "", deployment = ""] = parts;
    const databaseEngine = RDS_ENGINES[engine];
    if (!databaseEngine) return undefined;
    return {
      what: `RDS ${databaseEngine} ${instanceClass} ${deployment} instance hour`,
      query: {
        serviceCode: "AmazonRDS",
        attributes: {
          productFamily: "Database Instance",
          instanceType: instanceClass,
          databaseEngine,
          deploymentOption: deployment,
        },
        usagetype: `(InstanceUsage|Multi-AZUsage):${instanceClass.replace(/\./g, "\\.")}$`,
        unit: HOURS,
      },
    };
  }
  if (kind === "rds-storage-gb-month" && parts.length === 2) {
    const [storageType = "", deployment = ""] = parts;
    const volumeType = RDS_VOLUME_TYPES[storageType];
    if (!volumeType) return undefined;
    return {
      what: `RDS ${storageType} storage GB-month, ${deployment}`,
      query: {
        serviceCode: "AmazonRDS",
        attributes: {
          productFamily: "Database Storage",
          volumeType,
          deploymentOption: deployment,
          databaseEngine: "PostgreSQL",
        },
        usagetype: `${storageType.toUpperCase()}-Storage$`,
        unit: "GB-Mo",
      },
    };
  }
  if (kind === "elasticache-node-hour" && parts.length === 2) {
    const [engine = "", nodeType = ""] = parts;
    const cacheEngine = CACHE_ENGINES[engine];
    if (!cacheEngine) return undefined;
    return {
      what: `ElastiCache ${cacheEngine} ${nodeType} node hour`,
      query: {
        serviceCode: "AmazonElastiCache",
        attributes: { productFamily: "Cache Instance", instanceType: nodeType, cacheEngine },
        usagetype: `NodeUsage:${nodeType.replace(/\./g, "\\.")}$`,
        unit: HOURS,
      },
    };
  }
  return undefined;
}
