/**
 * An in-memory Secrets Manager behind `aws-sdk-client-mock`, with the label rules rotation depends on
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html#term_version):
 * a staging label is on at most one version; moving `AWSCURRENT` puts `AWSPREVIOUS` on the version it left;
 * `RotateSecret` records a version under a new token with `AWSPENDING` and no value, which the function's
 * `createSecret` fills (`GetSecretValue` of a version without a value is `ResourceNotFoundException`).
 */
import { randomUUID } from "node:crypto";
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type DescribeSecretCommandInput,
  type GetSecretValueCommandInput,
  type PutSecretValueCommandInput,
  type UpdateSecretVersionStageCommandInput,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { ROTATION_STEPS, type RotationEvent, type RotationStep } from "../../functions/rotation/protocol";

interface Version {
  value: string | undefined;
  stages: string[];
}

export class FakeSecretsManager {
  /** The client to hand to the code under test. */
  public readonly client = new SecretsManagerClient({
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  private readonly secrets = new Map<string, { versions: Map<string, Version>; rotationEnabled: boolean }>();

  constructor() {
    const mock = mockClient(this.client);
    const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: {} });
    const secret = (id: string | undefined) => {
      const found = this.secrets.get(id ?? "");
      if (!found) throw notFound(`no secret ${id}`);
      return found;
    };
    mock.on(DescribeSecretCommand).callsFake(({ SecretId }: DescribeSecretCommandInput) => {
      const { versions, rotationEnabled } = secret(SecretId);
      return {
        ARN: SecretId,
        RotationEnabled: rotationEnabled,
        VersionIdsToStages: Object.fromEntries([...versions].map(([id, version]) => [id, [...version.stages]])),
      };
    });
    mock.on(GetSecretValueCommand).callsFake(({ SecretId, VersionId, VersionStage }: GetSecretValueCommandInput) => {
      const { versions } = secret(SecretId);
      const [id, version] =
        [...versions].find(
          ([versionId, candidate]) =>
            (VersionId === undefined || versionId === VersionId) &&
            candidate.stages.includes(VersionStage ?? "AWSCURRENT"),
        ) ?? [];
      if (!id || version?.value === undefined) throw notFound(`${SecretId} has no ${VersionStage} ${VersionId ?? ""}`);
      return { ARN: SecretId, VersionId: id, SecretString: version.value, VersionStages: [...version.stages] };
    });
    mock
      .on(PutSecretValueCommand)
      .callsFake(({ SecretId, ClientRequestToken, SecretString, VersionStages }: PutSecretValueCommandInput) => {
        const { versions } = secret(SecretId);
        const id = ClientRequestToken ?? randomUUID();
        const existing = versions.get(id);
        if (existing?.value !== undefined && existing.value !== SecretString) {
          throw new Error(`version ${id} of ${SecretId} already holds a different value`);
        }
        versions.set(id, { value: SecretString, stages: existing?.stages ?? [] });
        for (const stage of VersionStages ?? ["AWSCURRENT"]) this.label(SecretId!, id, stage);
        return { ARN: SecretId, VersionId: id };
      });
    mock
      .on(UpdateSecretVersionStageCommand)
      .callsFake(
        ({ SecretId, VersionStage, MoveToVersionId, RemoveFromVersionId }: UpdateSecretVersionStageCommandInput) => {
          const { versions } = secret(SecretId);
          const stage = VersionStage ?? "";
          const holder = [...versions].find(([, version]) => version.stages.includes(stage))?.[0];
          if (holder && holder !== MoveToVersionId && holder !== RemoveFromVersionId) {
            throw new Error(`${stage} is on ${holder}; RemoveFromVersionId must name it`);
          }
          this.label(SecretId ?? "", MoveToVersionId ?? "", stage);
          return { ARN: SecretId };
        },
      );
  }

  /** Creates a secret with a first (current) value. */
  create(id: string, value: object, options: { rotationEnabled?: boolean } = {}): void {
    const versions = new Map<string, Version>([
      [randomUUID(), { value: JSON.stringify(value), stages: ["AWSCURRENT"] }],
    ]);
    this.secrets.set(id, { versions, rotationEnabled: options.rotationEnabled ?? true });
  }

  /** The parsed value under a label. */
  value<T>(id: string, stage = "AWSCURRENT"): T | undefined {
    const version = [...(this.secrets.get(id)?.versions.values() ?? [])].find((v) => v.stages.includes(stage));
    return version?.value === undefined ? undefined : (JSON.parse(version.value) as T);
  }

  /** What `RotateSecret` does: a new version under a new token, labelled AWSPENDING, without a value yet. */
  startRotation(id: string): string {
    const token = randomUUID();
    this.secrets.get(id)!.versions.set(token, { value: undefined, stages: [] });
    this.label(id, token, "AWSPENDING");
    return token;
  }

  /** A whole rotation: the four steps in order, `after` called after each. */
  async rotate(
    id: string,
    handler: (event: RotationEvent) => Promise<void>,
    after: (step: RotationStep) => Promise<void> = () => Promise.resolve(),
  ): Promise<string> {
    const token = this.startRotation(id);
    for (const step of ROTATION_STEPS) {
      await handler({ Step: step, SecretId: id, ClientRequestToken: token });
      await after(step);
    }
    return token;
  }

  private label(id: string, versionId: string, stage: string): void {
    const { versions } = this.secrets.get(id)!;
    for (const [otherId, version] of versions) {
      if (otherId === versionId || !version.stages.includes(stage)) continue;
      version.stages = version.stages.filter((s) => s !== stage);
      if (stage === "AWSCURRENT") this.label(id, otherId, "AWSPREVIOUS");
    }
    const target = versions.get(versionId)!;
    if (!target.stages.includes(stage)) target.stages.push(stage);
  }
}
