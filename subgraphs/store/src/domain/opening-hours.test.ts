import { canonicalTimeZone, isOpenAt, localWeekTime, openingHoursSchema, openSegments, type OpeningHours } from './opening-hours';

const hours = (days: unknown): OpeningHours => openingHoursSchema.parse(days);
const issues = (days: unknown): string[] => {
  const result = openingHoursSchema.safeParse(days);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
};

// 2026-01-12 is a Monday; in January Paris is UTC+1, in July UTC+2.
describe('isOpenAt', () => {
  const weekdaysNineToFive = hours(
    ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'].map((weekday) => ({ weekday, intervals: [{ opens: '09:00', closes: '17:00' }] })),
  );

  it('reads the clock in the store’s own time zone, in winter and in summer time', () => {
    expect(isOpenAt(weekdaysNineToFive, 'Europe/Paris', new Date('2026-01-12T08:30:00Z'))).toBe(true); // 09:30 CET
    expect(isOpenAt(weekdaysNineToFive, 'Europe/Paris', new Date('2026-01-12T07:30:00Z'))).toBe(false); // 08:30 CET
    expect(isOpenAt(weekdaysNineToFive, 'Europe/Paris', new Date('2026-07-13T07:30:00Z'))).toBe(true); // 09:30 CEST
    expect(isOpenAt(weekdaysNineToFive, 'Europe/Paris', new Date('2026-07-13T15:30:00Z'))).toBe(false); // 17:30 CEST
  });

  it('gives different answers for the same instant in different zones', () => {
    const at = new Date('2026-01-12T15:00:00Z');
    expect(isOpenAt(weekdaysNineToFive, 'America/New_York', at)).toBe(true); // 10:00 Monday
    expect(isOpenAt(weekdaysNineToFive, 'Asia/Tokyo', at)).toBe(false); // 00:00 Tuesday
  });

  it('opens at the opening minute and is closed at the closing minute', () => {
    expect(isOpenAt(weekdaysNineToFive, 'UTC', new Date('2026-01-12T09:00:00Z'))).toBe(true);
    expect(isOpenAt(weekdaysNineToFive, 'UTC', new Date('2026-01-12T16:59:59Z'))).toBe(true);
    expect(isOpenAt(weekdaysNineToFive, 'UTC', new Date('2026-01-12T17:00:00Z'))).toBe(false);
  });

  it('keeps an interval that crosses midnight open into the next day, and closed after it', () => {
    const lateFriday = hours([{ weekday: 'FRIDAY', intervals: [{ opens: '22:00', closes: '02:00' }] }]);
    expect(isOpenAt(lateFriday, 'Europe/Berlin', new Date('2026-01-16T21:30:00Z'))).toBe(true); // Fri 22:30
    expect(isOpenAt(lateFriday, 'Europe/Berlin', new Date('2026-01-17T00:30:00Z'))).toBe(true); // Sat 01:30
    expect(isOpenAt(lateFriday, 'Europe/Berlin', new Date('2026-01-17T01:00:00Z'))).toBe(false); // Sat 02:00
    expect(isOpenAt(lateFriday, 'Europe/Berlin', new Date('2026-01-15T23:30:00Z'))).toBe(false); // Fri 00:30 belongs to Thursday night
  });

  it('wraps a Sunday night interval into Monday morning', () => {
    const sundayNight = hours([{ weekday: 'SUNDAY', intervals: [{ opens: '20:00', closes: '03:00' }] }]);
    expect(isOpenAt(sundayNight, 'UTC', new Date('2026-01-12T02:59:00Z'))).toBe(true); // Mon 02:59
    expect(isOpenAt(sundayNight, 'UTC', new Date('2026-01-12T03:00:00Z'))).toBe(false);
  });

  it('handles several intervals a day and a whole day written as 00:00-24:00', () => {
    const split = hours([
      { weekday: 'SATURDAY', intervals: [{ opens: '14:00', closes: '18:00' }, { opens: '08:00', closes: '12:00' }] },
      { weekday: 'SUNDAY', intervals: [{ opens: '00:00', closes: '24:00' }] },
    ]);
    expect(isOpenAt(split, 'UTC', new Date('2026-01-17T11:59:00Z'))).toBe(true);
    expect(isOpenAt(split, 'UTC', new Date('2026-01-17T13:00:00Z'))).toBe(false);
    expect(isOpenAt(split, 'UTC', new Date('2026-01-17T15:00:00Z'))).toBe(true);
    expect(isOpenAt(split, 'UTC', new Date('2026-01-18T23:59:00Z'))).toBe(true);
    expect(isOpenAt(split, 'UTC', new Date('2026-01-19T00:00:00Z'))).toBe(false); // Monday
  });

  it('follows wall-clock hours across the spring-forward gap', () => {
    // Paris skips 02:00-03:00 on 2026-03-29; a store open from 01:00 to 04:00 is open at 03:30 local (01:30Z).
    const night = hours([{ weekday: 'SUNDAY', intervals: [{ opens: '01:00', closes: '04:00' }] }]);
    expect(localWeekTime('Europe/Paris', new Date('2026-03-29T01:30:00Z'))).toEqual({ weekday: 6, minute: 3 * 60 + 30 });
    expect(isOpenAt(night, 'Europe/Paris', new Date('2026-03-29T01:30:00Z'))).toBe(true);
    expect(isOpenAt(night, 'Europe/Paris', new Date('2026-03-29T02:00:00Z'))).toBe(false); // 04:00 CEST
  });

  it('is never open with no hours', () => {
    expect(isOpenAt([], 'UTC', new Date('2026-01-12T12:00:00Z'))).toBe(false);
  });
});

