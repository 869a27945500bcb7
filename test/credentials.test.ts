import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { APP_DATABASE_ROLES } from "../config/app";
import { ROTATION_ENVIRONMENT, type RotationKind } from "../functions/rotation/kinds";
import { bundledFunction } from "../components/lib/bundled-function";
import { PROJECT_ROOT, ProgramFailed, runProgram, type StackRun } from "../offline/harness";
import type { DeclaredResource } from "../offline/mocks";
import {
  STACKS,
  prefixOf,
  isIdleStandby,
  byArn,
  json,
  ofType,
  revealed,
  single,
  stackConfig,
  stackRun,
} from "./helpers";
import { evaluate, type PolicyDocument } from "./iam-evaluator";

/** ALB's limit on the values of a rule's conditions, together (not adjustable): load-balancer-limits.html. */
const CONDITION_VALUES_PER_RULE = 5;

interface Rotation {
  /** The secret it rotates: declared by this stack, or (a standby's master) the primary's replica, by ARN. */
  secretArn: string;
  /** The rotation schedule; none where the rotation is prepared only (a standby's, until it is recovered). */
  schedule: DeclaredResource | undefined;
  /** The declared secret; none for the primary's replica a standby rotates once the recovery makes it its own. */
  secret: DeclaredResource | undefined;
  fn: DeclaredResource;
  kind: RotationKind;
  environment: Record<string, string>;
  policy: PolicyDocument;
}

/** Every rotation function of the stack: one a permission lets Secrets Manager invoke for one secret. */
function rotations(run: StackRun): Rotation[] {
  const schedules = ofType(run, "aws:secretsmanager/secretRotation:SecretRotation");
  const permissions = ofType(run, "aws:lambda/permission:Permission").filter(
    (permission) => permission.inputs.principal === "secretsmanager.amazonaws.com",
  );
  return permissions.map((permission) => {
    const fn = ofType(run, "aws:lambda/function:Function").find((f) => f.outputs.name === permission.inputs.function)!;
    const secretArn = String(permission.inputs.sourceArn);
    const secret = run.resources.find((resource) => resource.outputs.arn === secretArn);
    const schedule = schedules.find((candidate) => candidate.inputs.secretId === secretArn);
    if (schedule)
      expect(schedule.inputs.rotationLambdaArn, `${fn.name} is the one its schedule runs`).to.equal(fn.outputs.arn);
    const environment = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    const role = byArn(run, fn.inputs.role);
    const policies = ofType(run, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === role.outputs.name);
    expect(policies, `${fn.name}'s role has one inline policy`).to.have.length(1);
    return {
      schedule,
      secretArn,
      secret,
      fn,
      kind: environment.ROTATION_KIND as RotationKind,
      environment,
      policy: json<PolicyDocument>(policies[0]!, "policy"),
    };
  });
}

