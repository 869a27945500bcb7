import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { APP_DATABASE_ROLES, APP_REDIS_USER, DATABASE_MASTER_USER } from "../config/app";
import { dailyWindow, overlaps, weeklyWindow } from "../config/windows";
import { AppSecrets } from "../components/security/app-secrets";
import { Cache } from "../components/data/cache";
import { Database } from "../components/data/database";
import { loadStackConfig, type StackConfig } from "../config";
import { runProgram, type StackRun } from "../offline/harness";
import { MOCK_ACCOUNT_ID, SecretValue, type DeclaredResource } from "../offline/mocks";
import { STACKS, byArn, json, ofType, single } from "./helpers";

const key = (purpose: string) => `arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/${purpose}-test`;
const KEYS = { storage: key("storage"), cache: key("cache"), secrets: key("secrets"), logs: key("logs") };

interface DataTier {
  run: StackRun;
  config: StackConfig;
  secretness: Record<string, boolean>;
}

/** Declares the data-tier components from a stack's validated settings, as `index.ts` does, and nothing else. */
async function dataTierOf(stack: string): Promise<DataTier> {
  let config: StackConfig | undefined;
  let secretChecks: Record<string, Promise<boolean>> = {};
  const run = await runProgram(stack, () => {
    config = loadStackConfig();
    const protect = config.deletionProtection;
    const logs = { kmsKeyArn: KEYS.logs, retentionInDays: config.logs.retentionInDays };
    const account = { accountId: "111122223333", partition: "aws" };
    const rotation = {
      account,
      everyDays: config.secrets.credentialRotationDays,
      logs,
      network: { subnetIds: ["subnet-private-a", "subnet-private-b"], securityGroupId: "sg-rotation" },
    };
    const database = new Database("db", {
      account: { accountId: "111122223333", partition: "aws" },
      subnetGroupName: "db-subnets",
      securityGroupId: "sg-database",
      instanceClass: config.database.instanceClass,
      multiAz: config.database.multiAZ,
      engineVersion: config.database.engineVersion,
      allocatedStorage: config.database.allocatedStorage,
      maxAllocatedStorage: config.database.maxAllocatedStorage,
      backupRetentionDays: config.database.backupRetention,
      backupWindow: config.database.backupWindow,
      maintenanceWindow: config.database.maintenanceWindow,
      databaseName: `cloudweave_${config.environment}`,
      masterUsername: DATABASE_MASTER_USER,
      applicationRoles: APP_DATABASE_ROLES,
      rotation,
      storageKmsKeyArn: KEYS.storage,
      secretKmsKeyArn: KEYS.secrets,
      logs,
      protect,
    });
    const cache = new Cache("redis", {
      snapshotWindow: config.cache.snapshotWindow,
      maintenanceWindow: config.cache.maintenanceWindow,
      subnetGroupName: "cache-subnets",
      securityGroupId: "sg-cache",
      nodeType: config.cache.nodeType,
      replicas: config.cache.replicas,
      multiAz: config.cache.multiAZ,
      engineVersion: config.cache.engineVersion,
      snapshotRetentionDays: config.cache.snapshotRetention,
      atRestKmsKeyArn: KEYS.cache,
      secretKmsKeyArn: KEYS.secrets,
      appUser: APP_REDIS_USER,
      rotation,
      logs,
      protect,
    });
    const { jwt } = config.secrets;
    const app = new AppSecrets("app", {
      kmsKeyArn: KEYS.secrets,
      jwtExpiresIn: jwt.accessTokenLifetime,
      jwtRefreshExpiresIn: jwt.refreshTokenLifetime,
      jwtRotation: { account, everyDays: jwt.rotationDays, logs },
      protect,
    });
    secretChecks = {
      database: pulumi.isSecret(database.connection),
      cache: cache.connection ? pulumi.isSecret(cache.connection) : Promise.resolve(false),
      jwt: pulumi.isSecret(app.jwt),
    };
  });
  const secretness = Object.fromEntries(
    await Promise.all(Object.entries(secretChecks).map(async ([name, check]) => [name, await check] as const)),
  );
  return { run, config: config as StackConfig, secretness };
}

