/**
 * CloudWatch's evaluation of a metric alarm, to test what an alarm does rather than how it is written.
 * - Alarm evaluation: the last `evaluationPeriods` datapoints, `datapointsToAlarm` of them breaching, missing data as
 *   `treatMissingData` says (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
 * - Metric math (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html): the forms
 *   this project uses — `FILL(id, n)`, `a + b`, `MAX([a, b])`; a metric-math alarm must have exactly one query that
 *   returns data (PutMetricAlarm: "exactly one ... ReturnData set to true").
 */

/** One value per period, oldest first; `undefined` where the metric has no datapoint. */
export type Series = (number | undefined)[];

/** What CloudWatch holds: the series of a metric, by namespace, name, statistic and dimensions (or none). */
export type MetricSource = (metric: {
  namespace: string;
  metricName: string;
  stat: string;
  dimensions: Record<string, unknown>;
}) => Series | undefined;

interface Query {
  id: string;
  expression?: string;
  returnData?: boolean;
  metric?: { namespace: string; metricName: string; stat: string; period: number; dimensions: Record<string, unknown> };
}

const OPERATORS: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  GreaterThanThreshold: (v, t) => v > t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};
const MISSING_DATA = ["breaching", "notBreaching", "ignore", "missing"];

function evaluate(expression: string, series: Record<string, Series>, length: number): Series {
  const text = expression.trim();
  const fill = /^FILL\((\w+), *(-?[\d.]+)\)$/.exec(text);
  if (fill) return (series[fill[1] as string] ?? []).concat().map((value) => value ?? Number(fill[2]));
  const max = /^MAX\(\[(.*)\]\)$/.exec(text);
  if (max) {
    const parts = splitTopLevel(max[1] as string, ",").map((part) => evaluate(part, series, length));
    return Array.from({ length }, (_, i) => {
      const values = parts.map((part) => part[i]).filter((v): v is number => v !== undefined);
      return values.length > 0 ? Math.max(...values) : undefined;
    });
  }
  const sum = splitTopLevel(text, "+");
  if (sum.length > 1) {
    const parts = sum.map((part) => evaluate(part, series, length));
    return Array.from({ length }, (_, i) =>
      parts.some((part) => part[i] === undefined)
        ? undefined
        : parts.reduce((total, part) => total + (part[i] as number), 0),
    );
  }
  if (/^\w+$/.test(text) && series[text]) return series[text];
  throw new Error(`metric math this model does not know: ${expression}`);
}

function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

/** The alarm's state after the last period of `length`, given what CloudWatch holds. */
export function alarmState(alarm: Record<string, unknown>, source: MetricSource, length: number): "ALARM" | "OK" {
  const compare = OPERATORS[String(alarm.comparisonOperator)];
  if (!compare) throw new Error(`comparisonOperator ${String(alarm.comparisonOperator)} is not one CloudWatch knows`);
  const missing = typeof alarm.treatMissingData === "string" ? alarm.treatMissingData : "missing";
  if (!MISSING_DATA.includes(missing)) throw new Error(`treatMissingData ${missing} is not one CloudWatch knows`);
  let values: Series;
  const queries = alarm.metricQueries as Query[] | undefined;
  if (queries) {
    // MetricDataQuery Id: "must start with a lowercase letter" and hold letters, digits and underscores (PutMetricAlarm).
    for (const query of queries) {
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(query.id))
        throw new Error(`query id "${query.id}" is not one CloudWatch accepts`);
    }
    const returned = queries.filter((query) => query.returnData === true);
    if (returned.length !== 1) throw new Error(`${returned.length} queries return data; an alarm needs exactly one`);
    const series: Record<string, Series> = {};
    for (const query of queries.filter((candidate) => candidate.metric)) {
      const metric = query.metric!;
      series[query.id] = source({ ...metric }) ?? Array<undefined>(length).fill(undefined);
    }
    values = evaluate((returned[0] as Query).expression ?? (returned[0] as Query).id, series, length);
  } else {
    values =
      source({
        namespace: String(alarm.namespace),
        metricName: String(alarm.metricName),
        stat: String(alarm.statistic),
        dimensions: (alarm.dimensions ?? {}) as Record<string, unknown>,
      }) ?? Array<undefined>(length).fill(undefined);
  }
  const periods = Number(alarm.evaluationPeriods);
  const needed = Number(alarm.datapointsToAlarm ?? periods);
  const window = values.slice(-periods);
  const breaching = window.filter((value) =>
    value === undefined ? missing === "breaching" : compare(value, Number(alarm.threshold)),
  ).length;
  return breaching >= needed ? "ALARM" : "OK";
}