describe("credentials that rotate, on both stacks", () => {
  for (const stack of STACKS) {
    describe(stack, () => {
      let run: StackRun;
      const config = stackConfig(stack);
      before(async () => {
        run = await stackRun(stack);
      });

      const standby = config.disasterRecovery?.role === "standby";

      it("rotates every secret on its schedule from the stack file, each with its own function", () => {
        const all = rotations(run);
        const secrets = ofType(run, "aws:secretsmanager/secret:Secret");
        const declared = all.filter((r) => r.secret !== undefined);
        expect(declared.map((r) => r.secret!.urn).sort()).to.deep.equal(secrets.map((s) => s.urn).sort());
        // The only secret rotated without being declared: a standby's master secret, the primary's replica.
        expect(all.filter((r) => r.secret === undefined).map((r) => r.secretArn)).to.deep.equal(
          standby ? [run.outputs.databaseMasterSecretArn] : [],
        );
        // An idle standby's data stores are read-only or absent: their rotations are prepared, switched on when it is
        // recovered (ADR 24). Everything else rotates on its schedule.
        const prepared = isIdleStandby(stack) ? ["postgres-application", "postgres-master", "redis-user"] : [];
        expect(
          all.filter((r) => r.schedule === undefined).map((r) => r.kind),
          "prepared, not scheduled",
        ).to.have.members(prepared);
        expect(new Set(all.map((r) => r.fn.urn)).size, "one function per secret").to.equal(all.length);
        const days: Record<RotationKind, number> = {
          "postgres-master": config.secrets.credentialRotationDays,
          "postgres-application": config.secrets.credentialRotationDays,
          "redis-user": config.secrets.credentialRotationDays,
          "jwt-key": config.secrets.jwt.rotationDays,
          header: config.secrets.headerRotationDays,
        };
        // A standby does not rotate the primary's origin header (production's CloudFront sends it); its master
        // user's rotation is prepared for the primary's replica, and scheduled once the recovery made it its own.
        expect(all.map((r) => r.kind).sort()).to.deep.equal(
          standby
            ? ["header", "jwt-key", "postgres-application", "postgres-master", "redis-user"]
            : ["header", "header", "jwt-key", "postgres-application", "postgres-master", "redis-user"],
        );
        for (const rotation of all) {
          if (!rotation.schedule) continue;
          expect(rotation.schedule.inputs.rotationRules, rotation.fn.name).to.deep.equal({
            scheduleExpression: `rate(${days[rotation.kind]} days)`,
          });
          for (const variable of ROTATION_ENVIRONMENT[rotation.kind]) {
            expect(rotation.environment[variable], `${rotation.fn.name} ${variable}`).to.be.a("string").and.not.empty;
          }
        }
      });

      it("connects to the data stores from the private subnets in the rotation group; the others stay out of the VPC", () => {
        const network = run.outputs.securityGroupIds as Record<string, string>;
        const privateSubnets = run.outputs.privateSubnetIds as string[];
        for (const { fn, kind, environment } of rotations(run)) {
          // TLS to RDS verifies against Amazon's CAs, which Node.js 20+ Lambda runtimes load only when told to.
          expect(environment.NODE_EXTRA_CA_CERTS, fn.name).to.equal(
            kind.startsWith("postgres-") ? "/var/runtime/ca-cert.pem" : undefined,
          );
          const inVpc = ["postgres-master", "postgres-application", "redis-user"].includes(kind);
          expect(fn.inputs.vpcConfig, fn.name).to.deep.equal(
            inVpc ? { subnetIds: privateSubnets, securityGroupIds: [network.rotation] } : undefined,
          );
        }
      });

      it("lets each function touch its own secret and key only, and only what its kind changes", () => {
        const all = rotations(run);
        const secretsKey = String((run.outputs.kmsKeyArns as Record<string, string>).secrets);
        const region = config.region;
        for (const rotation of all) {
          const principal = { identityPolicies: [rotation.policy] };
          const can = (action: string, resource: string, context: Record<string, string> = {}) =>
            evaluate(principal, { principalArn: String(rotation.fn.outputs.arn), action, resource, context }) ===
            "allow";
          const own = rotation.secretArn;
          for (const action of ["PutSecretValue", "UpdateSecretVersionStage", "GetSecretValue", "DescribeSecret"]) {
            expect(can(`secretsmanager:${action}`, own), `${rotation.fn.name} ${action} on its secret`).to.equal(true);
          }
          for (const other of all.filter((candidate) => candidate !== rotation)) {
            const arn = other.secretArn;
            expect(
              can("secretsmanager:PutSecretValue", arn),
              `${rotation.fn.name} writes ${other.fn.name}'s secret`,
            ).to.equal(false);
            const readsMaster = rotation.kind === "postgres-application" && other.kind === "postgres-master";
            expect(
              can("secretsmanager:GetSecretValue", arn),
              `${rotation.fn.name} reads ${other.fn.name}'s secret`,
            ).to.equal(readsMaster);
          }
          if (rotation.kind === "postgres-application") {
            // The master user's secret it reads: its own stack's, or on a standby the replica of the primary's.
            const master = String(run.outputs.databaseMasterSecretArn);
            expect(can("secretsmanager:GetSecretValue", master), "reads the master's secret").to.equal(true);
            expect(can("secretsmanager:PutSecretValue", master), "writes the master's secret").to.equal(false);
          }
          const via = { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` };
          // The primary's replicated master secret is encrypted with the primary's key's replica here, which the
          // standby looks up by alias; the app rotation reads that secret, so it decrypts with that key too.
          const replicaKey = run.calls.find((call) => call.token === "aws:kms/getKey:getKey")?.outputs.arn as
            string | undefined;
          const key = rotation.secret === undefined ? replicaKey! : secretsKey;
          expect(can("kms:Decrypt", key, via)).to.equal(true);
          expect(can("kms:Decrypt", key), "the key outside Secrets Manager").to.equal(false);
          expect(can("kms:Decrypt", key.replace(/key\/.*/, "key/other"), via)).to.equal(false);
          if (replicaKey && rotation.secret !== undefined) {
            expect(can("kms:Decrypt", replicaKey, via), `${rotation.fn.name} and the primary's key`).to.equal(
              rotation.kind === "postgres-application",
            );
          }
          expect(can("secretsmanager:GetRandomPassword", "*"), "passwords come from the function's CSPRNG").to.equal(
            false,
          );
          expect(can("elasticache:ModifyUser", "*")).to.equal(false);
          expect(can("elasticloadbalancing:ModifyRule", "*")).to.equal(false);
          expect(can("cloudfront:UpdateDistribution", "*")).to.equal(false);
        }
        const redis = all.find((r) => r.kind === "redis-user")!;
        const appUser = single(run, "aws:elasticache/user:User", `${prefixOf(stack)}-redis-app-user`);
        const defaultUser = single(run, "aws:elasticache/user:User", `${prefixOf(stack)}-redis-default-user`);
        const redisCan = (action: string, resource: string) =>
          evaluate(
            { identityPolicies: [redis.policy] },
            { principalArn: String(redis.fn.outputs.arn), action, resource },
          ) === "allow";
        expect(redisCan("elasticache:ModifyUser", String(appUser.outputs.arn))).to.equal(true);
        expect(redisCan("elasticache:ModifyUser", String(defaultUser.outputs.arn)), "the default user").to.equal(false);

        const rules = ofType(run, "aws:lb/listenerRule:ListenerRule");
        for (const header of all.filter((r) => r.kind === "header")) {
          const named = header.environment.LISTENER_RULE_ARNS!.split(",");
          const headerCan = (action: string, resource: string) =>
            evaluate(
              { identityPolicies: [header.policy] },
              { principalArn: String(header.fn.outputs.arn), action, resource },
            ) === "allow";
          for (const rule of rules) {
            expect(headerCan("elasticloadbalancing:ModifyRule", String(rule.outputs.arn)), rule.name).to.equal(
              named.includes(String(rule.outputs.arn)),
            );
          }
          const distribution = header.environment.DISTRIBUTION_ID;
          if (distribution) {
            const cdn = single(run, "aws:cloudfront/distribution:Distribution");
            expect(distribution).to.equal(cdn.id);
            expect(headerCan("cloudfront:UpdateDistribution", String(cdn.outputs.arn))).to.equal(true);
            expect(headerCan("wafv2:GetWebACL", String(cdn.inputs.webAclId)), "CloudFront checks it").to.equal(true);
            expect(headerCan("wafv2:UpdateWebACL", String(cdn.inputs.webAclId))).to.equal(false);
          }
        }
      });

      it("lets the rotated headers' rules hold the old and the new value within ALB's 5 condition values", () => {
        const named = rotations(run)
          .filter((r) => r.kind === "header")
          .flatMap((r) => r.environment.LISTENER_RULE_ARNS!.split(","));
        const rules = ofType(run, "aws:lb/listenerRule:ListenerRule");
        const origin = rules.filter((rule) => named.filter((arn) => arn === rule.outputs.arn).length > 0);
        expect(origin.length, "every rule with a rotated header is named by its rotation").to.be.greaterThan(0);
        for (const rule of rules) {
          const conditions = revealed(rule.inputs.conditions) as {
            httpHeader?: { values: string[] };
            pathPattern?: { values: string[] };
          }[];
          const values = conditions.reduce(
            (sum, condition) =>
              sum + (condition.httpHeader?.values.length ?? 0) + (condition.pathPattern?.values.length ?? 0),
            0,
          );
          // Every rotation that names the rule may add one value to it at the same time. A standby's origin header is
          // the primary's, which its deployments set: no rotation of its own names it.
          const rotating = named.filter((arn) => arn === rule.outputs.arn).length;
          const headers = conditions.filter(
            (condition) =>
              condition.httpHeader &&
              !(standby && (condition.httpHeader as { httpHeaderName?: string }).httpHeaderName === "X-Origin-Verify"),
          ).length;
          expect(rotating, `${rule.name}: each header condition rotates`).to.equal(headers);
          expect(values + rotating, rule.name).to.be.at.most(CONDITION_VALUES_PER_RULE);
        }
      });

      it("lets the backend read its own rotating secrets at run time, and not the master user's", () => {
        const backendRole = ofType(run, "aws:iam/role:Role").find(
          (role) => role.name === `${prefixOf(stack)}-backend-task`,
        );
        expect(backendRole, "the backend's task role").to.not.equal(undefined);
        const documents = ofType(run, "aws:iam/rolePolicy:RolePolicy")
          .filter((policy) => policy.inputs.role === backendRole!.outputs.name)
          .map((policy) => json<PolicyDocument>(policy, "policy"));
        const can = (secret: string) =>
          evaluate(
            { identityPolicies: documents },
            {
              principalArn: String(backendRole!.outputs.arn),
              action: "secretsmanager:GetSecretValue",
              resource: secret,
            },
          ) === "allow";
        const arns = run.outputs.secretArns as Record<string, string>;
        for (const name of ["database", "redis", "jwt"]) expect(can(arns[name]!), name).to.equal(true);
        expect(can(run.outputs.databaseMasterSecretArn as string), "the master user's secret").to.equal(false);
        const task = single(run, "aws:ecs/taskDefinition:TaskDefinition", `${prefixOf(stack)}-backend-task`);
        const [app] = JSON.parse(String(task.inputs.containerDefinitions)) as {
          environment: { name: string; value: string }[];
        }[];
        const environment = Object.fromEntries(app!.environment.map((variable) => [variable.name, variable.value]));
        expect(environment).to.include({
          DATABASE_CONNECTION_ARN: arns.database,
          REDIS_CONNECTION_ARN: arns.redis,
          JWT_SETTINGS_ARN: arns.jwt,
        });
      });

      it("is described by docs/credentials.md: one row per secret, named by its stack output, with its schedule's setting", () => {
        const text = readFileSync(join(PROJECT_ROOT, "docs", "credentials.md"), "utf8");
        const rows = text
          .split("\n")
          .filter((line) => /^\| `[\w.]+` /.test(line))
          .map((line) => line.split("|").map((cell) => cell.trim()));
        const at = (path: string) =>
          path
            .split(".")
            .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], run.outputs);
        const all = rotations(run);
        const documented = rows.flatMap(([, output, , , every]) => {
          const arn = at(output!.replace(/`/g, ""));
          // A standby has no edge (and no origin-header secret of its own).
          if (standby && arn === undefined) return [];
          const rotation = all.find((r) => r.secretArn === arn);
          expect(rotation, `${output} names a rotating secret`).to.not.equal(undefined);
          const setting = every!.replace(/`/g, "");
          const days = setting
            .split(".")
            .reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], config.secrets);
          if (rotation!.schedule) {
            expect(rotation!.schedule.inputs.rotationRules, `${output} every ${setting}`).to.deep.equal({
              scheduleExpression: `rate(${String(days)} days)`,
            });
          }
          return [rotation!.secretArn];
        });
        expect(documented.sort()).to.deep.equal(all.map((r) => r.secretArn).sort());
      });

      it("tells the warning topic when a rotation fails or is abandoned", () => {
        const rule = ofType(run, "aws:cloudwatch/eventRule:EventRule").find((r) => r.name.endsWith("-rotation-failed"));
        expect(json(rule!, "eventPattern")).to.deep.equal({
          source: ["aws.secretsmanager"],
          "detail-type": ["AWS Service Event via CloudTrail"],
          detail: { eventSource: ["secretsmanager.amazonaws.com"], eventName: ["RotationFailed", "RotationAbandoned"] },
        });
        const target = ofType(run, "aws:cloudwatch/eventTarget:EventTarget").find(
          (t) => t.inputs.rule === rule!.outputs.name,
        );
        expect(target?.inputs.arn).to.equal(
          (run.outputs.operations as { alertTopics: Record<string, string> }).alertTopics.warning,
        );
      });

      it("bootstraps the application's roles at deploy time with the roles of config/app.ts", () => {
        const app = rotations(run).find((r) => r.kind === "postgres-application")!;
        expect(app.environment).to.include({
          APP_OWNER_ROLE: APP_DATABASE_ROLES.owner,
          APP_SCHEMA: APP_DATABASE_ROLES.schema,
          APP_USER: APP_DATABASE_ROLES.user,
          MASTER_SECRET_ARN: run.outputs.databaseMasterSecretArn,
          APP_SECRET_ARN: (run.outputs.secretArns as Record<string, string>).database,
        });
        // A read replica takes no writes: a standby bootstraps when it is promoted (its roles are the primary's).
        const invocations = ofType(run, "aws:lambda/invocation:Invocation");
        expect(invocations).to.have.length(isIdleStandby(stack) ? 0 : 1);
        for (const bootstrap of invocations) expect(bootstrap.inputs.functionName).to.equal(app.fn.outputs.name);
        expect(String(app.fn.outputs.arn)).to.match(
          new RegExp(`^arn:aws:lambda:${config.region}:${config.accountId}:function:`),
        );
      });
    });
  }
});

