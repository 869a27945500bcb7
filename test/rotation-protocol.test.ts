import { createHmac } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  CloudFrontClient,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  UpdateDistributionCommand,
  type DistributionConfig,
  type UpdateDistributionCommandInput,
} from "@aws-sdk/client-cloudfront";
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  type ModifyRuleCommandInput,
  type RuleCondition,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { functionBundle } from "../functions/bundle";
import { headerCredential, type HeaderCredential } from "../functions/rotation/header";
import { notReady, whenReady } from "../functions/rotation/postgres";
import { jwtSigningKey, type JwtSettings } from "../functions/rotation/jwt";
import { rotationHandler, type RotationStrategy } from "../functions/rotation/protocol";
import { FakeSecretsManager } from "./support/secrets-manager";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };

/** The message a promise is rejected with; fails the test when it resolves. */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return String((error as Error).message);
  }
  throw new Error("expected a rejection");
}
const SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:test-AbCdEf";

/** A strategy that records its calls; its values are `{ n }` documents. */
function recorder(): { strategy: RotationStrategy<{ n: number }>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    strategy: {
      parse: (text) => JSON.parse(text) as { n: number },
      create: (current) => {
        calls.push(`create ${current.n}`);
        return { n: current.n + 1 };
      },
      set: ({ pending }) => Promise.resolve(void calls.push(`set ${pending.n}`)),
      test: (pending) => Promise.resolve(void calls.push(`test ${pending.n}`)),
      finish: ({ pending }) => Promise.resolve(void calls.push(`finish ${pending.n}`)),
    },
  };
}

