import { expect } from "chai";
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
  type GetHostedConfigurationVersionCommandOutput,
} from "@aws-sdk/client-appconfig";
import { mockClient } from "aws-sdk-client-mock";
import { FEATURE_FLAGS } from "../config/app";
import {
  allOff,
  featureFlagsDocument,
  parseFlagValues,
  readFlagValues,
  valuesOfDocument,
  type FlagValues,
} from "../config/flag-values";
import { PROJECT_ROOT, stackNames } from "../offline/stack-files";
import { flagsTarget, runFlags, type FlagsDependencies } from "../scripts/flags";
import { ofType, stackRun } from "./helpers";

const client = new AppConfigClient({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
const appconfig = mockClient(client);

const DEPLOYED: FlagValues = { ...allOff(), "cost-insights": true };
/** A hosted version's content as the SDK returns it (its blob adapter is a Uint8Array with helpers the command does not use). */
const document = (values: FlagValues) =>
  new Uint8Array(Buffer.from(featureFlagsDocument(values))) as GetHostedConfigurationVersionCommandOutput["Content"];
/** The values of the document a CreateHostedConfigurationVersion call sent. */
const contentOf = (input: { Content?: unknown } | undefined) =>
  valuesOfDocument(Buffer.from(input?.Content as Uint8Array).toString("utf8"));

/** A production environment as AppConfig shows it: version 4 deployed (#3), version 5 created but never deployed. */
function givenProduction() {
  appconfig.reset();
  appconfig.on(ListApplicationsCommand).resolves({
    Items: [
      { Id: "other", Name: "cloudweave-staging" },
      { Id: "app1", Name: "cloudweave-production" },
    ],
  });
  appconfig
    .on(ListEnvironmentsCommand, { ApplicationId: "app1" })
    .resolves({ Items: [{ Id: "env1", Name: "production" }] });
  appconfig
    .on(ListConfigurationProfilesCommand, { ApplicationId: "app1" })
    .resolves({ Items: [{ Id: "prof1", Name: "feature-flags" }] });
  appconfig.on(ListDeploymentStrategiesCommand).resolves({
    Items: [
      { Id: "AppConfig.AllAtOnce", Name: "AppConfig.AllAtOnce" },
      { Id: "strat1", Name: "cloudweave-production-flags-gradual" },
    ],
  });
  appconfig.on(ListDeploymentsCommand).resolves({
    Items: [
      { DeploymentNumber: 2, State: "COMPLETE", ConfigurationName: "feature-flags", ConfigurationVersion: "3" },
      { DeploymentNumber: 3, State: "COMPLETE", ConfigurationName: "feature-flags", ConfigurationVersion: "4" },
    ],
  });
  appconfig
    .on(GetHostedConfigurationVersionCommand, { VersionNumber: 4 })
    .resolves({ Content: document(DEPLOYED), ContentType: "application/json" });
  appconfig
    .on(ListHostedConfigurationVersionsCommand)
    .resolves({ Items: [{ VersionNumber: 5 }, { VersionNumber: 4 }] });
  appconfig.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 6 });
  appconfig
    .on(StartDeploymentCommand)
    .resolves({ DeploymentNumber: 4, DeploymentDurationInMinutes: 30, FinalBakeTimeInMinutes: 10 });
}

/** GetDeployment of `number` answers these states in turn (the last one stays). */
function progress(number: number, states: Partial<Deployment>[]) {
  let call = appconfig.on(GetDeploymentCommand, { DeploymentNumber: number });
  for (const state of states) {
    call = call.resolvesOnce({
      DeploymentNumber: number,
      DeploymentDurationInMinutes: 30,
      FinalBakeTimeInMinutes: 10,
      ConfigurationVersion: "6",
      ...state,
    });
  }
  return call;
}

/** Runs the command against the mocked client; what it printed and its exit code. */
async function flags(args: string[], fileValues: FlagValues = DEPLOYED, readValues?: () => FlagValues) {
  const out: string[] = [];
  const errors: string[] = [];
  let clock = 0;
  const code = await runFlags(
    args,
    (stack): FlagsDependencies => ({
      client,
      target: flagsTarget(stack),
      readValues: readValues ?? (() => fileValues),
      print: (line) => out.push(line),
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
      now: () => clock,
      actor: "alice",
    }),
    (line) => errors.push(line),
  );
  return { code, out, errors: errors.join("\n") };
}

const sent = <Input>(command: new (input: Input) => unknown) =>
  appconfig.commandCalls(command as never).map((call) => call.args[0].input as Input);