/** The clear value of a secret input; fails when the input is not marked secret. */
function secretInput(resource: DeclaredResource, key: string): unknown {
  const value = resource.inputs[key];
  expect(value, `${resource.name}.${key} is marked secret`).to.be.instanceOf(SecretValue);
  return (value as SecretValue).value;
}

/** The JSON document stored in the secret `secretName`'s version, checked to be a secret input. */
function storedDocument(run: StackRun, componentName: string): Record<string, unknown> {
  const version = single(run, "aws:secretsmanager/secretVersion:SecretVersion", `${componentName}-value`);
  const secret = single(run, "aws:secretsmanager/secret:Secret", `${componentName}-secret`);
  expect(version.inputs.secretId).to.equal(secret.id);
  return JSON.parse(secretInput(version, "secretString") as string) as Record<string, unknown>;
}

/** A value as the program reads it, whether or not the mocks marked it secret. */
function plain(value: unknown): unknown {
  return value instanceof SecretValue ? value.value : value;
}

/** Asserts `resource.key` is the generated value of `generator` (so never a literal in code or config). */
function expectGenerated(resource: DeclaredResource, key: string, generator: DeclaredResource, output: string): void {
  expect(resource.propertyDependencies[key], `${resource.name}.${key} comes from ${generator.name}`).to.include(
    generator.urn,
  );
  const generated = generator.outputs[output];
  expect(secretInput(resource, key)).to.equal(generated instanceof SecretValue ? generated.value : generated);
}

