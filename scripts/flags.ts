/**
 * `npm run flags -- <stack> show | set <flag> on|off | sync [--wait]`: deploys feature-flag values to a stack's AWS
 * AppConfig environment without an infrastructure release. Each change is a new hosted version of the stack's
 * feature-flag profile, deployed with the stack's gradual strategy (which AppConfig rolls back on the backend's
 * alarms); the command waits for the deployment and reports its progress.
 *
 * `set` changes one flag of what is deployed; `sync` deploys `feature-flags/<stack>.yaml` (what the flags workflow
 * runs after a reviewed change to that file). AppConfig runs one deployment per environment at a time: while one
 * runs, the command refuses, or with `--wait` waits for it to end first.
 *
 * The shell's AWS credentials are used (in CI: the stack's flags role, bootstrap/components/github-oidc-roles.ts).
 */
import {
  AppConfigClient,
  ConflictException,
  CreateHostedConfigurationVersionCommand,
  GetDeploymentCommand,
  GetHostedConfigurationVersionCommand,
  ListApplicationsCommand,
  ListConfigurationProfilesCommand,
  ListDeploymentsCommand,
  ListDeploymentStrategiesCommand,
  ListEnvironmentsCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
  type Deployment,
  type DeploymentSummary,
} from "@aws-sdk/client-appconfig";
import { parseArgs } from "node:util";
import { parseStackConfig, programSettings } from "../config";
import { FEATURE_FLAGS, type FeatureFlag } from "../config/app";
import { allOff, featureFlagsDocument, readFlagValues, valuesOfDocument, type FlagValues } from "../config/flag-values";
import { PROJECT_ROOT, readStackSettings, stackNames } from "../offline/stack-files";
import { stackPrefix } from "../stack/context";
import { featureFlagNames } from "../stack/release";

const USAGE = `usage: npm run flags -- <stack> show
       npm run flags -- <stack> set <flag> on|off [--wait]
       npm run flags -- <stack> sync [--wait]

  show   what is deployed, what feature-flags/<stack>.yaml says, and any deployment under way
  set    deploy one flag's new value (on top of what is deployed)
  sync   deploy feature-flags/<stack>.yaml
  --wait if a deployment is under way in the environment, wait for it to end first (else: refuse)

  flags: ${Object.keys(FEATURE_FLAGS).join(", ")}`;

/** A refusal or failure the user can act on: printed without a stack trace. */
export class FlagsError extends Error {}

/** The AppConfig names of a stack's flags, and where they are. */
export interface FlagsTarget {
  stack: string;
  region: string;
  names: ReturnType<typeof featureFlagNames>;
}

/** The names the stack's program gives its AppConfig resources (stack/release.ts), from the stack file. */
export function flagsTarget(stack: string, projectDir: string = PROJECT_ROOT): FlagsTarget {
  if (!stackNames(projectDir).includes(stack))
    throw new FlagsError(`unknown stack "${stack}": one of ${stackNames(projectDir).join(", ")}`);
  const config = parseStackConfig(programSettings(readStackSettings(stack, {}, projectDir)));
  return { stack, region: config.region, names: featureFlagNames({ config, prefix: stackPrefix(config.environment) }) };
}

/** What the command needs besides its arguments; tests hand in a mocked client, a clock and a silent sleep. */
export interface FlagsDependencies {
  client: Pick<AppConfigClient, "send">;
  target: FlagsTarget;
  /** The stack's values file. */
  readValues: () => FlagValues;
  print: (line: string) => void;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Who is deploying, for the version's description. */
  actor: string;
  /** Seconds between progress reads. @default 15 */
  pollSeconds?: number;
}

interface Ids {
  applicationId: string;
  environmentId: string;
  profileId: string;
  strategyId: string;
}

/** States of a deployment that has not ended: AppConfig starts no other in the environment meanwhile. */
const UNDER_WAY = new Set(["VALIDATING", "DEPLOYING", "BAKING", "ROLLING_BACK"]);

