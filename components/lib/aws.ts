/**
 * The parts of `@pulumi/aws` this project uses, imported module by module. `@pulumi/aws`'s index loads all of its
 * ~250 service modules (and their type declarations, 30 MB) whichever a program uses; importing the services one by
 * one halves what the type checker reads and what every offline run loads. Use it as `import * as aws from
 * ".../lib/aws"`: `aws.ec2.Vpc` reads the same as with the package itself. A service not listed here is a compile
 * error until it is added below.
 */
export { Provider, type ProviderArgs } from "@pulumi/aws/provider";
export { getPartition, getPartitionOutput } from "@pulumi/aws/getPartition";
export { getRegion, getRegionOutput } from "@pulumi/aws/getRegion";
export * as types from "@pulumi/aws/types";
export * as acm from "@pulumi/aws/acm";
export * as alb from "@pulumi/aws/alb";
export * as appautoscaling from "@pulumi/aws/appautoscaling";
export * as appconfig from "@pulumi/aws/appconfig";
export * as backup from "@pulumi/aws/backup";
export * as budgets from "@pulumi/aws/budgets";
export * as chatbot from "@pulumi/aws/chatbot";
export * as cloudfront from "@pulumi/aws/cloudfront";
export * as cloudwatch from "@pulumi/aws/cloudwatch";
export * as ec2 from "@pulumi/aws/ec2";
export * as ecr from "@pulumi/aws/ecr";
export * as ecs from "@pulumi/aws/ecs";
export * as elasticache from "@pulumi/aws/elasticache";
export * as elb from "@pulumi/aws/elb";
export * as fis from "@pulumi/aws/fis";
export * as iam from "@pulumi/aws/iam";
export * as kms from "@pulumi/aws/kms";
export * as lambda from "@pulumi/aws/lambda";
export * as lb from "@pulumi/aws/lb";
export * as rds from "@pulumi/aws/rds";
export * as route53 from "@pulumi/aws/route53";
export * as s3 from "@pulumi/aws/s3";
export * as secretsmanager from "@pulumi/aws/secretsmanager";
export * as sns from "@pulumi/aws/sns";
export * as sqs from "@pulumi/aws/sqs";
export * as vpc from "@pulumi/aws/vpc";
export * as wafv2 from "@pulumi/aws/wafv2";
export * as xray from "@pulumi/aws/xray";
