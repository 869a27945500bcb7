import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { cdnPolicies } from "./cdn";
import { containerPolicies } from "./containers";
import { dataStorePolicies } from "./data-stores";
import { encryptionPolicies } from "./encryption";
import { loadBalancingPolicies } from "./load-balancing";
import { loggingAndKeyPolicies } from "./logging-and-keys";
import { securityGroupPolicies } from "./security-groups";
import { storagePolicies } from "./storage";

/** Every policy of the pack, grouped by area (policy-pack/README.md lists them, generated). */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  ...encryptionPolicies,
  ...securityGroupPolicies,
  ...dataStorePolicies,
  ...storagePolicies,
  ...loggingAndKeyPolicies,
  ...loadBalancingPolicies,
  ...cdnPolicies,
  ...containerPolicies,
];
