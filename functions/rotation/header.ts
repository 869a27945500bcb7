/**
 * A shared-secret request header that load-balancer rules require: CloudFront's origin-verify header, or the header
 * a release's checks send to reach the new tasks. It rotates without a moment where a request with the header in use
 * is refused:
 *
 * 1. `setSecret`: the rules accept the current and the new value (the values of one http-header condition are ORed),
 *    then CloudFront (when it sends the header) switches its origin's custom header to the new value;
 * 2. `testSecret`: waits until CloudFront has deployed the change to every edge location (`Status: Deployed`);
 * 3. `finishSecret`: the rules accept the new value only.
 *
 * During a rotation a rule holds one more condition value; ALB allows 5 per rule
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html, "Condition values
 * per rule", not adjustable), which the stacks' tests check.
 */
import {
  GetDistributionCommand,
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
  type CloudFrontClient,
} from "@aws-sdk/client-cloudfront";
import {
  DescribeRulesCommand,
  ModifyRuleCommand,
  type ElasticLoadBalancingV2Client,
  type RuleCondition,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { newPassword, type RotationStrategy } from "./protocol";

/** The document such a secret holds. */
export interface HeaderCredential {
  header: string;
  value: string;
}

export interface HeaderRotationOptions {
  elb: Pick<ElasticLoadBalancingV2Client, "send">;
  /** The listener rules that require the header. */
  listenerRuleArns: string[];
  /** The distribution that sends the header to an origin, if any. */
  cloudfront?: {
    client: Pick<CloudFrontClient, "send">;
    distributionId: string;
    originId: string;
    /** Between checks of the distribution's status. @default 15000 */
    pollMilliseconds?: number;
    /** How long `testSecret` waits for the distribution to deploy (the function's timeout must exceed it). @default 780 */
    deploySeconds?: number;
  };
}

/** A condition as `ModifyRule` takes it: the legacy `Values` list only where no `...Config` carries the values. */
function writable(condition: RuleCondition): RuleCondition {
  const { Values, ...rest } = condition;
  const configured = Object.keys(rest).some((key) => key.endsWith("Config"));
  return configured || Values === undefined ? rest : { ...rest, Values };
}

async function acceptValues(options: HeaderRotationOptions, header: string, values: string[]): Promise<void> {
  for (const ruleArn of options.listenerRuleArns) {
    const { Rules } = await options.elb.send(new DescribeRulesCommand({ RuleArns: [ruleArn] }));
    const conditions = Rules?.[0]?.Conditions ?? [];
    const matches = (condition: RuleCondition) =>
      condition.Field === "http-header" &&
      condition.HttpHeaderConfig?.HttpHeaderName?.toLowerCase() === header.toLowerCase();
    const target = conditions.find(matches);
    if (!target) throw new Error(`listener rule ${ruleArn} has no ${header} condition`);
    const existing = target.HttpHeaderConfig?.Values ?? [];
    if (existing.length === values.length && values.every((value) => existing.includes(value))) continue;
    await options.elb.send(
      new ModifyRuleCommand({
        RuleArn: ruleArn,
        Conditions: conditions.map((condition) =>
          matches(condition)
            ? {
                Field: "http-header",
                HttpHeaderConfig: { HttpHeaderName: condition.HttpHeaderConfig!.HttpHeaderName, Values: values },
              }
            : writable(condition),
        ),
      }),
    );
  }
}

async function sendFromCloudFront(options: HeaderRotationOptions, header: string, value: string): Promise<void> {
  const cloudfront = options.cloudfront;
  if (!cloudfront) return;
  const { DistributionConfig: config, ETag } = await cloudfront.client.send(
    new GetDistributionConfigCommand({ Id: cloudfront.distributionId }),
  );
  const origin = config?.Origins?.Items?.find((candidate) => candidate.Id === cloudfront.originId);
  const custom = origin?.CustomHeaders?.Items?.find((item) => item.HeaderName?.toLowerCase() === header.toLowerCase());
  if (!config || !custom)
    throw new Error(`origin ${cloudfront.originId} of ${cloudfront.distributionId} sends no ${header}`);
  if (custom.HeaderValue === value) return;
  custom.HeaderValue = value;
  await cloudfront.client.send(
    new UpdateDistributionCommand({ Id: cloudfront.distributionId, IfMatch: ETag, DistributionConfig: config }),
  );
}

export function headerCredential(options: HeaderRotationOptions): RotationStrategy<HeaderCredential> {
  return {
    parse(text) {
      const value = JSON.parse(text) as Partial<HeaderCredential>;
      if (typeof value.header !== "string" || typeof value.value !== "string") {
        throw new Error("the secret is not { header, value }");
      }
      return value as HeaderCredential;
    },
    // 36 random bytes: 48 URL-safe characters, none of them a rule wildcard ('*', '?').
    create: (current) => ({ ...current, value: newPassword(36) }),
    async set({ pending, current }) {
      await acceptValues(options, pending.header, [current.value, pending.value]);
      await sendFromCloudFront(options, pending.header, pending.value);
    },
    async test() {
      const cloudfront = options.cloudfront;
      if (!cloudfront) return;
      const deadline = Date.now() + (cloudfront.deploySeconds ?? 780) * 1000;
      for (;;) {
        const { Distribution } = await cloudfront.client.send(
          new GetDistributionCommand({ Id: cloudfront.distributionId }),
        );
        if (Distribution?.Status === "Deployed") return;
        if (Date.now() > deadline)
          throw new Error(
            `${cloudfront.distributionId} is still ${Distribution?.Status}; the rotation will be retried`,
          );
        await new Promise((resolve) => setTimeout(resolve, cloudfront.pollMilliseconds ?? 15_000));
      }
    },
    async finish({ pending }) {
      await acceptValues(options, pending.header, [pending.value]);
    },
  };
}
