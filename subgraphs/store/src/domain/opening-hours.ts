import { z } from 'zod';

/** ISO order: Monday is day 0 of the week here, Sunday day 6. */
export const weekdays = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof weekdays)[number];

const minutesPerDay = 24 * 60;
const minutesPerWeek = 7 * minutesPerDay;

export interface TimeInterval {
  /** Local wall-clock time, "HH:MM". */
  opens: string;
  /** "HH:MM" or "24:00"; at or before `opens` means the interval runs past midnight into the next day. */
  closes: string;
}

export interface OpeningDay {
  weekday: Weekday;
  intervals: TimeInterval[];
}

/** A store's week, in its own time zone. Days not listed are closed. */
export type OpeningHours = OpeningDay[];

/** A same-day piece of the week: open on `weekday` (0 = Monday) from startMinute up to, not including, endMinute. */
export interface OpenSegment {
  weekday: number;
  startMinute: number;
  endMinute: number;
}

const opensSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'opens is a time "HH:MM" from 00:00 to 23:59');
const closesSchema = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'closes is a time "HH:MM" from 00:00 to 24:00');

const intervalSchema = z
  .object({ opens: opensSchema, closes: closesSchema })
  .strict()
  .refine((interval) => minutesOf(interval.opens) !== minutesOf(interval.closes), {
    message: 'an interval cannot open and close at the same time (use 00:00 to 24:00 for a whole day)',
  });

const daySchema = z
  .object({
    weekday: z.enum(weekdays, { message: `weekday is one of ${weekdays.join(', ')}` }),
    intervals: z.array(intervalSchema).min(1, 'a listed day needs at least one interval (leave the day out when closed)').max(6, 'at most 6 intervals a day'),
  })
  .strict();

/** Validated opening hours: each weekday at most once, no two intervals overlapping, midnight crossings included. */
export const openingHoursSchema = z
  .array(daySchema)
  .max(7, 'at most one entry per weekday')
  .superRefine((days, context) => {
    const seen = new Set<Weekday>();
    for (const [index, day] of days.entries()) {
      if (seen.has(day.weekday)) context.addIssue({ code: 'custom', path: [index, 'weekday'], message: `${day.weekday} is listed twice` });
      seen.add(day.weekday);
    }
    const overlap = firstOverlap(days);
    if (overlap) context.addIssue({ code: 'custom', message: `intervals overlap: ${overlap}` });
  })
  .transform(normalised);

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

interface WeekRange {
  start: number;
  end: number;
  label: string;
}

/** Each interval as a range of minutes from Monday 00:00; one that runs past Sunday midnight wraps to Monday. */
function weekRanges(days: OpeningHours): WeekRange[] {
  return days.flatMap((day) =>
    day.intervals.flatMap((interval) => {
      const dayStart = weekdays.indexOf(day.weekday) * minutesPerDay;
      const opens = minutesOf(interval.opens);
      let closes = minutesOf(interval.closes);
      if (closes <= opens) closes += minutesPerDay;
      const label = `${day.weekday} ${interval.opens}-${interval.closes}`;
      const start = dayStart + opens;
      const end = dayStart + closes;
      return end <= minutesPerWeek ? [{ start, end, label }] : [{ start, end: minutesPerWeek, label }, { start: 0, end: end - minutesPerWeek, label }];
    }),
  );
}

function firstOverlap(days: OpeningHours): string | null {
  const ranges = weekRanges(days).sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i += 1) {
    const previous = ranges[i - 1]!;
    const current = ranges[i]!;
    if (current.start < previous.end) return `${previous.label} and ${current.label}`;
  }
  return null;
}

/** Days in week order and intervals by opening time, so equal hours always serialise alike. */
function normalised(days: OpeningHours): OpeningHours {
  return [...days]
    .sort((a, b) => weekdays.indexOf(a.weekday) - weekdays.indexOf(b.weekday))
    .map((day) => ({ weekday: day.weekday, intervals: [...day.intervals].sort((a, b) => minutesOf(a.opens) - minutesOf(b.opens)).map(({ opens, closes }) => ({ opens, closes })) }));
}

/** The week cut at every midnight into same-day segments: what the "open now" query matches against. */
export function openSegments(days: OpeningHours): OpenSegment[] {
  return weekRanges(days).flatMap((range) => {
    const segments: OpenSegment[] = [];
    for (let start = range.start; start < range.end; ) {
      const weekday = Math.floor(start / minutesPerDay);
      const end = Math.min(range.end, (weekday + 1) * minutesPerDay);
      segments.push({ weekday, startMinute: start - weekday * minutesPerDay, endMinute: end - weekday * minutesPerDay });
      start = end;
    }
    return segments;
  });
}

const shortWeekdays: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local weekday (0 = Monday) and minute of the day at instant `at` in `timeZone`. */
export function localWeekTime(timeZone: string, at: Date): { weekday: number; minute: number } {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(at).map((part) => [part.type, part.value]));
  const weekday = shortWeekdays[parts.weekday ?? ''];
  if (weekday === undefined) throw new Error(`unexpected weekday ${parts.weekday} for ${timeZone}`);
  return { weekday, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** Whether a store with these hours in `timeZone` is open at instant `at`. */
export function isOpenAt(days: OpeningHours, timeZone: string, at: Date): boolean {
  const { weekday, minute } = localWeekTime(timeZone, at);
  return openSegments(days).some((segment) => segment.weekday === weekday && segment.startMinute <= minute && minute < segment.endMinute);
}

/** The IANA zone's canonical name, or null when the runtime does not know the zone. */
export function canonicalTimeZone(timeZone: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

export const timeZoneSchema = z
  .string()
  .trim()
  .max(64, 'timeZone is at most 64 characters')
  .transform((zone, context) => {
    const canonical = canonicalTimeZone(zone);
    if (canonical === null) {
      context.addIssue({ code: 'custom', message: `${JSON.stringify(zone)} is not an IANA time zone (e.g. "Europe/Paris")` });
      return z.NEVER;
    }
    return canonical;
  });

/** Reads hours back from the database column, which only ever holds what openingHoursSchema produced. */
export function parseStoredOpeningHours(json: string): OpeningHours {
  return openingHoursSchema.parse(JSON.parse(json));
}
