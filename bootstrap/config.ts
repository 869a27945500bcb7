import { z } from "zod";
import { BOOTSTRAP_TAG } from "../components/lib/delivery";
import { ACCOUNT_ID, REGION } from "../config/fields";

const NAME = /^[A-Za-z0-9_.-]+$/;
/** A stack or environment name: what Pulumi accepts in a stack name and IAM in a role name. */
const STACK = /^[a-z0-9-]+$/;

const schema = z
  .strictObject({
    "aws:region": z.string().regex(REGION, { message: "must be an AWS region such as us-east-1" }),
    "aws:allowedAccountIds": z
      .array(z.string().regex(ACCOUNT_ID, { message: "must be a 12-digit AWS account id" }), {
        error: "must list the account this bootstrap stack sets up",
      })
      .length(1, "must list exactly one account: each account has its own bootstrap stack"),
    "aws:defaultTags": z.strictObject({ tags: z.record(z.string(), z.string()) }),
    "cloudweave-bootstrap:github": z.strictObject({
      owner: z.string().regex(NAME, { message: "must be a GitHub organisation or user name" }),
      repository: z.string().regex(NAME, { message: "must be a GitHub repository name" }),
    }),
    "cloudweave-bootstrap:stacks": z
      .array(
        z.strictObject({
          name: z.string().regex(STACK, { message: "must be a stack name (lower-case letters, digits, '-')" }),
          environment: z.string().regex(STACK, { message: "must be the stack's cloudweave:environment" }),
        }),
      )
      .min(1, "must list the stacks CI deploys into this account"),
    "cloudweave-bootstrap:drRegion": z.string().regex(REGION, { message: "must be an AWS region such as us-west-2" }),
    "cloudweave-bootstrap:stateVersionRetentionDays": z.number().int().min(1, "must be at least 1 day"),
    "cloudweave-bootstrap:operatorRoleArnPatterns": z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::[0-9*]*:role\/.+$/, { message: "must be an IAM role ARN pattern" }))
      .default([]),
  })
  .superRefine((raw, ctx) => {
    if (raw["cloudweave-bootstrap:drRegion"] === raw["aws:region"]) {
      ctx.addIssue({ code: "custom", path: ["cloudweave-bootstrap:drRegion"], message: "must differ from aws:region" });
    }
    // The CI roles' guardrails tell the bootstrap program's resources by this tag; the default provider puts it on
    // every one of them only if the stack file's default tags carry it.
    if (raw["aws:defaultTags"].tags[BOOTSTRAP_TAG.key] !== BOOTSTRAP_TAG.value) {
      ctx.addIssue({
        code: "custom",
        path: ["aws:defaultTags", "tags", BOOTSTRAP_TAG.key],
        message: `must be "${BOOTSTRAP_TAG.value}": the CI roles may change nothing that carries it`,
      });
    }
    const names = raw["cloudweave-bootstrap:stacks"].map((stack) => stack.name);
    names.forEach((name, index) => {
      if (names.indexOf(name) !== index) {
        ctx.addIssue({
          code: "custom",
          path: ["cloudweave-bootstrap:stacks", index, "name"],
          message: `lists ${name} twice`,
        });
      }
    });
  });

/** The bootstrap stack's validated settings. */
export interface BootstrapConfig {
  region: string;
  /** The account this bootstrap stack sets up (`aws:allowedAccountIds[0]`). */
  accountId: string;
  defaultTags: Record<string, string>;
  github: { owner: string; repository: string };
  /** The stacks CI deploys into this account, with their environments (one, or several in a shared account). */
  stacks: { name: string; environment: string }[];
  drRegion: string;
  stateVersionRetentionDays: number;
  /** People's roles (ARN patterns, e.g. the SSO administrator role) that run `pulumi` by hand and read stack secrets. */
  operatorRoleArnPatterns: string[];
}

/** Validates the bootstrap stack's settings (keyed as in its stack file); throws naming every bad key. */
export function parseBootstrapConfig(raw: Record<string, unknown>): BootstrapConfig {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid bootstrap configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  const parsed = result.data;
  return {
    region: parsed["aws:region"],
    accountId: parsed["aws:allowedAccountIds"][0] as string,
    defaultTags: parsed["aws:defaultTags"].tags,
    github: parsed["cloudweave-bootstrap:github"],
    stacks: parsed["cloudweave-bootstrap:stacks"],
    drRegion: parsed["cloudweave-bootstrap:drRegion"],
    stateVersionRetentionDays: parsed["cloudweave-bootstrap:stateVersionRetentionDays"],
    operatorRoleArnPatterns: parsed["cloudweave-bootstrap:operatorRoleArnPatterns"],
  };
}
