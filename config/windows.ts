/**
 * Time windows on the weekly clock (UTC), for the checks that keep backups, snapshots and maintenance apart.
 * Formats as RDS and ElastiCache take them: daily `hh24:mi-hh24:mi`, weekly `ddd:hh24:mi-ddd:hh24:mi`.
 */

const DAY_MINUTES = 24 * 60;
const WEEK_MINUTES = 7 * DAY_MINUTES;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/** A daily window, `03:30-04:00` (it may cross midnight). */
export const DAILY_WINDOW = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
/** A weekly window, `sun:02:00-sun:02:30`. */
export const WEEKLY_WINDOW =
  /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/;
/** A time of day, `06:00`. */
export const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Minutes since Monday 00:00 UTC, as half-open [start, end) spans that never cross the end of the week. */
export type Spans = readonly (readonly [number, number])[];

function minutesOf(time: string): number {
  const [hours = 0, minutes = 0] = time.split(":").map(Number);
  return hours * 60 + minutes;
}

/** Splits a span that runs past the end of the week into two. */
function wrap(start: number, end: number): [number, number][] {
  const from = start % WEEK_MINUTES;
  const to = from + (end - start);
  return to <= WEEK_MINUTES
    ? [[from, to]]
    : [
        [from, WEEK_MINUTES],
        [0, to - WEEK_MINUTES],
      ];
}

/** A window of `duration` minutes from `start` (a time of day), every day. */
export function everyDay(start: string, duration: number): Spans {
  return DAYS.flatMap((_, day) =>
    wrap(day * DAY_MINUTES + minutesOf(start), day * DAY_MINUTES + minutesOf(start) + duration),
  );
}

/** A daily window `hh24:mi-hh24:mi`, every day. */
export function dailyWindow(window: string): Spans {
  const [from = ""] = window.split("-");
  return everyDay(from, dailyDuration(window));
}

/** The minutes a daily window lasts (one crossing midnight ends the next day). */
export function dailyDuration(window: string): number {
  const [from = "", to = ""] = window.split("-");
  const length = minutesOf(to) - minutesOf(from);
  return length > 0 ? length : length + DAY_MINUTES;
}

/** A weekly window `ddd:hh24:mi-ddd:hh24:mi`. */
export function weeklyWindow(window: string): Spans {
  const [start, end] = window.split("-").map((part) => {
    const day = DAYS.indexOf(part.slice(0, 3) as (typeof DAYS)[number]);
    return day * DAY_MINUTES + minutesOf(part.slice(4));
  }) as [number, number];
  return wrap(start, end > start ? end : end + WEEK_MINUTES);
}

/** The minutes a weekly window lasts. */
export function weeklyDuration(window: string): number {
  return weeklyWindow(window).reduce((sum, [start, end]) => sum + end - start, 0);
}

/** The same spans, begun `minutes` earlier: "not within an hour before or during" becomes an overlap test. */
export function widenedBefore(spans: Spans, minutes: number): Spans {
  return spans.flatMap(([start, end]) => wrap(start - minutes + WEEK_MINUTES, end + WEEK_MINUTES));
}

/** Whether two sets of spans share a minute. */
export function overlaps(a: Spans, b: Spans): boolean {
  return a.some(([aStart, aEnd]) => b.some(([bStart, bEnd]) => aStart < bEnd && bStart < aEnd));
}
