import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { APP_CONTAINERS, APP_PORTS, APP_REDIS_USER, BACKEND_SECRET_VARIABLES } from "../config/app";
import { DISABLED_DEFAULT_USER } from "../components/data/redis-access";
import { LOCAL_SECRETS, localEnvironment } from "../dev/env";
import { PROJECT_ROOT } from "../offline/harness";
import { STACKS, prefixOf, single, stackRun } from "./helpers";

interface ComposeService {
  image: string;
  user?: string;
  command?: string[];
  environment?: Record<string, string>;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  tmpfs?: string[];
  volumes?: string[];
  ports?: string[];
  sysctls?: Record<string, number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

/** Variables compose adds that ECS gives a task by other means (the task role's credentials, its region). */
const LOCAL_ONLY = ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "SSL_CERT_DIR"];

describe("local development (compose.yaml)", () => {
  const compose = parse(fs.readFileSync(path.join(PROJECT_ROOT, "compose.yaml"), "utf8"), { merge: true }) as {
    name: string;
    services: Record<string, ComposeService>;
  };
  const service = (name: string): ComposeService => {
    const found = compose.services[name];
    if (!found) throw new Error(`compose.yaml has no ${name} service`);
    return found;
  };
  const certsScript = fs.readFileSync(path.join(PROJECT_ROOT, "dev", "certs.sh"), "utf8");
  /** A value compose takes from .env and refuses to start without. */
  const required = (variable: string) => new RegExp(`^\\$\\{${variable}:\\?[^}]+\\}$`);

  it("parses, with the data stores, the certificates job and both app images", () => {
    expect(compose.name).to.equal("cloudweave");
    expect(Object.keys(compose.services)).to.have.members(["certs", "postgres", "redis", "backend", "frontend"]);
    expect(service("backend").image).to.equal("${BACKEND_IMAGE:-cloudweave-backend:local}");
    expect(service("frontend").image).to.equal("${FRONTEND_IMAGE:-cloudweave-frontend:local}");
    expect(spawnSync("sh", ["-n"], { input: certsScript }).status).to.equal(0);
  });

  it("runs PostgreSQL 15 with a password and TLS only, like RDS with force_ssl", () => {
    const postgres = service("postgres");
    expect(postgres.image).to.match(/^postgres:15(\.\d+)?-alpine$/);
    expect(postgres.environment?.POSTGRES_PASSWORD).to.match(required("DATABASE_PASSWORD"));
    const settings = (postgres.command ?? []).filter((arg) => arg.includes("="));
    expect(settings).to.include.members([
      "ssl=on",
      "ssl_cert_file=/certs/postgres/server.crt",
      "ssl_key_file=/certs/postgres/server.key",
      "hba_file=/certs/postgres/pg_hba.conf",
    ]);
    // Non-TLS TCP connections are rejected; TLS ones need a SCRAM password.
    expect(certsScript).to.match(/^hostnossl all {2}all {2}0\.0\.0\.0\/0 +reject$/m);
    expect(certsScript).to.match(/^hostssl {3}all {2}all {2}0\.0\.0\.0\/0 +scram-sha-256$/m);
    expect(postgres.ports).to.deep.equal([`127.0.0.1:${APP_PORTS.database}:${APP_PORTS.database}`]);
  });

  it("runs Redis 7 with TLS only and the stacks' RBAC users: the default user off, the application's with its access string", () => {
    const redis = service("redis");
    expect(redis.image).to.match(/^redis:7(\.\d+)*-alpine$/);
    const args = redis.command ?? [];
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(flag("--port"), "plain-text port off").to.equal("0");
    expect(flag("--tls-port")).to.equal(String(APP_PORTS.cache));
    const users = args.flatMap((arg, index) => (args[index - 1] === "--user" ? [arg] : []));
    expect(users).to.have.length(2);
    // ElastiCache's disabled default user has no password ("no-password-required"), as nopass here.
    expect(users[0]?.split(" ")).to.have.members(["default", "nopass", ...DISABLED_DEFAULT_USER.split(" ")]);
    const app = /^(\S+) on >(\$\{[^}]+\}) (.*)$/.exec(users[1] ?? "");
    expect(app?.[2]).to.match(required("REDIS_PASSWORD"));
    expect(`${app?.[1]} on ${app?.[3]}`).to.equal(`${APP_REDIS_USER.userName} ${APP_REDIS_USER.accessString}`);
    expect(redis.healthcheck?.test.join(" ")).to.include("--tls");
    expect(redis.healthcheck?.test.join(" ")).to.include(`--user ${APP_REDIS_USER.userName}`);
    expect(service("backend").environment?.REDIS_USERNAME).to.equal(APP_REDIS_USER.userName);
  });

  for (const stack of STACKS) {
    it(`gives the app containers the variable names of ${stack}'s task definitions`, async () => {
      const run = await stackRun(stack);
      for (const name of ["backend", "frontend"] as const) {
        const taskDefinition = single(run, "aws:ecs/taskDefinition:TaskDefinition", `${prefixOf(stack)}-${name}-task`);
        const app = (
          JSON.parse(taskDefinition.inputs.containerDefinitions as string) as {
            name: string;
            environment: { name: string }[];
            secrets: { name: string }[];
          }[]
        ).find((container) => container.name === "app");
        const ecsNames = [...(app?.environment ?? []), ...(app?.secrets ?? [])].map((variable) => variable.name);
        const composeNames = Object.keys(service(name).environment ?? {});
        expect(
          composeNames.filter((variable) => !LOCAL_ONLY.includes(variable)),
          name,
        ).to.have.members(ecsNames);
      }
    });
  }

  it("takes every secret from the generated .env, never from the file itself", () => {
    const environment = service("backend").environment ?? {};
    const secretLike = /(PASSWORD|TOKEN|SECRET)$/;
    const secrets = Object.keys(BACKEND_SECRET_VARIABLES).filter((variable) => secretLike.test(variable));
    expect(secrets).to.have.members(Object.keys(LOCAL_SECRETS));
    for (const variable of secrets) expect(environment[variable], variable).to.match(required(variable));
    // Every value is fresh: two runs never share one.
    const [first, second] = [localEnvironment(), localEnvironment()];
    for (const variable of secrets) {
      const value = (text: string) => new RegExp(`^${variable}=(.+)$`, "m").exec(text)?.[1];
      expect(value(first), variable).to.have.length.greaterThan(30);
      expect(value(first)).to.not.equal(value(second));
    }
    expect(fs.readFileSync(path.join(PROJECT_ROOT, ".gitignore"), "utf8")).to.match(/^\.env$/m);
  });

  it("hardens the app containers as their task definitions do", () => {
    for (const name of ["backend", "frontend"] as const) {
      const app = service(name);
      expect(app.user, name).to.equal(APP_CONTAINERS[name].user);
      expect(app).to.deep.include({ read_only: true, cap_drop: ["ALL"], security_opt: ["no-new-privileges:true"] });
      // Mounted as Fargate mounts task volumes (seeded from the image), not as world-writable tmpfs that would hide a
      // path the image forgot to declare.
      expect(app.tmpfs, name).to.equal(undefined);
      const anonymous = (app.volumes ?? []).filter((volume) => !volume.includes(":"));
      expect(anonymous, name).to.have.members([...APP_CONTAINERS[name].writablePaths]);
      expect(app.healthcheck?.test.join(" ")).to.include(`${APP_CONTAINERS[name].healthCheckPath} `);
    }
    // nginx binds port 80 unprivileged, as the frontend task's systemControls allow.
    expect(service("frontend").sysctls).to.deep.equal({ "net.ipv4.ip_unprivileged_port_start": APP_PORTS.frontend });
    expect(service("backend").depends_on).to.deep.equal({
      postgres: { condition: "service_healthy" },
      redis: { condition: "service_healthy" },
    });
  });
});