describe("npm run flags (scripts/flags.ts) against a mocked AppConfig", () => {
  beforeEach(givenProduction);

  it("set: deploys a new hosted version with the one change on top of what is deployed, and follows it to the end", async () => {
    progress(4, [
      { State: "DEPLOYING", PercentageComplete: 0 },
      { State: "DEPLOYING", PercentageComplete: 50 },
      {
        State: "BAKING",
        PercentageComplete: 100,
        EventLog: [{ EventType: "BAKE_TIME_STARTED", Description: "Bake started" }],
      },
      { State: "COMPLETE", PercentageComplete: 100 },
    ]);
    const { code, out } = await flags(["production", "set", "new-dashboard", "on"]);
    expect(code).to.equal(0);

    const [created] = sent(CreateHostedConfigurationVersionCommand);
    expect(created).to.deep.include({
      ApplicationId: "app1",
      ConfigurationProfileId: "prof1",
      ContentType: "application/json",
      // Refused by AppConfig if a version was created since the command looked: 5 is the latest, though never deployed.
      LatestVersionNumber: 5,
      Description: "new-dashboard on (npm run flags, alice)",
    });
    // Built on the deployed version 4, not on the undeployed 5: cost-insights stays on.
    expect(contentOf(created)).to.deep.equal({
      ...DEPLOYED,
      "new-dashboard": true,
    });
    expect(sent(StartDeploymentCommand)).to.deep.equal([
      {
        ApplicationId: "app1",
        EnvironmentId: "env1",
        ConfigurationProfileId: "prof1",
        DeploymentStrategyId: "strat1",
        ConfigurationVersion: "6",
        Description: "new-dashboard on (npm run flags, alice)",
        LatestDeploymentNumber: 3,
      },
    ]);
    expect(out).to.deep.equal([
      "Deploying to production (us-east-1, environment production): new-dashboard on",
      "Started deployment #4 of version 6: 30 min, then 10 min watching the alarms.",
      "  #4 [--------------------]   0% DEPLOYING",
      "  #4 [##########----------]  50% DEPLOYING",
      "   BAKE_TIME_STARTED: Bake started",
      "  #4 [####################] 100% BAKING",
      "  #4 [####################] 100% COMPLETE",
      "Deployed: production (us-east-1, environment production) serves version 6 (new-dashboard on).",
    ]);
  });

  it("deploys nothing when the value is already live", async () => {
    const { code, out } = await flags(["production", "set", "cost-insights", "on"]);
    expect(code).to.equal(0);
    expect(out).to.deep.equal([
      "Nothing to deploy: production (us-east-1, environment production) already serves these values (version 4).",
    ]);
    expect(sent(CreateHostedConfigurationVersionCommand)).to.deep.equal([]);
    expect(sent(StartDeploymentCommand)).to.deep.equal([]);
  });

  it("refuses, saying why and what to do, while another deployment runs in the environment", async () => {
    appconfig.on(ListDeploymentsCommand).resolves({
      Items: [
        {
          DeploymentNumber: 4,
          State: "DEPLOYING",
          PercentageComplete: 40,
          ConfigurationName: "feature-flags",
          ConfigurationVersion: "5",
          StartedAt: new Date("2026-11-26T10:00:00Z"),
        },
        { DeploymentNumber: 3, State: "COMPLETE", ConfigurationName: "feature-flags", ConfigurationVersion: "4" },
      ],
    });
    const { code, errors } = await flags(["production", "set", "bulk-import", "on"]);
    expect(code).to.equal(1);
    expect(errors).to.equal(
      "deployment #4 (version 5) is DEPLOYING, 40% complete, started 2026-11-26T10:00:00.000Z: AppConfig runs one deployment per environment at a time. Run again with --wait to deploy when it ends.",
    );
    expect(sent(CreateHostedConfigurationVersionCommand)).to.deep.equal([]);
  });

  it("with --wait, follows the running deployment to its end, then deploys on top of what it left", async () => {
    appconfig
      .on(ListDeploymentsCommand)
      .resolvesOnce({
        Items: [
          {
            DeploymentNumber: 4,
            State: "BAKING",
            PercentageComplete: 100,
            ConfigurationName: "feature-flags",
            ConfigurationVersion: "5",
          },
          { DeploymentNumber: 3, State: "COMPLETE", ConfigurationName: "feature-flags", ConfigurationVersion: "4" },
        ],
      })
      .resolves({
        Items: [
          { DeploymentNumber: 4, State: "COMPLETE", ConfigurationName: "feature-flags", ConfigurationVersion: "5" },
          { DeploymentNumber: 3, State: "COMPLETE", ConfigurationName: "feature-flags", ConfigurationVersion: "4" },
        ],
      });
    const afterFour: FlagValues = { ...DEPLOYED, "bulk-import": true };
    appconfig.on(GetHostedConfigurationVersionCommand, { VersionNumber: 5 }).resolves({ Content: document(afterFour) });
    progress(4, [
      { State: "BAKING", PercentageComplete: 100 },
      { State: "COMPLETE", PercentageComplete: 100 },
    ]);
    appconfig.on(StartDeploymentCommand).resolves({ DeploymentNumber: 5 });
    progress(5, [{ State: "COMPLETE", PercentageComplete: 100 }]);

    const { code, out } = await flags(["production", "set", "new-dashboard", "on", "--wait"]);
    expect(code).to.equal(0);
    expect(out[0]).to.equal("Waiting: deployment #4 (version 5) is BAKING, 100% complete");
    const [created] = sent(CreateHostedConfigurationVersionCommand);
    expect(contentOf(created)).to.deep.equal({
      ...afterFour,
      "new-dashboard": true,
    });
    expect(sent(StartDeploymentCommand)[0]?.LatestDeploymentNumber).to.equal(4);
  });

  it("fails with AppConfig's reason when the deployment rolls back on an alarm", async () => {
    progress(4, [
      { State: "DEPLOYING", PercentageComplete: 20 },
      {
        State: "ROLLED_BACK",
        PercentageComplete: 0,
        EventLog: [
          { EventType: "ROLLBACK_COMPLETED", Description: "Rollback completed" },
          {
            EventType: "ROLLBACK_STARTED",
            Description: "Rollback initiated by alarm cloudweave-production-backend-target-5xx",
          },
        ],
      },
    ]);
    const { code, errors } = await flags(["production", "set", "new-dashboard", "on"]);
    expect(code).to.equal(1);
    expect(errors).to.equal(
      "deployment #4 ended ROLLED_BACK: Rollback initiated by alarm cloudweave-production-backend-target-5xx; production (us-east-1, environment production) serves version 4 again.",
    );
  });

  it("stops waiting, saying where to look, when a deployment outlasts its strategy's duration and bake by 15 minutes", async () => {
    appconfig.on(GetDeploymentCommand, { DeploymentNumber: 4 }).resolves({
      DeploymentNumber: 4,
      State: "DEPLOYING",
      PercentageComplete: 90,
      ConfigurationVersion: "6",
      DeploymentDurationInMinutes: 30,
      FinalBakeTimeInMinutes: 10,
    });
    const { code, errors, out } = await flags(["production", "set", "new-dashboard", "on"]);
    expect(code).to.equal(1);
    expect(errors).to.equal(
      "deployment #4 (version 6) is DEPLOYING, 90% complete after 55 minutes of waiting; it goes on in AWS: aws appconfig get-deployment --region us-east-1 --application-id app1 --environment-id env1 --deployment-number 4",
    );
    // One progress line, not one per poll.
    expect(out.filter((line) => line.startsWith("  #4"))).to.have.length(1);
  });

  it("says so when another deployment starts between its look and its start", async () => {
    appconfig
      .on(StartDeploymentCommand)
      .rejects(new ConflictException({ message: "Deployment #4 is in progress", $metadata: {} }));
    const { code, errors } = await flags(["production", "set", "new-dashboard", "on"]);
    expect(code).to.equal(1);
    expect(errors).to.equal(
      "another deployment started in production (us-east-1, environment production) meanwhile (Deployment #4 is in progress); version 6 is created but not deployed. Run again with --wait.",
    );
  });

  it("sync: deploys the values file as it is", async () => {
    progress(4, [{ State: "COMPLETE", PercentageComplete: 100 }]);
    const file: FlagValues = { "new-dashboard": true, "bulk-import": false, "cost-insights": false };
    const { code, out } = await flags(["production", "sync"], file);
    expect(code).to.equal(0);
    expect(out[0]).to.equal(
      "Deploying to production (us-east-1, environment production): new-dashboard on, cost-insights off",
    );
    expect(contentOf(sent(CreateHostedConfigurationVersionCommand)[0])).to.deep.equal(file);
  });

  it("show: what is deployed, where the file differs, and a deployment under way", async () => {
    const { code, out } = await flags(["production", "show"], { ...DEPLOYED, "bulk-import": true });
    expect(code).to.equal(0);
    expect(out).to.deep.equal([
      "production: version 4 deployed",
      "  new-dashboard    off ",
      "  bulk-import      off   (feature-flags/production.yaml: on)",
      "  cost-insights    on  ",
    ]);
  });

  it("refuses bad input before calling AWS: an unknown flag, stack or action, a value not on/off, a bad values file", async () => {
    const cases: [string[], number, string][] = [
      [
        ["production", "set", "dark-mode", "on"],
        2,
        'unknown flag "dark-mode": one of new-dashboard, bulk-import, cost-insights',
      ],
      [["production", "set", "new-dashboard", "yes"], 2, 'new-dashboard: the value must be on or off, not "yes"'],
      [["production", "flip"], 2, 'unknown action "flip": show, set or sync'],
      [["production"], 2, "a stack and an action are needed"],
      [["prod", "show"], 1, 'unknown stack "prod": one of production, production-dr, staging, staging-dr'],
    ];
    for (const [args, code, message] of cases) {
      const result = await flags(args);
      expect(result.code, args.join(" ")).to.equal(code);
      expect(result.errors.split("\n")[0], args.join(" ")).to.equal(message);
    }
    const badFile = await flags(["production", "sync"], DEPLOYED, () =>
      parseFlagValues("new-dashboard: yes\n", "feature-flags/production.yaml"),
    );
    expect(badFile.code).to.equal(1);
    expect(badFile.errors).to.equal('feature-flags/production.yaml: new-dashboard = "yes": must be on or off');
    expect(appconfig.calls()).to.have.length(0);
  });

  it("says plainly when AWS refuses, without a stack trace", async () => {
    const denied = Object.assign(new Error("User is not authorized to perform: appconfig:ListApplications"), {
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 403 },
    });
    appconfig.on(ListApplicationsCommand).rejects(denied);
    const { code, errors } = await flags(["production", "show"]);
    expect(code).to.equal(1);
    expect(errors).to.equal(
      "AWS: AccessDeniedException: User is not authorized to perform: appconfig:ListApplications (npm run flags uses the shell's credentials for the stack's account)",
    );
  });

  it("says which AppConfig resource it cannot find, and why that may be", async () => {
    appconfig.on(ListApplicationsCommand).resolves({ Items: [{ Id: "other", Name: "cloudweave-staging" }] });
    const { code, errors } = await flags(["production", "show"]);
    expect(code).to.equal(1);
    expect(errors).to.equal(
      'no AppConfig application named "cloudweave-production" in us-east-1 (has the production stack been deployed?)',
    );
  });
});