async function findIds(deps: FlagsDependencies): Promise<Ids> {
  const { client, target } = deps;
  const { names } = target;
  const where = `in ${target.region} (has the ${target.stack} stack been deployed?)`;
  const find = async <Item extends { Id?: string; Name?: string }>(
    what: string,
    name: string,
    page: (NextToken: string | undefined) => Promise<{ Items?: Item[]; NextToken?: string }>,
  ): Promise<string> => {
    let token: string | undefined;
    do {
      const { Items = [], NextToken } = await page(token);
      const found = Items.find((item) => item.Name === name);
      if (found?.Id) return found.Id;
      token = NextToken;
    } while (token);
    throw new FlagsError(`no AppConfig ${what} named "${name}" ${where}`);
  };
  const applicationId = await find("application", names.application, (NextToken) =>
    client.send(new ListApplicationsCommand({ NextToken })),
  );
  const [environmentId, profileId, strategyId] = await Promise.all([
    find("environment", names.environment, (NextToken) =>
      client.send(new ListEnvironmentsCommand({ ApplicationId: applicationId, NextToken })),
    ),
    find("configuration profile", names.profile, (NextToken) =>
      client.send(new ListConfigurationProfilesCommand({ ApplicationId: applicationId, NextToken })),
    ),
    find("deployment strategy", names.strategy, (NextToken) =>
      client.send(new ListDeploymentStrategiesCommand({ NextToken })),
    ),
  ]);
  return { applicationId, environmentId, profileId, strategyId };
}

/** The environment's deployments, newest first. */
async function deploymentsOf(deps: FlagsDependencies, ids: Ids): Promise<DeploymentSummary[]> {
  const items: DeploymentSummary[] = [];
  let token: string | undefined;
  do {
    const page = await deps.client.send(
      new ListDeploymentsCommand({
        ApplicationId: ids.applicationId,
        EnvironmentId: ids.environmentId,
        NextToken: token,
      }),
    );
    items.push(...(page.Items ?? []));
    token = page.NextToken;
  } while (token);
  return items.sort((a, b) => (b.DeploymentNumber ?? 0) - (a.DeploymentNumber ?? 0));
}

/** What the environment serves: the newest completed deployment of the flags profile (none: every flag off). */
async function deployedValues(
  deps: FlagsDependencies,
  ids: Ids,
  deployments: DeploymentSummary[],
): Promise<{ version: number | undefined; values: FlagValues }> {
  const live = deployments.find(
    (deployment) => deployment.State === "COMPLETE" && deployment.ConfigurationName === deps.target.names.profile,
  );
  if (!live?.ConfigurationVersion) return { version: undefined, values: allOff() };
  const version = Number(live.ConfigurationVersion);
  const { Content } = await deps.client.send(
    new GetHostedConfigurationVersionCommand({
      ApplicationId: ids.applicationId,
      ConfigurationProfileId: ids.profileId,
      VersionNumber: version,
    }),
  );
  return { version, values: valuesOfDocument(Buffer.from(Content ?? new Uint8Array()).toString("utf8")) };
}

function describeDeployment(deployment: DeploymentSummary | Deployment): string {
  const started = deployment.StartedAt ? `, started ${deployment.StartedAt.toISOString()}` : "";
  return `deployment #${deployment.DeploymentNumber} (version ${deployment.ConfigurationVersion}) is ${deployment.State}, ${deployment.PercentageComplete ?? 0}% complete${started}`;
}

function progressBar(percent: number): string {
  const filled = Math.round(percent / 5);
  return `[${"#".repeat(filled)}${"-".repeat(20 - filled)}] ${String(Math.round(percent)).padStart(3)}%`;
}

/**
 * Follows a deployment to its end, printing its progress and its new events; resolves with its final state. Gives
 * up (the deployment goes on in AWS) after its strategy's duration and bake plus 15 minutes.
 */
async function follow(deps: FlagsDependencies, ids: Ids, deploymentNumber: number): Promise<Deployment> {
  const started = deps.now();
  let shownEvents = 0;
  let lastLine = "";
  for (;;) {
    const deployment = await deps.client.send(
      new GetDeploymentCommand({
        ApplicationId: ids.applicationId,
        EnvironmentId: ids.environmentId,
        DeploymentNumber: deploymentNumber,
      }),
    );
    // AppConfig lists the newest event first.
    const events = [...(deployment.EventLog ?? [])].reverse();
    for (const event of events.slice(shownEvents)) {
      deps.print(`  ${event.OccurredAt?.toISOString() ?? ""} ${event.EventType ?? ""}: ${event.Description ?? ""}`);
    }
    shownEvents = events.length;
    const line = `  #${deploymentNumber} ${progressBar(deployment.PercentageComplete ?? 0)} ${deployment.State ?? "?"}`;
    if (line !== lastLine) deps.print(line);
    lastLine = line;
    if (!UNDER_WAY.has(deployment.State ?? "")) return deployment;
    const limitMinutes = (deployment.DeploymentDurationInMinutes ?? 0) + (deployment.FinalBakeTimeInMinutes ?? 0) + 15;
    if (deps.now() - started > limitMinutes * 60_000) {
      throw new FlagsError(
        `${describeDeployment(deployment)} after ${limitMinutes} minutes of waiting; it goes on in AWS: aws appconfig get-deployment --region ${deps.target.region} --application-id ${ids.applicationId} --environment-id ${ids.environmentId} --deployment-number ${deploymentNumber}`,
      );
    }
    await deps.sleep((deps.pollSeconds ?? 15) * 1000);
  }
}