describe("the Secrets Manager rotation protocol (functions/rotation/protocol.ts, AWS SDK mocked)", () => {
  const client = new SecretsManagerClient({ region: "us-east-1", credentials });
  const sm = mockClient(client);
  const event = (Step: string, ClientRequestToken = "new") =>
    ({ Step, SecretId: SECRET, ClientRequestToken }) as Parameters<ReturnType<typeof rotationHandler>>[0];
  const describe_ = (versions: Record<string, string[]>, RotationEnabled = true) =>
    sm.on(DescribeSecretCommand).resolves({ RotationEnabled, VersionIdsToStages: versions });
  afterEach(() => sm.reset());

  it("refuses a secret without rotation, a token it does not know, and a token that is not pending", async () => {
    const { strategy } = recorder();
    const handler = rotationHandler(client, strategy);
    describe_({ old: ["AWSCURRENT"], new: ["AWSPENDING"] }, false);
    expect(await failure(handler(event("createSecret")))).to.match(/does not have rotation enabled/);
    describe_({ old: ["AWSCURRENT"] });
    expect(await failure(handler(event("createSecret")))).to.match(/has no version new/);
    describe_({ old: ["AWSCURRENT"], new: [] });
    expect(await failure(handler(event("setSecret")))).to.match(/is not AWSPENDING/);
    expect(await failure(handler(event("rotateEverything")))).to.match(/unknown rotation step/);
  });

  it("does nothing for a token that is already current (a retried or tested finished rotation)", async () => {
    const { strategy, calls } = recorder();
    describe_({ new: ["AWSCURRENT", "AWSPENDING"], old: ["AWSPREVIOUS"] });
    for (const step of ["createSecret", "setSecret", "testSecret", "finishSecret"]) {
      await rotationHandler(client, strategy)(event(step));
    }
    expect(calls).to.deep.equal([]);
    expect(sm.commandCalls(PutSecretValueCommand)).to.have.length(0);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).to.have.length(0);
  });

  it("creates the pending value once, under the token, labelled AWSPENDING", async () => {
    const { strategy, calls } = recorder();
    describe_({ old: ["AWSCURRENT"], new: ["AWSPENDING"] });
    sm.on(GetSecretValueCommand, { SecretId: SECRET, VersionStage: "AWSCURRENT" }).resolves({
      SecretString: '{"n":1}',
    });
    sm.on(GetSecretValueCommand, { SecretId: SECRET, VersionId: "new", VersionStage: "AWSPENDING" }).rejects(
      new ResourceNotFoundException({ message: "no value yet", $metadata: {} }),
    );
    await rotationHandler(client, strategy)(event("createSecret"));
    expect(calls).to.deep.equal(["create 1"]);
    expect(sm.commandCalls(PutSecretValueCommand).map((call) => call.args[0].input)).to.deep.equal([
      { SecretId: SECRET, ClientRequestToken: "new", SecretString: '{"n":2}', VersionStages: ["AWSPENDING"] },
    ]);

    sm.on(GetSecretValueCommand, { SecretId: SECRET, VersionId: "new", VersionStage: "AWSPENDING" }).resolves({
      SecretString: '{"n":2}',
    });
    await rotationHandler(client, strategy)(event("createSecret"));
    expect(calls, "a retried createSecret keeps the value it made").to.deep.equal(["create 1"]);
    expect(sm.commandCalls(PutSecretValueCommand)).to.have.length(1);
  });

  it("passes other failures on, and finishes by running the strategy's finish before moving AWSCURRENT", async () => {
    const { strategy, calls } = recorder();
    describe_({ old: ["AWSCURRENT"], new: ["AWSPENDING"] });
    sm.on(GetSecretValueCommand, { SecretId: SECRET, VersionStage: "AWSCURRENT" }).resolves({
      SecretString: '{"n":1}',
    });
    sm.on(GetSecretValueCommand, { SecretId: SECRET, VersionId: "new", VersionStage: "AWSPENDING" }).rejects(
      new Error("AccessDenied"),
    );
    expect(await failure(rotationHandler(client, strategy)(event("createSecret")))).to.match(/AccessDenied/);
    expect(sm.commandCalls(PutSecretValueCommand)).to.have.length(0);

    sm.on(GetSecretValueCommand, { SecretId: SECRET, VersionId: "new", VersionStage: "AWSPENDING" }).resolves({
      SecretString: '{"n":2}',
    });
    sm.on(UpdateSecretVersionStageCommand).callsFake(() => {
      calls.push("move AWSCURRENT");
      return {};
    });
    await rotationHandler(client, strategy)(event("finishSecret"));
    expect(calls).to.deep.equal(["finish 2", "move AWSCURRENT"]);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)[0]?.args[0].input).to.deep.equal({
      SecretId: SECRET,
      VersionStage: "AWSCURRENT",
      MoveToVersionId: "new",
      RemoveFromVersionId: "old",
    });
  });
});