describe("data tier components", () => {
  for (const stack of STACKS) {
    describe(`with the ${stack} settings`, () => {
      let tier: DataTier;
      let run: StackRun;
      let production: boolean;
      before(async () => {
        tier = await dataTierOf(stack);
        run = tier.run;
        production = tier.config.isProduction;
      });

      describe("Database", () => {
        const instance = () => single(run, "aws:rds/instance:Instance");

        it("runs PostgreSQL 15 at the configured size, private, in the given subnet group and security group", () => {
          expect(instance().inputs).to.deep.include({
            engine: "postgres",
            engineVersion: tier.config.database.engineVersion,
            instanceClass: tier.config.database.instanceClass,
            multiAz: tier.config.database.multiAZ,
            publiclyAccessible: false,
            dbSubnetGroupName: "db-subnets",
            vpcSecurityGroupIds: ["sg-database"],
            dbName: `cloudweave_${tier.config.environment}`,
            // The master user is not the one the application connects as.
            username: DATABASE_MASTER_USER,
            port: 5432,
          });
          expect(String(instance().inputs.engineVersion)).to.match(/^15/);
          expect(instance().inputs.multiAz).to.equal(production);
        });

        it("encrypts gp3 storage and Performance Insights with the customer key, with autoscaling headroom", () => {
          expect(instance().inputs).to.include({
            storageType: "gp3",
            storageEncrypted: true,
            kmsKeyId: KEYS.storage,
            performanceInsightsEnabled: true,
            performanceInsightsKmsKeyId: KEYS.storage,
            allocatedStorage: tier.config.database.allocatedStorage,
            maxAllocatedStorage: tier.config.database.maxAllocatedStorage,
          });
          expect(instance().inputs.maxAllocatedStorage).to.be.greaterThan(instance().inputs.allocatedStorage as number);
        });

        it("keeps backups per config in a window that does not overlap maintenance, tagging snapshots", () => {
          expect(instance().inputs).to.include({
            backupRetentionPeriod: tier.config.database.backupRetention,
            copyTagsToSnapshot: true,
          });
          const backupWindow = dailyWindow(String(instance().inputs.backupWindow));
          const maintenance = weeklyWindow(String(instance().inputs.maintenanceWindow));
          expect(overlaps(backupWindow, maintenance), "RDS refuses overlapping windows").to.equal(false);
          expect(instance().inputs.backupRetentionPeriod, "the design's 7 days, in every stack").to.be.at.least(7);
        });

        it(`${production ? "guards" : "does not guard"} against deletion`, () => {
          expect(instance().inputs).to.include({ deletionProtection: production, skipFinalSnapshot: !production });
          expect(instance().inputs.finalSnapshotIdentifier).to.equal(production ? "db-final" : undefined);
          expect(instance().protect).to.equal(production);
          expect(instance().inputs.applyImmediately, "production changes wait for the maintenance window").to.equal(
            !production,
          );
        });

        it("monitors, exports its logs to encrypted groups, upgrades minors and offers IAM authentication", () => {
          expect(instance().inputs).to.deep.include({
            autoMinorVersionUpgrade: true,
            allowMajorVersionUpgrade: false,
            iamDatabaseAuthenticationEnabled: true,
            monitoringInterval: 60,
            performanceInsightsRetentionPeriod: 7,
            enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
          });
          const role = byArn(run, instance().inputs.monitoringRoleArn);
          expect(
            json<{ Statement: { Principal: unknown }[] }>(role, "assumeRolePolicy").Statement[0]?.Principal,
          ).to.deep.equal({ Service: "monitoring.rds.amazonaws.com" });
          const attachment = single(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
          expect(attachment.inputs.policyArn).to.equal(
            "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
          );
          for (const log of ["postgresql", "upgrade"]) {
            const group = single(run, "aws:cloudwatch/logGroup:LogGroup", `db-${log}-logs`);
            expect(group.inputs).to.include({
              name: `/aws/rds/instance/${String(instance().inputs.identifier)}/${log}`,
              kmsKeyId: KEYS.logs,
              retentionInDays: tier.config.logs.retentionInDays,
            });
            expect(instance().dependencies, "log groups exist before RDS would create them").to.include(group.urn);
          }
        });

        it("forces TLS and logs slow statements and connections through a postgres15 parameter group", () => {
          const group = single(run, "aws:rds/parameterGroup:ParameterGroup");
          expect(group.inputs.family).to.equal("postgres15");
          expect(instance().inputs.parameterGroupName).to.equal(group.outputs.name);
          const parameters = Object.fromEntries(
            (group.inputs.parameters as { name: string; value: string }[]).map((p) => [p.name, p.value]),
          );
          expect(parameters).to.include({
            "rds.force_ssl": "1",
            ssl_min_protocol_version: "TLSv1.2",
            log_min_duration_statement: "500",
            log_connections: "1",
            log_disconnections: "1",
            password_encryption: "scram-sha-256",
          });
        });

        it("keeps the master user's generated password in a secret of its own, and Pulumi never sets it back", () => {
          const password = single(run, "random:index/randomPassword:RandomPassword", "db-password");
          expect(password.inputs).to.include({ length: 40, special: true });
          expectGenerated(instance(), "password", password, "result");
          expect(instance().ignoreChanges, "the rotation owns the password").to.include("password");
          const master = storedDocument(run, "db-master");
          expect(master).to.include({
            host: instance().outputs.address,
            port: 5432,
            username: DATABASE_MASTER_USER,
            database: `cloudweave_${tier.config.environment}`,
            password: secretInput(instance(), "password"),
          });
        });

        it("gives the backend the application user's connection document (the seed's shape), not the master's", () => {
          const document = storedDocument(run, "db-credentials");
          expect(Object.keys(document).sort()).to.deep.equal(["database", "host", "password", "port", "username"]);
          const appPassword = single(run, "random:index/randomPassword:RandomPassword", "db-app-password");
          expect(document).to.include({
            host: instance().outputs.address,
            port: 5432,
            username: APP_DATABASE_ROLES.user,
            database: `cloudweave_${tier.config.environment}`,
            password: plain(appPassword.outputs.result),
          });
          expect(document.password).to.not.equal(secretInput(instance(), "password"));
          const secret = single(run, "aws:secretsmanager/secret:Secret", "db-credentials-secret");
          expect(secret.inputs).to.include({ kmsKeyId: KEYS.secrets, recoveryWindowInDays: production ? 30 : 7 });
          expect(tier.secretness.database, "Database.connection is a Pulumi secret").to.equal(true);
        });

        it("rotates both credentials from the private subnets, and creates the application's roles at deploy time", () => {
          for (const [component, secretName, kind] of [
            ["db-master-rotation", "db-master-secret", "postgres-master"],
            ["db-app-rotation", "db-credentials-secret", "postgres-application"],
          ] as const) {
            const fn = single(run, "aws:lambda/function:Function", `${component}-function`);
            const secret = single(run, "aws:secretsmanager/secret:Secret", secretName);
            const schedule = single(run, "aws:secretsmanager/secretRotation:SecretRotation", `${component}-schedule`);
            expect(schedule.inputs.secretId).to.equal(secret.outputs.arn);
            expect(schedule.inputs.rotationLambdaArn).to.equal(fn.outputs.arn);
            expect(schedule.inputs.rotationRules).to.deep.equal({
              scheduleExpression: `rate(${tier.config.secrets.credentialRotationDays} days)`,
            });
            expect((fn.inputs.environment as { variables: Record<string, string> }).variables.ROTATION_KIND).to.equal(
              kind,
            );
            expect(fn.inputs.vpcConfig).to.deep.equal({
              subnetIds: ["subnet-private-a", "subnet-private-b"],
              securityGroupIds: ["sg-rotation"],
            });
            const version = single(
              run,
              "aws:secretsmanager/secretVersion:SecretVersion",
              secretName.replace(/-secret$/, "-value"),
            );
            expect(version.ignoreChanges, "a deploy never writes a rotated secret back").to.include.members([
              "secretString",
              "versionStages",
            ]);
          }
          const app = single(run, "aws:lambda/function:Function", "db-app-rotation-function");
          const bootstrap = single(run, "aws:lambda/invocation:Invocation", "db-bootstrap");
          expect(bootstrap.inputs.functionName).to.equal(app.outputs.name);
          expect(JSON.parse(String(bootstrap.inputs.input))).to.deep.equal({ action: "bootstrap" });
          expect(bootstrap.dependencies, "the bootstrap runs once the instance and both secrets exist").to.include(
            instance().urn,
          );
          expect(Object.keys(bootstrap.inputs.triggers as object).sort()).to.deep.equal(["code", "instance", "roles"]);
        });
      });

      describe("Cache", () => {
        const group = () => single(run, "aws:elasticache/replicationGroup:ReplicationGroup");

        it("runs Redis 7 as a primary and a replica of the configured node type in the given network", () => {
          expect(group().inputs).to.deep.include({
            engine: "redis",
            engineVersion: tier.config.cache.engineVersion,
            nodeType: "cache.t3.micro",
            numCacheClusters: 2,
            port: 6379,
            subnetGroupName: "cache-subnets",
            securityGroupIds: ["sg-cache"],
          });
          expect(String(group().inputs.engineVersion)).to.match(/^7\./);
        });

        it(`${production ? "fails over automatically across AZs" : "runs without automatic failover"}`, () => {
          expect(group().inputs).to.include({ automaticFailoverEnabled: production, multiAzEnabled: production });
        });

        it("encrypts at rest with the customer key and requires TLS and an RBAC user: the default user is off", () => {
          expect(group().inputs).to.include({
            atRestEncryptionEnabled: true,
            kmsKeyId: KEYS.cache,
            transitEncryptionEnabled: true,
            transitEncryptionMode: "required",
          });
          expect(group().inputs.authToken, "RBAC replaces the shared AUTH token").to.equal(undefined);
          const users = single(run, "aws:elasticache/userGroup:UserGroup");
          expect(group().inputs.userGroupIds).to.deep.equal([users.outputs.userGroupId]);
          const members = (users.inputs.userIds as string[]).map((id) =>
            ofType(run, "aws:elasticache/user:User").find((user) => user.outputs.userId === id),
          );
          expect(members.map((user) => user?.inputs.userName).sort()).to.deep.equal([
            APP_REDIS_USER.userName,
            "default",
          ]);
          const defaultUser = members.find((user) => user?.inputs.userName === "default");
          expect(defaultUser?.inputs.accessString).to.match(/^off /);
          const appUser = members.find((user) => user?.inputs.userName === APP_REDIS_USER.userName);
          expect(appUser?.inputs.accessString).to.equal(APP_REDIS_USER.accessString);
          expect(appUser?.ignoreChanges, "the rotation owns the passwords").to.include("authenticationMode");
          const password = single(run, "random:index/randomPassword:RandomPassword", "redis-app-password");
          expect(password.inputs).to.include({ length: 64, special: false });
        });

        it("keeps snapshots per config and delivers the slow log and engine log to encrypted groups", () => {
          expect(group().inputs.snapshotRetentionLimit).to.equal(tier.config.cache.snapshotRetention);
          expect(group().inputs.finalSnapshotIdentifier).to.equal(production ? "redis-final" : undefined);
          expect(group().protect).to.equal(production);
          const deliveries = group().inputs.logDeliveryConfigurations as Record<string, string>[];
          expect(deliveries.map((d) => d.logType).sort()).to.deep.equal(["engine-log", "slow-log"]);
          for (const delivery of deliveries) {
            expect(delivery).to.include({ destinationType: "cloudwatch-logs", logFormat: "json" });
            const logGroup = single(run, "aws:cloudwatch/logGroup:LogGroup", `redis-${delivery.logType}`);
            expect(delivery.destination).to.equal(logGroup.inputs.name);
            expect(logGroup.inputs).to.include({
              kmsKeyId: KEYS.logs,
              retentionInDays: tier.config.logs.retentionInDays,
            });
          }
        });

        it("evicts by TTL and drops idle clients through a redis7 parameter group", () => {
          const parameters = single(run, "aws:elasticache/parameterGroup:ParameterGroup");
          expect(parameters.inputs.family).to.equal("redis7");
          expect(group().inputs.parameterGroupName).to.equal(parameters.outputs.name);
          expect(parameters.inputs.parameters).to.deep.include.members([
            { name: "maxmemory-policy", value: "volatile-ttl" },
            { name: "timeout", value: "300" },
          ]);
        });

        it("stores its connection document with the user and password, encrypted, as a rotating secret", () => {
          const document = storedDocument(run, "redis-connection");
          const password = single(run, "random:index/randomPassword:RandomPassword", "redis-app-password");
          expect(document).to.deep.equal({
            endpoint: group().outputs.primaryEndpointAddress,
            readerEndpoint: group().outputs.readerEndpointAddress,
            port: 6379,
            tls: true,
            username: APP_REDIS_USER.userName,
            password: plain(password.outputs.result),
          });
          const fn = single(run, "aws:lambda/function:Function", "redis-rotation-function");
          const appUser = single(run, "aws:elasticache/user:User", "redis-app-user");
          expect((fn.inputs.environment as { variables: Record<string, string> }).variables).to.include({
            ROTATION_KIND: "redis-user",
            ELASTICACHE_USER_ID: appUser.outputs.userId,
          });
          const secret = single(run, "aws:secretsmanager/secret:Secret", "redis-connection-secret");
          expect(secret.inputs.kmsKeyId).to.equal(KEYS.secrets);
          expect(tier.secretness.cache, "Cache.connection is a Pulumi secret").to.equal(true);
        });
      });

      describe("AppSecrets", () => {
        it("generates a JWT signing key of at least 256 bits and stores it with the seed's lifetimes", () => {
          const bytes = single(run, "random:index/randomBytes:RandomBytes", "app-jwt-signing-key");
          expect(bytes.inputs.length).to.be.at.least(32);
          const document = storedDocument(run, "app-jwt");
          expect(document).to.include({ expiresIn: "15m", refreshExpiresIn: "7d" });
          const generated = bytes.outputs.base64;
          expect(document.secret).to.equal(generated instanceof SecretValue ? generated.value : generated);
          expect(Buffer.from(document.secret as string, "base64").length * 8).to.be.at.least(256);
          expect(single(run, "aws:secretsmanager/secret:Secret", "app-jwt-secret").inputs.kmsKeyId).to.equal(
            KEYS.secrets,
          );
          expect(tier.secretness.jwt, "AppSecrets.jwt is a Pulumi secret").to.equal(true);
        });
      });

      it("declares every child inside its component", () => {
        for (const resource of ofType(run, "aws:secretsmanager/secret:Secret")) {
          const parent = run.resources.find((candidate) => candidate.urn === resource.parent);
          expect(parent?.type).to.equal("cloudweave:security:JsonSecret");
        }
      });
    });
  }

  it("refuses a JWT signing key shorter than 256 bits", async () => {
    const failure = await runProgram("staging", () => {
      new AppSecrets("weak", {
        kmsKeyArn: KEYS.secrets,
        jwtSecretBytes: 16,
        jwtExpiresIn: "15m",
        jwtRefreshExpiresIn: "7d",
        jwtRotation: {
          account: { accountId: "111122223333", partition: "aws" },
          everyDays: 30,
          logs: { kmsKeyArn: KEYS.logs, retentionInDays: 30 },
        },
      });
    }).catch((error: unknown) => error);
    expect(String((failure as Error).message)).to.include("jwtSecretBytes is 16");
  });
});
