/**
 * The access string of the user group's `default` user (ElastiCache requires a user named `default` in every user
 * group): switched off, so a client that does not authenticate as the application's user can do nothing
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html, "Applying RBAC"). A module without
 * the Pulumi SDK, so the tests against a real Redis load it alone.
 */
export const DISABLED_DEFAULT_USER = "off -@all";