/** HS256, as the backend signs and verifies (docs/credentials.md): the key is the secret's base64 `secret`. */
function sign(payload: object, key: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(payload)}`;
  return `${body}.${createHmac("sha256", Buffer.from(key, "base64")).update(body).digest("base64url")}`;
}
function verifies(token: string, keys: (JwtSettings | undefined)[]): boolean {
  const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as object;
  return keys.some((settings) => settings !== undefined && sign(payload, settings.secret) === token);
}

describe("the JWT signing key's rotation (functions/rotation/jwt.ts)", () => {
  it("keeps a token verifiable for one rotation, with the current or the previous key, as the backend verifies", async () => {
    const secrets = new FakeSecretsManager();
    const first: JwtSettings = {
      secret: Buffer.alloc(64, 7).toString("base64"),
      expiresIn: "15m",
      refreshExpiresIn: "7d",
    };
    secrets.create("jwt", first);
    const handler = rotationHandler(secrets.client, jwtSigningKey({ bytes: 64 }));
    const token = sign({ sub: "user-1" }, first.secret);
    const keys = () => [secrets.value<JwtSettings>("jwt"), secrets.value<JwtSettings>("jwt", "AWSPREVIOUS")];

    await secrets.rotate("jwt", handler);
    const second = secrets.value<JwtSettings>("jwt")!;
    expect(Buffer.from(second.secret, "base64")).to.have.length(64);
    expect(second).to.include({ expiresIn: "15m", refreshExpiresIn: "7d" });
    expect(second.secret).to.not.equal(first.secret);
    expect(verifies(token, keys()), "after one rotation").to.equal(true);
    expect(verifies(sign({ sub: "user-1" }, second.secret), keys())).to.equal(true);

    await secrets.rotate("jwt", handler);
    expect(verifies(token, keys()), "after two rotations the first key is gone").to.equal(false);
  });

  it("refuses keys under 256 bits, at deploy time and in a stored value", async () => {
    expect(() => jwtSigningKey({ bytes: 16 })).to.throw(/under 32/);
    expect(
      await failure(
        jwtSigningKey({ bytes: 64 }).test({
          secret: Buffer.alloc(16).toString("base64"),
          expiresIn: "1m",
          refreshExpiresIn: "1d",
        }),
      ),
    ).to.match(/16 bytes/);
  });
});

describe("a header credential's rotation (functions/rotation/header.ts, ELB and CloudFront mocked)", () => {
  const RULE = "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/public/1/2/3";
  const HEADER = "X-Origin-Verify";

  /** The load balancer's rule and the distribution, as AWS holds them, behind aws-sdk-client-mock. */
  function fakeAws(initial: string) {
    const state = {
      conditions: [
        { Field: "path-pattern", Values: ["/*"], PathPatternConfig: { Values: ["/*"] } },
        { Field: "http-header", HttpHeaderConfig: { HttpHeaderName: HEADER, Values: [initial] } },
      ] as RuleCondition[],
      sent: initial,
      status: "Deployed",
      etag: "E1",
      /** CloudFront never finishes deploying. */
      stuck: false,
      modifications: [] as ModifyRuleCommandInput[],
    };
    const elb = new ElasticLoadBalancingV2Client({ region: "us-east-1", credentials });
    mockClient(elb)
      .on(DescribeRulesCommand)
      .callsFake(() => ({ Rules: [{ RuleArn: RULE, Conditions: structuredClone(state.conditions) }] }))
      .on(ModifyRuleCommand)
      .callsFake((input: ModifyRuleCommandInput) => {
        state.modifications.push(input);
        const values = (input.Conditions ?? []).reduce(
          (sum, c) => sum + (c.HttpHeaderConfig?.Values ?? c.PathPatternConfig?.Values ?? c.Values ?? []).length,
          0,
        );
        if (values > 5) throw new Error("TooManyConditionValues: 5 per rule");
        state.conditions = input.Conditions ?? [];
        return {};
      });
    const cloudfront = new CloudFrontClient({ region: "us-east-1", credentials });
    let polls = 0;
    const config = (): DistributionConfig =>
      ({
        CallerReference: "x",
        Comment: "",
        Enabled: true,
        Origins: {
          Quantity: 1,
          Items: [
            {
              Id: "app",
              DomainName: "origin.example.com",
              CustomHeaders: { Quantity: 1, Items: [{ HeaderName: HEADER, HeaderValue: state.sent }] },
            },
          ],
        },
      }) as DistributionConfig;
    mockClient(cloudfront)
      .on(GetDistributionConfigCommand)
      .callsFake(() => ({ DistributionConfig: config(), ETag: state.etag }))
      .on(UpdateDistributionCommand)
      .callsFake((input: UpdateDistributionCommandInput) => {
        if (input.IfMatch !== state.etag) throw new Error("PreconditionFailed");
        state.sent = input.DistributionConfig?.Origins?.Items?.[0]?.CustomHeaders?.Items?.[0]?.HeaderValue ?? "";
        state.status = "InProgress";
        state.etag = "E2";
        polls = 0;
        return {};
      })
      .on(GetDistributionCommand)
      .callsFake(() => {
        polls += 1;
        if (polls >= 2 && !state.stuck) state.status = "Deployed";
        return { Distribution: { Status: state.status } };
      });
    const accepted = () => state.conditions.find((c) => c.Field === "http-header")?.HttpHeaderConfig?.Values ?? [];
    return { elb, cloudfront, state, accepted };
  }

  it("never refuses what CloudFront sends or what the secret holds: old and new accepted while CloudFront switches", async () => {
    const aws = fakeAws("first-value");
    const secrets = new FakeSecretsManager();
    secrets.create("verify", { header: HEADER, value: "first-value" } satisfies HeaderCredential);
    const strategy = headerCredential({
      elb: aws.elb,
      listenerRuleArns: [RULE],
      cloudfront: { client: aws.cloudfront, distributionId: "E123", originId: "app", pollMilliseconds: 1 },
    });
    const seen: string[] = [];
    await secrets.rotate("verify", rotationHandler(secrets.client, strategy), (step) => {
      const current = secrets.value<HeaderCredential>("verify")!.value;
      expect(aws.accepted(), `${step}: what CloudFront sends`).to.include(aws.state.sent);
      expect(aws.accepted(), `${step}: the secret's current value`).to.include(current);
      seen.push(`${step}: ${aws.accepted().length} accepted, ${aws.state.status}`);
      return Promise.resolve();
    });
    const rotated = secrets.value<HeaderCredential>("verify")!.value;
    expect(rotated).to.match(/^[\w-]{48}$/);
    expect(aws.state.sent).to.equal(rotated);
    expect(aws.accepted(), "the old value is dropped at the end").to.deep.equal([rotated]);
    expect(seen).to.deep.equal([
      "createSecret: 1 accepted, Deployed",
      "setSecret: 2 accepted, InProgress",
      "testSecret: 2 accepted, Deployed",
      "finishSecret: 1 accepted, Deployed",
    ]);
    // ModifyRule takes a condition's values in one place: the path pattern goes back without the legacy Values.
    for (const modification of aws.state.modifications) {
      expect(modification.Conditions?.find((c) => c.Field === "path-pattern")).to.deep.equal({
        Field: "path-pattern",
        PathPatternConfig: { Values: ["/*"] },
      });
    }
  });

  it("rotates a header no distribution sends (the test-traffic credential) with the rules alone", async () => {
    const aws = fakeAws("first");
    const secrets = new FakeSecretsManager();
    secrets.create("test", { header: HEADER, value: "first" });
    await secrets.rotate(
      "test",
      rotationHandler(secrets.client, headerCredential({ elb: aws.elb, listenerRuleArns: [RULE] })),
    );
    expect(aws.accepted()).to.deep.equal([secrets.value<HeaderCredential>("test")!.value]);
    expect(aws.state.sent, "CloudFront untouched").to.equal("first");
  });

  it("fails, for Secrets Manager to retry, when a rule lacks the header or CloudFront does not deploy in time", async () => {
    const aws = fakeAws("first");
    const other = headerCredential({ elb: aws.elb, listenerRuleArns: [RULE] });
    expect(
      await failure(
        other.set({
          current: { header: "X-Other", value: "a" },
          pending: { header: "X-Other", value: "b" },
          previous: () => Promise.resolve(undefined),
        }),
      ),
    ).to.match(/has no X-Other condition/);
    const slow = headerCredential({
      elb: aws.elb,
      listenerRuleArns: [RULE],
      cloudfront: {
        client: aws.cloudfront,
        distributionId: "E123",
        originId: "app",
        pollMilliseconds: 1,
        deploySeconds: 0,
      },
    });
    aws.state.status = "InProgress";
    aws.state.stuck = true;
    expect(await failure(slow.test({ header: HEADER, value: "b" }))).to.match(
      /still InProgress; the rotation will be retried/,
    );
  });
});