describe('opening hours input', () => {
  it('rejects intervals that overlap within a day', () => {
    expect(issues([{ weekday: 'MONDAY', intervals: [{ opens: '09:00', closes: '13:00' }, { opens: '12:00', closes: '18:00' }] }])).toEqual([
      'intervals overlap: MONDAY 09:00-13:00 and MONDAY 12:00-18:00',
    ]);
  });

  it('rejects a midnight crossing that runs into the next day’s hours, Sunday into Monday included', () => {
    expect(issues([
      { weekday: 'FRIDAY', intervals: [{ opens: '20:00', closes: '03:00' }] },
      { weekday: 'SATURDAY', intervals: [{ opens: '02:00', closes: '10:00' }] },
    ])).toEqual(['intervals overlap: FRIDAY 20:00-03:00 and SATURDAY 02:00-10:00']);
    expect(issues([
      { weekday: 'SUNDAY', intervals: [{ opens: '20:00', closes: '03:00' }] },
      { weekday: 'MONDAY', intervals: [{ opens: '01:00', closes: '10:00' }] },
    ])).toHaveLength(1);
  });

  it('accepts back-to-back intervals', () => {
    expect(issues([{ weekday: 'MONDAY', intervals: [{ opens: '09:00', closes: '12:00' }, { opens: '12:00', closes: '14:00' }] }])).toEqual([]);
  });

  it.each([
    ['an hour past 23', { opens: '25:00', closes: '26:00' }],
    ['a time without leading zero', { opens: '9:00', closes: '17:00' }],
    ['an interval of no length', { opens: '10:00', closes: '10:00' }],
    ['24:00 as an opening time', { opens: '24:00', closes: '02:00' }],
  ])('rejects %s', (_case, interval) => {
    expect(issues([{ weekday: 'MONDAY', intervals: [interval] }]).length).toBeGreaterThan(0);
  });

  it('rejects a weekday listed twice, an unknown weekday and a listed day without intervals', () => {
    expect(issues([{ weekday: 'MONDAY', intervals: [{ opens: '09:00', closes: '10:00' }] }, { weekday: 'MONDAY', intervals: [{ opens: '11:00', closes: '12:00' }] }])).toEqual([
      'MONDAY is listed twice',
    ]);
    expect(issues([{ weekday: 'FUNDAY', intervals: [{ opens: '09:00', closes: '10:00' }] }]).length).toBe(1);
    expect(issues([{ weekday: 'MONDAY', intervals: [] }]).length).toBe(1);
  });

  it('stores days in week order and intervals by opening time', () => {
    expect(hours([
      { weekday: 'SUNDAY', intervals: [{ opens: '10:00', closes: '12:00' }] },
      { weekday: 'MONDAY', intervals: [{ opens: '15:00', closes: '16:00' }, { opens: '08:00', closes: '09:00' }] },
    ])).toEqual([
      { weekday: 'MONDAY', intervals: [{ opens: '08:00', closes: '09:00' }, { opens: '15:00', closes: '16:00' }] },
      { weekday: 'SUNDAY', intervals: [{ opens: '10:00', closes: '12:00' }] },
    ]);
  });
});

describe('open segments', () => {
  it('cuts a midnight crossing into two same-day segments', () => {
    expect(openSegments(hours([{ weekday: 'SUNDAY', intervals: [{ opens: '22:00', closes: '02:00' }] }]))).toEqual([
      { weekday: 6, startMinute: 22 * 60, endMinute: 24 * 60 },
      { weekday: 0, startMinute: 0, endMinute: 2 * 60 },
    ]);
  });
});

describe('time zones', () => {
  it('accepts IANA zones in their canonical spelling and refuses anything else', () => {
    expect(canonicalTimeZone('Europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeNull();
    expect(canonicalTimeZone('+01:00')).toBeNull();
    expect(canonicalTimeZone('')).toBeNull();
  });
});