/** Deploys `desired` (every flag) to the environment; prints what changes. Returns the exit code. */
async function deploy(
  deps: FlagsDependencies,
  desired: (deployed: FlagValues) => FlagValues,
  options: { wait: boolean },
): Promise<number> {
  const ids = await findIds(deps);
  let deployments = await deploymentsOf(deps, ids);
  const underWay = deployments.find((deployment) => UNDER_WAY.has(deployment.State ?? ""));
  if (underWay) {
    if (!options.wait) {
      throw new FlagsError(
        `${describeDeployment(underWay)}: AppConfig runs one deployment per environment at a time. Run again with --wait to deploy when it ends.`,
      );
    }
    deps.print(`Waiting: ${describeDeployment(underWay)}`);
    await follow(deps, ids, underWay.DeploymentNumber as number);
    deployments = await deploymentsOf(deps, ids);
  }
  const deployed = await deployedValues(deps, ids, deployments);
  const wanted = desired(deployed.values);
  const changes = (Object.keys(wanted) as FeatureFlag[]).filter((flag) => wanted[flag] !== deployed.values[flag]);
  const where = `${deps.target.stack} (${deps.target.region}, environment ${deps.target.names.environment})`;
  if (changes.length === 0) {
    deps.print(`Nothing to deploy: ${where} already serves these values (version ${deployed.version ?? "none"}).`);
    return 0;
  }
  const summary = changes.map((flag) => `${flag} ${wanted[flag] ? "on" : "off"}`).join(", ");
  deps.print(`Deploying to ${where}: ${summary}`);

  const { Items: versions = [] } = await deps.client.send(
    new ListHostedConfigurationVersionsCommand({
      ApplicationId: ids.applicationId,
      ConfigurationProfileId: ids.profileId,
    }),
  );
  const latestVersion = Math.max(0, ...versions.map((version) => version.VersionNumber ?? 0));
  const description = `${summary} (npm run flags, ${deps.actor})`.slice(0, 1024);
  const { VersionNumber } = await deps.client.send(
    new CreateHostedConfigurationVersionCommand({
      ApplicationId: ids.applicationId,
      ConfigurationProfileId: ids.profileId,
      Content: Buffer.from(featureFlagsDocument(wanted)),
      ContentType: "application/json",
      Description: description,
      // Optimistic locking: refused if someone created a version since we looked (AppConfig API reference).
      ...(latestVersion ? { LatestVersionNumber: latestVersion } : {}),
    }),
  );
  let started;
  try {
    started = await deps.client.send(
      new StartDeploymentCommand({
        ApplicationId: ids.applicationId,
        EnvironmentId: ids.environmentId,
        ConfigurationProfileId: ids.profileId,
        DeploymentStrategyId: ids.strategyId,
        ConfigurationVersion: String(VersionNumber),
        Description: description,
        // Refused if another deployment started since we looked.
        ...(deployments[0]?.DeploymentNumber ? { LatestDeploymentNumber: deployments[0].DeploymentNumber } : {}),
      }),
    );
  } catch (error) {
    if (error instanceof ConflictException)
      throw new FlagsError(
        `another deployment started in ${where} meanwhile (${error.message}); version ${VersionNumber} is created but not deployed. Run again with --wait.`,
      );
    throw error;
  }
  deps.print(
    `Started deployment #${started.DeploymentNumber} of version ${VersionNumber}: ${started.DeploymentDurationInMinutes ?? "?"} min, then ${started.FinalBakeTimeInMinutes ?? "?"} min watching the alarms.`,
  );
  const final = await follow(deps, ids, started.DeploymentNumber as number);
  if (final.State === "COMPLETE") {
    deps.print(`Deployed: ${where} serves version ${VersionNumber} (${summary}).`);
    return 0;
  }
  // What started the rollback (an alarm, or someone stopping it), else whatever AppConfig said last.
  const events = final.EventLog ?? [];
  const reason = (events.find((event) => event.EventType === "ROLLBACK_STARTED") ?? events[0])?.Description;
  throw new FlagsError(
    `deployment #${started.DeploymentNumber} ended ${final.State}${reason ? `: ${reason}` : ""}; ${where} serves version ${deployed.version ?? "none"} again.`,
  );
}

