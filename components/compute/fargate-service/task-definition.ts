import * as pulumi from "@pulumi/pulumi";
import type { ContainerSpec, HealthCheckSpec } from "./types";

/** The application container's name: the load balancer targets it. */
export const APP_CONTAINER = "app";
/** The tracing sidecar's name. */
export const XRAY_CONTAINER = "xray-daemon";
/** The X-Ray daemon's UDP port on the task's loopback. */
export const XRAY_PORT = 2000;

/** The awslogs configuration of one container: the service's log group, the container's stream prefix. */
export function logOptions(logGroupName: pulumi.Input<string>, region: pulumi.Input<string>, streamPrefix: string) {
  return {
    logDriver: "awslogs",
    options: {
      "awslogs-group": logGroupName,
      "awslogs-region": region,
      "awslogs-stream-prefix": streamPrefix,
      // A full log buffer must not block the application; up to 25 MiB is held while CloudWatch catches up.
      mode: "non-blocking",
      "max-buffer-size": "25m",
    },
  };
}

/** A task volume name for a writable path: `/var/cache/nginx` -> `var-cache-nginx`. */
export function volumeName(containerPath: string): string {
  return containerPath.replace(/^\/+|\/+$/g, "").replace(/[^A-Za-z0-9]+/g, "-") || "root";
}

/** Whether `user` (`uid[:gid]` or a name) is someone other than root. */
export function isUnprivileged(user: string): boolean {
  return !/^0(:|$)/.test(user) && !user.startsWith("root");
}

/**
 * The application's container definition: read-only root and no capabilities unless asked, non-root, secrets
 * injected from Secrets Manager, a health check against its own endpoint, traces to the daemon on loopback.
 */
export function appContainer(
  container: ContainerSpec,
  image: pulumi.Input<string>,
  health: Required<HealthCheckSpec>,
  logConfiguration: unknown,
) {
  const volumes = (container.writablePaths ?? []).map((containerPath) => ({
    name: volumeName(containerPath),
    containerPath,
  }));
  return {
    name: APP_CONTAINER,
    image,
    essential: true,
    user: container.user,
    readonlyRootFilesystem: container.readonlyRootFilesystem ?? true,
    privileged: false,
    linuxParameters: { initProcessEnabled: true, capabilities: { add: [], drop: ["ALL"] } },
    portMappings: [{ name: "http", containerPort: container.port, protocol: "tcp" }],
    environment: Object.entries({
      ...container.environment,
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${XRAY_PORT}`,
    })
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([envName, value]) => ({ name: envName, value })),
    secrets: Object.entries(container.secrets ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([envName, secret]) => ({
        name: envName,
        valueFrom: secret.jsonKey
          ? pulumi.interpolate`${secret.secretArn}:${secret.jsonKey}::`
          : pulumi.output(secret.secretArn),
      })),
    mountPoints: volumes.map((volume) => ({
      sourceVolume: volume.name,
      containerPath: volume.containerPath,
      readOnly: false,
    })),
    // A non-root process may bind a port below 1024 only if the task's network namespace allows it.
    systemControls:
      isUnprivileged(container.user) && container.port < 1024
        ? [{ namespace: "net.ipv4.ip_unprivileged_port_start", value: String(container.port) }]
        : [],
    healthCheck: {
      // busybox wget (in the alpine images) exits non-zero on any non-2xx answer.
      command: [
        "CMD-SHELL",
        `wget -q -O /dev/null http://127.0.0.1:${container.port}${container.healthCheckPath} || exit 1`,
      ],
      interval: health.intervalSeconds,
      timeout: health.timeoutSeconds,
      retries: health.unhealthyThreshold,
      startPeriod: health.gracePeriodSeconds,
    },
    stopTimeout: 30,
    logConfiguration,
  };
}

/** The X-Ray daemon sidecar: best effort (not essential), unprivileged, read-only, a small share of the task. */
export function xrayContainer(image: string, logConfiguration: unknown) {
  return {
    name: XRAY_CONTAINER,
    image,
    // Tracing is best effort: the daemon stopping must not stop the application.
    essential: false,
    user: "65534:65534",
    readonlyRootFilesystem: true,
    privileged: false,
    linuxParameters: { initProcessEnabled: true, capabilities: { add: [], drop: ["ALL"] } },
    cpu: 32,
    memoryReservation: 64,
    portMappings: [{ name: "xray", containerPort: XRAY_PORT, protocol: "udp" }],
    logConfiguration,
  };
}