describe("the rotation function's bundle (functions/bundle.ts)", () => {
  it("is one self-contained file exporting the handler, which refuses an environment it cannot serve", async () => {
    const bundle = functionBundle("rotation");
    expect(bundle.handler).to.equal("index.handler");
    // Everything is inside but Node's own modules and two optional add-ons their packages load only on demand
    // (pg's native binding, the SDK's CRT signer), which the function never asks for.
    const required = new Set([...bundle.code.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]!));
    const external = [...required].filter((name) => !builtinModules.includes(name.replace(/^node:/, "")));
    expect(external.sort()).to.deep.equal(["@aws-sdk/signature-v4-crt", "pg-native"]);
    // Loaded as Lambda loads it: the archive's index.js, required.
    const file = join(mkdtempSync(join(tmpdir(), "cloudweave-bundle-")), bundle.fileName);
    writeFileSync(file, bundle.code);
    const module = { exports: createRequire(file)(file) as { handler?: (event: unknown) => Promise<unknown> } };
    expect(module.exports.handler).to.be.a("function");
    const saved = process.env.ROTATION_KIND;
    const log = console.log;
    console.log = () => undefined; // The handler logs each invocation, as it does in Lambda.
    try {
      process.env.ROTATION_KIND = "ftp-password";
      expect(
        await failure(module.exports.handler!({ Step: "createSecret", SecretId: SECRET, ClientRequestToken: "t" })),
      ).to.match(
        /ROTATION_KIND is ftp-password; one of postgres-application, postgres-master, redis-user, jwt-key, header/,
      );
      process.env.ROTATION_KIND = "jwt-key";
      expect(await failure(module.exports.handler!({ action: "bootstrap" }))).to.match(/does not handle/);
    } finally {
      console.log = log;
      if (saved === undefined) delete process.env.ROTATION_KIND;
      else process.env.ROTATION_KIND = saved;
    }
  });
});

