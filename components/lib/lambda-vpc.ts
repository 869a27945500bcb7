/**
 * What a Lambda function in a VPC needs on its execution role to manage its network interfaces: Lambda's documented
 * execution-role permissions, on "*" as AWSLambdaVPCAccessExecutionRole grants them
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions); the Describe
 * actions take no resource at all (Service Authorization Reference, Amazon EC2).
 */
export const MANAGE_NETWORK_INTERFACES: { Sid: string; Effect: "Allow"; Action: string[]; Resource: string } = {
  Sid: "ManageItsNetworkInterfaces",
  Effect: "Allow",
  Action: [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
  ],
  Resource: "*",
};