describe("bundledFunction: what every function of the project is built with", () => {
  const declare = (timeoutSeconds: number) =>
    runProgram("staging", () => {
      bundledFunction(
        "cloudweave-staging-probe",
        {
          account: { accountId: "444455556666", partition: "aws" },
          code: "release-checks",
          logGroupName: "/cloudweave/probe",
          logs: { kmsKeyArn: "arn:aws:kms:us-east-1:444455556666:key/probe", retentionInDays: 30 },
          description: "probe",
          roleDescription: "probe",
          statements: [],
          timeoutSeconds,
        },
        {},
      );
    });

  it("refuses a timeout Lambda does not allow (1-900 s) before declaring the function", async () => {
    for (const timeout of [0, 901]) {
      const failure = await declare(timeout).catch((error: unknown) => error);
      expect(failure, `${timeout} s`).to.be.instanceOf(ProgramFailed);
      expect((failure as ProgramFailed).message).to.equal(
        `cloudweave-staging-probe: timeoutSeconds ${timeout} is not 1-900`,
      );
      expect((failure as ProgramFailed).declared.filter((resource) => resource.custom)).to.deep.equal([]);
    }
    const run = await declare(900);
    expect(single(run, "aws:lambda/function:Function").inputs.timeout).to.equal(900);
    expect(single(run, "aws:lambda/function:Function").inputs.vpcConfig, "outside any VPC by default").to.equal(
      undefined,
    );
  });
});