describe("waiting for a just-promoted instance (whenReady)", () => {
  /** A clock that sleeping advances, and an attempt that fails with `errors` in turn, then succeeds. */
  function scenario(errors: Error[]) {
    let clock = 0;
    let attempts = 0;
    const attempt = () => {
      attempts += 1;
      const error = errors.shift();
      return error === undefined ? Promise.resolve("connected") : Promise.reject(error);
    };
    const options = { now: () => clock, sleep: (ms: number) => ((clock += ms), Promise.resolve()), pauseMs: 5_000 };
    return { attempt, options, attempts: () => attempts, clock: () => clock };
  }
  const refused = Object.assign(new Error("connect ECONNREFUSED 10.2.21.10:5432"), { code: "ECONNREFUSED" });

  it("retries while the server takes no connections, until it does", async () => {
    const run = scenario([refused, refused, Object.assign(new Error("starting up"), { code: "57P03" })]);
    expect(await whenReady(run.attempt, { ...run.options, deadline: 60_000 })).to.equal("connected");
    expect(run.attempts()).to.equal(4);
    expect(run.clock()).to.equal(15_000);
  });

  it("gives up at the deadline with the last failure", async () => {
    const run = scenario(Array.from({ length: 20 }, () => refused));
    const failure = await whenReady(run.attempt, { ...run.options, deadline: 12_000 }).catch((error: Error) => error);
    expect(failure).to.equal(refused);
    expect(run.attempts()).to.equal(3);
  });

  it("never retries a refusal of the credentials, and retries node-postgres's own connect timeout", async () => {
    const wrong = Object.assign(new Error("password authentication failed"), { code: "28P01" });
    const run = scenario([wrong]);
    expect(await whenReady(run.attempt, { ...run.options, deadline: 60_000 }).catch((error: Error) => error)).to.equal(
      wrong,
    );
    expect(run.attempts()).to.equal(1);
    expect(notReady(new Error("Connection terminated due to connection timeout"))).to.equal(true);
    expect(notReady(new Error("relation does not exist"))).to.equal(false);
  });
});
