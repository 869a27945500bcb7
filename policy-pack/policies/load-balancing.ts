/** Application Load Balancers: HTTPS with a modern TLS policy, strict HTTP parsing, logs, protection. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TOKENS, bool, configStrings, record, records, resourcePolicy, str } from "./support";

/** TLS 1.2+ policies with forward-secret ciphers (ELB's TLS 1.3 family and the FS 1.2 policies). */
const DEFAULT_TLS_POLICIES = [
  "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-2021-06",
  "ELBSecurityPolicy-TLS13-1-3-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
  "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
  "ELBSecurityPolicy-FS-1-2-Res-2020-10",
];

export const dropInvalidHeaders = resourcePolicy({
  name: "alb-drop-invalid-headers",
  description: "Application Load Balancers drop HTTP headers with invalid fields.",
  anchors: { checkov: ["CKV_AWS_131"], trivy: ["AVD-AWS-0052"], fsbp: ["ELB.4"] },
  severity: "medium",
  remediation: "Set dropInvalidHeaderFields: true.",
  types: TOKENS.loadBalancer,
  validate: (props, _args, report) => {
    if (str(props, "loadBalancerType") !== "application" && props.loadBalancerType !== undefined) return;
    if (bool(props, "dropInvalidHeaderFields") !== true) report("dropInvalidHeaderFields must be true.");
  },
});

export const desyncMitigation = resourcePolicy({
  name: "alb-desync-mitigation",
  description: "Application Load Balancers mitigate HTTP desync in defensive or strictest mode.",
  anchors: { checkov: ["CKV_AWS_328"], fsbp: ["ELB.12"] },
  severity: "medium",
  remediation: 'Set desyncMitigationMode to "defensive" (the default) or "strictest".',
  types: TOKENS.loadBalancer,
  validate: (props, _args, report) => {
    const mode = str(props, "desyncMitigationMode") ?? "defensive";
    if (mode !== "defensive" && mode !== "strictest") report(`desyncMitigationMode is ${mode}.`);
  },
});

export const accessLogs = resourcePolicy({
  name: "alb-access-logs",
  description: "Load balancers write access logs.",
  anchors: { checkov: ["CKV_AWS_91"], fsbp: ["ELB.5"] },
  severity: "medium",
  remediation: "Set accessLogs: { enabled: true, bucket: <log bucket> }.",
  types: TOKENS.loadBalancer,
  validate: (props, _args, report) => {
    const logs = record(props.accessLogs);
    if (logs.enabled !== true || !str(logs, "bucket")) report("accessLogs must be enabled with a bucket.");
  },
});

export const deletionProtection = resourcePolicy({
  name: "alb-deletion-protection",
  description: "Load balancers have deletion protection (mandatory in production, advisory elsewhere).",
  anchors: { checkov: ["CKV_AWS_150"], fsbp: ["ELB.6"] },
  enforcementLevel: "advisory",
  severity: "medium",
  remediation: "Set enableDeletionProtection: true (cloudweave:deletionProtection).",
  types: TOKENS.loadBalancer,
  validate: (props, _args, report) => {
    if (bool(props, "enableDeletionProtection") !== true) report("enableDeletionProtection must be true.");
  },
});

export const httpsListeners = resourcePolicy({
  name: "alb-https-only",
  description: "Listeners speak HTTPS; a plain-HTTP listener may only redirect to HTTPS.",
  anchors: { checkov: ["CKV_AWS_2", "CKV2_AWS_20"], trivy: ["AVD-AWS-0054"], fsbp: ["ELB.1"] },
  severity: "high",
  remediation: 'Use protocol "HTTPS" with a certificate, or make the HTTP listener\'s only action a redirect to HTTPS.',
  types: TOKENS.listener,
  validate: (props, _args, report) => {
    const protocol = str(props, "protocol") ?? "HTTP";
    if (protocol === "HTTPS" || protocol === "TLS") return;
    if (protocol !== "HTTP") return; // TCP/UDP listeners belong to network load balancers.
    const actions = records(props, "defaultActions");
    const redirects =
      actions.length > 0 &&
      actions.every(
        (action) => str(action, "type") === "redirect" && str(record(action.redirect), "protocol") === "HTTPS",
      );
    if (!redirects) report("an HTTP listener may only redirect to HTTPS.");
  },
});

export const tlsPolicy = resourcePolicy({
  name: "alb-tls-policy",
  description: "HTTPS listeners use a TLS 1.2+ security policy with forward-secret ciphers.",
  anchors: { checkov: ["CKV_AWS_103"], trivy: ["AVD-AWS-0047"] },
  severity: "high",
  remediation: "Set sslPolicy to ELBSecurityPolicy-TLS13-1-2-Res-2021-06 (or another policy in the pack config).",
  configSchema: {
    properties: { allowedPolicies: { type: "array", items: { type: "string" }, default: DEFAULT_TLS_POLICIES } },
  },
  types: TOKENS.listener,
  validate: (props, args, report) => {
    if (str(props, "protocol") !== "HTTPS" && str(props, "protocol") !== "TLS") return;
    const allowed = configStrings(args, "allowedPolicies", DEFAULT_TLS_POLICIES);
    const policy = str(props, "sslPolicy");
    if (!policy || !allowed.includes(policy)) {
      report(`sslPolicy ${policy ?? "(the ELB default)"} is not one of: ${allowed.join(", ")}.`);
    }
  },
});

export const loadBalancingPolicies: ResourceValidationPolicy[] = [
  dropInvalidHeaders,
  desyncMitigation,
  accessLogs,
  deletionProtection,
  httpsListeners,
  tlsPolicy,
];
