/**
 * How long a release takes to reach every user, and how long `pulumi up` may wait for it: one timeline for the
 * schema's checks, the services' update timeouts, the offline plan and the docs.
 *
 * The order is ECS's: a deployment's lifecycle stages run RECONCILE_SERVICE, PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP,
 * TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, (before each canary or linear step) PRE_PRODUCTION_TRAFFIC_SHIFT,
 * PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP
 * (ServiceDeployment.lifecycleStage, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html;
 * hooks: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html).
 */

/** What the stack file says about a release's rollout (`cloudweave:deployment`). */
export interface RolloutSettings {
  strategy: "BLUE_GREEN" | "CANARY" | "LINEAR";
  bakeTimeMinutes: number;
  canary: { percent: number; bakeMinutes: number };
  linear: { stepPercent: number; stepBakeMinutes: number };
  /** Minutes the release checks may keep failing (retried) before the release rolls back. */
  checks: { testMinutes: number; productionMinutes: number };
}

/** Minutes a release's new tasks may take to start and pass their load balancer health checks. */
export const TASK_START_MINUTES = 20;

/** Minutes a release's `pulumi up` spends besides waiting for the service deployments. */
export const PULUMI_UP_OVERHEAD_MINUTES = 15;

/** One event of a release, in order. */
export interface ReleaseEvent {
  /** The ECS lifecycle stage it happens in. */
  stage: string;
  /** What happens. */
  what: string;
  /** The most minutes it may take (0: a moment). */
  minutes: number;
  /** The release checks run here (an ECS lifecycle hook). */
  checks?: "test" | "production";
}

/** The shares of production traffic (%) the new version has after each shift. */
export function productionShares(settings: RolloutSettings): number[] {
  switch (settings.strategy) {
    case "CANARY":
      return [settings.canary.percent, 100];
    case "LINEAR": {
      const steps = Math.ceil(100 / settings.linear.stepPercent);
      return Array.from({ length: steps }, (_, index) =>
        Math.min(100, Math.round((index + 1) * settings.linear.stepPercent * 100) / 100),
      );
    }
    default:
      return [100];
  }
}

/** A release from the first new task to the old tasks' end, with each event's bound. */
export function releaseTimeline(settings: RolloutSettings): ReleaseEvent[] {
  const { checks } = settings;
  const stepBake = settings.strategy === "CANARY" ? settings.canary.bakeMinutes : settings.linear.stepBakeMinutes;
  const shares = productionShares(settings);
  const stepped = settings.strategy !== "BLUE_GREEN";
  return [
    { stage: "SCALE_UP", what: "the new tasks start and pass their health checks", minutes: TASK_START_MINUTES },
    { stage: "TEST_TRAFFIC_SHIFT", what: "the test rule sends test traffic to the new tasks", minutes: 0 },
    {
      stage: "POST_TEST_TRAFFIC_SHIFT",
      what: "release checks: the smoke suite against the new tasks through the test rule",
      minutes: checks.testMinutes,
      checks: "test",
    },
    ...shares.flatMap((share, index): ReleaseEvent[] => [
      ...(stepped
        ? [
            {
              stage: "PRE_PRODUCTION_TRAFFIC_SHIFT",
              what: `release checks against the new tasks before ${share}% of production traffic`,
              minutes: checks.productionMinutes,
              checks: "test" as const,
            },
          ]
        : []),
      { stage: "PRODUCTION_TRAFFIC_SHIFT", what: `${share}% of production traffic moves to the new tasks`, minutes: 0 },
      ...(index < shares.length - 1
        ? [{ stage: "PRODUCTION_TRAFFIC_SHIFT", what: `bake at ${share}%: the alarms roll back`, minutes: stepBake }]
        : []),
    ]),
    {
      stage: "POST_PRODUCTION_TRAFFIC_SHIFT",
      what: "release checks under production traffic",
      minutes: checks.productionMinutes,
      checks: "production",
    },
    {
      stage: "BAKE_TIME",
      what: "the old tasks stay up for an instant rollback: the alarms roll back",
      minutes: settings.bakeTimeMinutes,
    },
    { stage: "CLEAN_UP", what: "the old tasks stop", minutes: 0 },
  ];
}

/** How long `pulumi up` waits for one service's deployment before failing it: the whole timeline. */
export function deploymentTimeoutMinutes(settings: RolloutSettings): number {
  return releaseTimeline(settings).reduce((total, event) => total + event.minutes, 0);
}