describe("the flag values files (config/flag-values.ts)", () => {
  it("has one per stack, each naming only flags the backend knows, on or off", () => {
    for (const stack of stackNames()) {
      const values = readFlagValues(stack, PROJECT_ROOT);
      expect(Object.keys(values), stack).to.have.members(Object.keys(FEATURE_FLAGS));
    }
  });

  it("refuses an unknown flag and a value that is not on/off (YAML's true included); a missing flag is off", () => {
    const refusal = (text: string) => {
      try {
        parseFlagValues(text, "f.yaml");
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    };
    expect(refusal("dark-mode: on\n")).to.equal(
      "f.yaml: dark-mode: not a flag the backend knows (new-dashboard, bulk-import, cost-insights)",
    );
    expect(refusal("bulk-import: true\n")).to.equal("f.yaml: bulk-import = true: must be on or off");
    expect(parseFlagValues("cost-insights: on\n", "f.yaml")).to.deep.equal({ ...allOff(), "cost-insights": true });
    expect(parseFlagValues("", "f.yaml")).to.deep.equal(allOff());
  });

  it("finds what the program declares: the command's names are the stack's AppConfig resources", async () => {
    for (const stack of ["staging", "production"]) {
      const run = await stackRun(stack);
      const { names } = flagsTarget(stack);
      const named = (type: string) => ofType(run, type).map((resource) => resource.inputs.name);
      expect(named("aws:appconfig/application:Application"), stack).to.deep.equal([names.application]);
      expect(named("aws:appconfig/environment:Environment"), stack).to.deep.equal([names.environment]);
      expect(named("aws:appconfig/configurationProfile:ConfigurationProfile"), stack).to.deep.equal([names.profile]);
      expect(named("aws:appconfig/deploymentStrategy:DeploymentStrategy"), stack).to.deep.equal([names.strategy]);
      expect(flagsTarget(stack).region).to.equal(run.config["aws:region"]);
    }
  });
});
