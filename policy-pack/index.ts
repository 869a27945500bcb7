/**
 * The CloudWeave CrossGuard pack: `pulumi preview --policy-pack policy-pack [--policy-pack-config
 * policy-pack/config/<stack>.json]`. This entry point is the only place a PolicyPack is constructed (constructing one
 * starts the analyzer's gRPC server); the policies live in `policies/`, which the tests and the offline plan import.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("cloudweave", {
  description: "CloudWeave guardrails: encryption, security groups, data stores, storage, logging, ALB, CDN, ECS",
  enforcementLevel: "mandatory",
  policies,
});
