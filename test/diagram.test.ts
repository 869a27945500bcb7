import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { renderDiagram, TIERS } from "../offline/diagram";
import { PROJECT_ROOT } from "../offline/harness";
import { architectureWithDiagram, DIAGRAM_STACK } from "../scripts/references";
import { stackRun } from "./helpers";

/** The diagram read back: node labels by id, each node's tier, and the edges. */
function parse(diagram: string) {
  const labels = new Map<string, string>();
  const tiers = new Map<string, string>();
  const edges: { from: string; to: string; port?: string; dotted: boolean }[] = [];
  let tier: string | undefined;
  for (const line of diagram.split("\n").map((text) => text.trim())) {
    const subgraph = /^subgraph (\w+)\[/.exec(line);
    if (subgraph) tier = subgraph[1];
    else if (line === "end") tier = undefined;
    const node = /^(\w+)(?:\[\(?|\(\()"([^"]+)"/.exec(line);
    if (node && !line.includes("-->") && !line.includes("-.->")) {
      labels.set(node[1] as string, node[2] as string);
      if (tier) tiers.set(node[1] as string, tier);
    }
    const solid = /^(\w+) -->\|([^|]+)\| (\w+)$/.exec(line);
    if (solid) edges.push({ from: solid[1] as string, port: solid[2], to: solid[3] as string, dotted: false });
    const dotted = /^(\w+) -\.-> (\w+)$/.exec(line);
    if (dotted) edges.push({ from: dotted[1] as string, to: dotted[2] as string, dotted: true });
  }
  const id = (label: RegExp) => {
    const found = [...labels].filter(([, text]) => label.test(text));
    if (found.length !== 1) throw new Error(`expected one node labelled ${String(label)}, found ${found.length}`);
    return (found[0] as [string, string])[0];
  };
  /** Who may reach `to`, as "<label> :<port>". */
  const reaching = (to: string) =>
    edges
      .filter((edge) => !edge.dotted && edge.to === to)
      .map((edge) => `${labels.get(edge.from) ?? edge.from} :${edge.port ?? ""}`)
      .sort();
  return { labels, tiers, edges, id, reaching };
}

describe("the architecture diagram, drawn from the declared resources", () => {
  it("puts each part in its tier and draws every security-group path with its port", async () => {
    const diagram = parse(renderDiagram(await stackRun("production")));
    const { id, tiers, reaching } = diagram;
    expect(tiers.get(id(/^CloudFront$/))).to.equal("edge");
    expect(tiers.get(id(/^WAF/))).to.equal("edge");
    expect(tiers.get(id(/internet-facing ALB/))).to.equal("public");
    expect(tiers.get(id(/^NAT gateway ×3$/))).to.equal("public");
    expect(tiers.get(id(/^ECS frontend/))).to.equal("private");
    expect(tiers.get(id(/^ECS backend/))).to.equal("private");
    expect(tiers.get(id(/^internal ALB/))).to.equal("private");
    expect(tiers.get(id(/^RDS postgres db\.t3\.medium Multi-AZ$/))).to.equal("data");
    expect(tiers.get(id(/^ElastiCache/))).to.equal("data");
    expect(tiers.get(id(/^SNS warning$/))).to.equal("operations");
    expect(tiers.get(id(/^Budget$/))).to.equal("operations");

    // Who may reach whom, from the ingress rules: viewers only through CloudFront, the data stores only from the
    // backend and the rotation functions.
    expect(reaching(id(/internet-facing ALB/))).to.deep.equal(["CloudFront :443", "NAT gateway ×3 :443"]);
    expect(reaching(id(/^ECS frontend/))).to.deep.equal([`${diagram.labels.get(id(/internet-facing ALB/))} :80`]);
    expect(reaching(id(/^internal ALB/))).to.deep.equal([
      `${diagram.labels.get(id(/^ECS frontend/))} :443`,
      "Lambda in the VPC :443",
    ]);
    expect(reaching(id(/^ECS backend/))).to.deep.equal([`${diagram.labels.get(id(/^internal ALB/))} :3001`]);
    expect(reaching(id(/^RDS/))).to.deep.equal([
      `${diagram.labels.get(id(/^ECS backend/))} :5432`,
      "Lambda in the VPC ×3 :5432",
    ]);
    expect(reaching(id(/^ElastiCache/))).to.deep.equal([
      `${diagram.labels.get(id(/^ECS backend/))} :6379`,
      "Lambda in the VPC ×3 :6379",
    ]);
    expect(diagram.edges.some((edge) => edge.from === "viewers" && edge.to === id(/^CloudFront$/))).to.equal(true);
    // The budget alerts the warning topic: a recorded dependency.
    expect(diagram.edges).to.deep.include({ from: id(/^Budget$/), to: id(/^SNS warning$/), dotted: true });
  });

  it("draws only nodes it declares, each edge between two of them, in the five tiers", async () => {
    for (const stack of ["staging", "production", "production-dr"]) {
      const text = renderDiagram(await stackRun(stack));
      const diagram = parse(text);
      for (const edge of diagram.edges) {
        for (const end of [edge.from, edge.to]) {
          expect(end === "viewers" || diagram.labels.has(end), `${stack}: ${end} is declared`).to.equal(true);
        }
      }
      expect(
        [...new Set(diagram.tiers.values())].every((tier) => (TIERS as readonly string[]).includes(tier)),
      ).to.equal(true);
      expect(text.startsWith("flowchart LR\n")).to.equal(true);
    }
  });

  it("shows a standby's load balancer admitting the primary's CloudFront, which the standby does not declare", async () => {
    const diagram = parse(renderDiagram(await stackRun("production-dr")));
    expect([...diagram.labels.values()]).to.not.include("CloudFront");
    expect(diagram.reaching(diagram.id(/internet-facing ALB/))).to.include("CloudFront (the primary's) :443");
  });

  it("is the diagram docs/architecture.md shows, and a change to the program makes the committed one stale", async () => {
    const committed = fs.readFileSync(path.join(PROJECT_ROOT, "docs/architecture.md"), "utf8");
    expect(await architectureWithDiagram((stack) => stackRun(stack))).to.equal(committed);
    expect(committed).to.include(renderDiagram(await stackRun(DIAGRAM_STACK)));
    // Production with a second cache replica: the same prose, another diagram, so the references test fails until
    // `npm run docs` redraws it.
    const cache = JSON.parse((await stackRun(DIAGRAM_STACK)).config["cloudweave:cache"] ?? "{}") as object;
    const changed = await stackRun(DIAGRAM_STACK, { "cloudweave:cache": { ...cache, replicas: 2 } });
    const regenerated = await architectureWithDiagram(() => Promise.resolve(changed));
    expect(regenerated).to.not.equal(committed);
    expect(regenerated).to.include("cache.t3.micro × 3").and.to.not.include("cache.t3.micro × 2");
  });
});