/** The stack's values file; a bad one is refused like bad arguments, naming the file, key and value. */
function valuesFile(deps: FlagsDependencies): FlagValues {
  try {
    return deps.readValues();
  } catch (error) {
    throw new FlagsError((error as Error).message);
  }
}

async function show(deps: FlagsDependencies): Promise<number> {
  const ids = await findIds(deps);
  const deployments = await deploymentsOf(deps, ids);
  const deployed = await deployedValues(deps, ids, deployments);
  const file = valuesFile(deps);
  deps.print(`${deps.target.stack}: version ${deployed.version ?? "none"} deployed`);
  for (const flag of Object.keys(FEATURE_FLAGS) as FeatureFlag[]) {
    const live = deployed.values[flag] ? "on" : "off";
    const wanted = file[flag] ? "on" : "off";
    deps.print(
      `  ${flag.padEnd(16)} ${live.padEnd(4)}${live === wanted ? "" : `  (feature-flags/${deps.target.stack}.yaml: ${wanted})`}`,
    );
  }
  const underWay = deployments.find((deployment) => UNDER_WAY.has(deployment.State ?? ""));
  if (underWay) deps.print(`Under way: ${describeDeployment(underWay)}`);
  return 0;
}

/** What the command line asks for. */
export type FlagsRequest =
  | { stack: string; action: "show" | "sync"; wait: boolean }
  | { stack: string; action: "set"; flag: FeatureFlag; on: boolean; wait: boolean };

/** The command's arguments, checked before any AWS call; undefined for --help. */
export function flagsArguments(argv: readonly string[]): FlagsRequest | undefined {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { wait: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) return undefined;
  const [stack, action, flag, value, ...rest] = positionals;
  if (!stack || !action) throw new FlagsError("a stack and an action are needed");
  if (action === "show" || action === "sync") {
    if (flag !== undefined)
      throw new FlagsError(`${action} takes no more arguments, not ${positionals.slice(2).join(" ")}`);
    return { stack, action, wait: values.wait };
  }
  if (action !== "set") throw new FlagsError(`unknown action "${action}": show, set or sync`);
  if (!flag || !(flag in FEATURE_FLAGS))
    throw new FlagsError(`unknown flag "${flag ?? ""}": one of ${Object.keys(FEATURE_FLAGS).join(", ")}`);
  if (value !== "on" && value !== "off")
    throw new FlagsError(`${flag}: the value must be on or off, not "${value ?? ""}"`);
  if (rest.length) throw new FlagsError(`unexpected ${rest.join(" ")}`);
  return { stack, action, flag: flag as FeatureFlag, on: value === "on", wait: values.wait };
}

/** Runs the command: returns the exit code (0 done, 1 refused or failed, 2 bad usage). */
export async function runFlags(
  argv: readonly string[],
  dependencies: (stack: string) => FlagsDependencies,
  printError: (line: string) => void = console.error,
): Promise<number> {
  let parsed: FlagsRequest | undefined;
  try {
    parsed = flagsArguments(argv);
  } catch (error) {
    printError(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  try {
    if (!parsed) {
      console.log(USAGE);
      return 0;
    }
    const request = parsed;
    const deps = dependencies(request.stack);
    if (request.action !== "set") {
      if (request.action === "show") return await show(deps);
      const file = valuesFile(deps);
      return await deploy(deps, () => file, { wait: request.wait });
    }
    const { flag, on, wait } = request;
    return await deploy(deps, (deployed) => ({ ...deployed, [flag]: on }), { wait });
  } catch (error) {
    if (error instanceof FlagsError) {
      printError(error.message);
      return 1;
    }
    // AWS refusing (a service error carries $metadata) or no credentials: said plainly, without a stack trace.
    if (error instanceof Error && ("$metadata" in error || error.name === "CredentialsProviderError")) {
      printError(
        `AWS: ${error.name}: ${error.message} (npm run flags uses the shell's credentials for the stack's account)`,
      );
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  void runFlags(process.argv.slice(2), (stack) => {
    const target = flagsTarget(stack);
    return {
      client: new AppConfigClient({ region: target.region }),
      target,
      readValues: () => readFlagValues(stack, PROJECT_ROOT),
      print: (line) => console.log(line),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: () => Date.now(),
      actor: process.env.GITHUB_ACTOR
        ? `${process.env.GITHUB_ACTOR} via GitHub Actions`
        : (process.env.USER ?? "someone"),
    };
  }).then((code) => process.exit(code));
}
