/**
 * Decides a request against IAM policies the way AWS's policy evaluation logic does for a principal and a resource
 * in the same account (IAM User Guide, "Policy evaluation logic"): an explicit deny in any policy wins; otherwise the
 * request needs an allow in an identity policy and, where the principal has a permissions boundary, in the boundary
 * too. Resource policies are read for their denies only (the tests use them to confine, never to grant).
 *
 * Conditions follow "IAM JSON policy elements: Condition operators": a key missing from the request makes an
 * operator false, except a negated one (`StringNotEquals`, `ArnNotLike`, ...), which is then true; `…IfExists` is
 * true when the key is missing; `Null: "true"` means the key is missing. Several values of one key are alternatives,
 * several keys and several operators must all hold. Actions match case-insensitively, resources and ARN conditions
 * with `*` and `?` wildcards.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: string | string[]; Service?: string | string[] };
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export interface IamRequest {
  principalArn: string;
  action: string;
  resource: string;
  /** Condition keys the service sends, e.g. `aws:ResourceTag/Environment` (`aws:PrincipalArn` is added). */
  context?: Record<string, string | string[]>;
}

export interface Principal {
  identityPolicies: PolicyDocument[];
  permissionsBoundary?: PolicyDocument;
}

export type Decision = "allow" | "explicit deny" | "implicit deny";

/** The decision on `request` for `principal`, with the resource's policy when it has one. */
export function evaluate(principal: Principal, request: IamRequest, resourcePolicy?: PolicyDocument): Decision {
  const context = { "aws:PrincipalArn": request.principalArn, ...request.context };
  const matching = (document: PolicyDocument | undefined, effect: "Allow" | "Deny", withPrincipal = false) =>
    statementsOf(document).some(
      (statement) =>
        statement.Effect === effect &&
        (!withPrincipal || principalMatches(statement, request.principalArn)) &&
        actionMatches(statement, request.action) &&
        resourceMatches(statement, request.resource) &&
        conditionsHold(statement.Condition ?? {}, context),
    );
  const denied =
    principal.identityPolicies.some((document) => matching(document, "Deny")) ||
    matching(principal.permissionsBoundary, "Deny") ||
    matching(resourcePolicy, "Deny", true);
  if (denied) return "explicit deny";
  // Within an account, a resource policy that names the principal allows on its own (a service principal has no
  // identity policies at all): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  const allowed =
    matching(resourcePolicy, "Allow", true) ||
    (principal.identityPolicies.some((document) => matching(document, "Allow")) &&
      (principal.permissionsBoundary === undefined || matching(principal.permissionsBoundary, "Allow")));
  return allowed ? "allow" : "implicit deny";
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function statementsOf(document: PolicyDocument | undefined): PolicyStatement[] {
  return document ? list(document.Statement as never).map((statement) => statement as unknown as PolicyStatement) : [];
}

/** `*` any run of characters, `?` one character; the rest literally. */
function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "").test(value);
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.NotAction !== undefined) return !list(statement.NotAction).some((p) => wildcard(p, action, true));
  return list(statement.Action).some((pattern) => wildcard(pattern, action, true));
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.NotResource !== undefined) return !list(statement.NotResource).some((p) => wildcard(p, resource));
  return list(statement.Resource).some((pattern) => wildcard(pattern, resource));
}

function principalMatches(statement: PolicyStatement, principalArn: string): boolean {
  if (statement.Principal === "*") return true;
  // A service acting as itself is named by its service principal (budgets.amazonaws.com) in place of an ARN.
  if (list(statement.Principal?.Service).includes(principalArn)) return true;
  return list(statement.Principal?.AWS).some((arn) => arn === "*" || arn === principalArn);
}

type Test = (expected: string, actual: string) => boolean;
const TESTS: Record<string, { test: Test; negated: boolean }> = {
  StringEquals: { test: (e, a) => e === a, negated: false },
  StringNotEquals: { test: (e, a) => e === a, negated: true },
  StringEqualsIgnoreCase: { test: (e, a) => e.toLowerCase() === a.toLowerCase(), negated: false },
  StringLike: { test: (e, a) => wildcard(e, a), negated: false },
  StringNotLike: { test: (e, a) => wildcard(e, a), negated: true },
  ArnEquals: { test: (e, a) => e === a, negated: false },
  ArnNotEquals: { test: (e, a) => e === a, negated: true },
  ArnLike: { test: (e, a) => wildcard(e, a), negated: false },
  ArnNotLike: { test: (e, a) => wildcard(e, a), negated: true },
  Bool: { test: (e, a) => e.toLowerCase() === a.toLowerCase(), negated: false },
};

function conditionsHold(
  conditions: Record<string, Record<string, string | string[]>>,
  context: Record<string, string | string[]>,
): boolean {
  return Object.entries(conditions).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, context[key], list(expected))),
  );
}

function conditionHolds(operator: string, actual: string | string[] | undefined, expected: string[]): boolean {
  if (operator === "Null") return expected.every((value) => (value === "true") === (actual === undefined));
  const [qualifier, rest] = operator.includes(":") ? (operator.split(":") as [string, string]) : [undefined, operator];
  const ifExists = rest.endsWith("IfExists");
  const name = ifExists ? rest.slice(0, -"IfExists".length) : rest;
  const spec = TESTS[name];
  if (!spec) throw new Error(`iam-evaluator: condition operator ${operator} is not implemented`);
  if (actual === undefined) return ifExists || spec.negated || qualifier === "ForAllValues";
  const values = list(actual);
  const matchesAny = (value: string) => expected.some((candidate) => spec.test(candidate, value));
  const holds = (value: string) => (spec.negated ? !matchesAny(value) : matchesAny(value));
  if (qualifier === "ForAllValues") return values.every(holds);
  return values.some(holds);
}
