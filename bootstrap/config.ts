import { z } from "zod";

const NAME = /^[A-Za-z0-9_.-]+$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

const schema = z.strictObject({
  "aws:region": z.string().regex(REGION, { message: "must be an AWS region such as us-east-1" }),
  "aws:defaultTags": z.strictObject({ tags: z.record(z.string(), z.string()) }).optional(),
  "cloudweave-bootstrap:github": z.strictObject({
    owner: z.string().regex(NAME, { message: "must be a GitHub organisation or user name" }),
    repository: z.string().regex(NAME, { message: "must be a GitHub repository name" }),
  }),
  "cloudweave-bootstrap:stacks": z
    .array(z.string().regex(/^[a-z0-9-]+$/, { message: "must be a stack name (lower-case, digits, '-')" }))
    .min(1, "must list the stacks CI deploys"),
  "cloudweave-bootstrap:drRegion": z.string().regex(REGION, { message: "must be an AWS region such as us-west-2" }),
  "cloudweave-bootstrap:stateVersionRetentionDays": z.number().int().min(1, "must be at least 1 day"),
  "cloudweave-bootstrap:operatorRoleArnPatterns": z
    .array(z.string().regex(/^arn:aws[a-z-]*:iam::[0-9*]*:role\/.+$/, { message: "must be an IAM role ARN pattern" }))
    .default([]),
});

/** The bootstrap stack's validated settings. */
export interface BootstrapConfig {
  region: string;
  defaultTags: Record<string, string>;
  github: { owner: string; repository: string };
  stacks: string[];
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
  if (parsed["cloudweave-bootstrap:drRegion"] === parsed["aws:region"]) {
    throw new Error("Invalid bootstrap configuration:\n  - cloudweave-bootstrap:drRegion: must differ from aws:region");
  }
  return {
    region: parsed["aws:region"],
    defaultTags: parsed["aws:defaultTags"]?.tags ?? {},
    github: parsed["cloudweave-bootstrap:github"],
    stacks: parsed["cloudweave-bootstrap:stacks"],
    drRegion: parsed["cloudweave-bootstrap:drRegion"],
    stateVersionRetentionDays: parsed["cloudweave-bootstrap:stateVersionRetentionDays"],
    operatorRoleArnPatterns: parsed["cloudweave-bootstrap:operatorRoleArnPatterns"],
  };
}
