/**
 * How long a release takes to reach every user, and how long `pulumi up` may wait for it: one formula for the
 * schema's checks, the services' update timeouts and the docs.
 */

/** What the stack file says about a release's rollout (`cloudweave:deployment`). */
export interface RolloutSettings {
  strategy: "BLUE_GREEN" | "CANARY" | "LINEAR";
  bakeTimeMinutes: number;
  canary: { percent: number; bakeMinutes: number };
  linear: { stepPercent: number; stepBakeMinutes: number };
}

/** Minutes a release's new tasks may take to start, pass their health checks and the test stage. */
export const TASK_START_MINUTES = 30;

/** Minutes a release's `pulumi up` spends besides waiting for the service deployments. */
export const PULUMI_UP_OVERHEAD_MINUTES = 15;

/**
 * Minutes from the first shift of production traffic to the end of the bake: a canary's bake then the final bake, or
 * (conservatively, one step more than ECS waits) every linear step's bake then the final bake, or the bake alone.
 */
export function rolloutMinutes(settings: RolloutSettings): number {
  switch (settings.strategy) {
    case "CANARY":
      return settings.canary.bakeMinutes + settings.bakeTimeMinutes;
    case "LINEAR":
      return Math.ceil(100 / settings.linear.stepPercent) * settings.linear.stepBakeMinutes + settings.bakeTimeMinutes;
    default:
      return settings.bakeTimeMinutes;
  }
}

/** How long `pulumi up` waits for one service's deployment before failing it: start, test, rollout. */
export function deploymentTimeoutMinutes(settings: RolloutSettings): number {
  return TASK_START_MINUTES + rolloutMinutes(settings);
}
