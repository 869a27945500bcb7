/**
 * The task sizes AWS Fargate accepts (Linux), in ECS task units: 1024 cpu = 1 vCPU, memory in MiB.
 * Source: "Task CPU and memory" in the Amazon ECS developer guide.
 */
const FARGATE_MEMORY_BY_CPU: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

/** The cpu values Fargate accepts, smallest first. */
export const FARGATE_CPU_VALUES: readonly number[] = [...FARGATE_MEMORY_BY_CPU.keys()];

/** The memory sizes (MiB) Fargate accepts for a task of `cpu` units; empty when `cpu` itself is not accepted. */
export function fargateMemoryFor(cpu: number): readonly number[] {
  return FARGATE_MEMORY_BY_CPU.get(cpu) ?? [];
}

/** Describes a list of memory sizes compactly, e.g. "2048-8192 MiB in steps of 1024". */
export function describeMemoryOptions(options: readonly number[]): string {
  if (options.length <= 3) return `${options.join(", ")} MiB`;
  const step = (options[1] ?? 0) - (options[0] ?? 0);
  return `${options[0]}-${options[options.length - 1]} MiB in steps of ${step}`;
}
