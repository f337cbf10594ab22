import type { WorkingDayCalendar } from './working-days';
import { UnknownYearError } from './working-days';

/**
 * An item's time limit in working days: from acceptance, standing still while
 * a correction is awaited, due after the item's committed days. One
 * computation for the department's queue and the bureau's overdue list.
 */
export interface ClockInput {
  /** Beijing date the window accepted (the clock's start; that day itself is not counted). */
  acceptedDate: string;
  committedDays: number;
  /** Inclusive date ranges the clock stood still; an open pause (`to` null) runs until today. */
  pauses: { from: string; to: string | null }[];
  /** Beijing date of the decision, if decided: the clock stops there. */
  decidedDate?: string | null;
  today: string;
}

export interface Clock {
  dueDate: string | null;
  /** Working days left until the due date (negative when overdue); null when decided. */
  workingDaysLeft: number | null;
  /** Working days used so far (or until the decision), pauses not counted. */
  workingDaysUsed: number | null;
  overdue: boolean;
  nearDue: boolean;
  paused: boolean;
  /** Set when a year on the way has no official schedule loaded: the figures above are then unknown. */
  unknownYear: number | null;
}

/** The time limit of an item; identical wherever it is shown (shareable). */
export const CLOCK_SDL = `
"事项办理时限（按工作日，含法定节假日和调休）。An item's time limit in working days (public holidays and make-up days counted)."
type ItemClock @shareable {
  "到期日。Due date."
  dueDate: String
  "剩余工作日（逾期为负）。Working days left; negative when overdue."
  workingDaysLeft: Int
  "已用工作日（不含暂停）。Working days used, pauses excluded."
  workingDaysUsed: Int
  "已逾期。Overdue."
  overdue: Boolean!
  "即将到期（两个工作日内）。Due within two working days."
  nearDue: Boolean!
  "补正期间暂停中。Standing still during a correction."
  paused: Boolean!
  "该年节假日安排尚未载入，以上无法计算。A year whose official schedule is not loaded: the figures are unknown."
  unknownYear: Int
}
`;

export const NEAR_DUE_WORKING_DAYS = 2;

export function itemClock(calendar: WorkingDayCalendar, input: ClockInput): Clock {
  const pauses = input.pauses.map((p) => [p.from, p.to ?? input.today] as [string, string]);
  const paused = input.pauses.some((p) => p.to === null);
  try {
    const dueDate = calendar.addWorkingDays(input.acceptedDate, input.committedDays, pauses);
    const end = input.decidedDate ?? input.today;
    const used = calendar.workingDaysBetween(input.acceptedDate, end, pauses);
    if (input.decidedDate) {
      return { dueDate, workingDaysLeft: null, workingDaysUsed: used, overdue: input.decidedDate > dueDate, nearDue: false, paused: false, unknownYear: null };
    }
    const left = input.today <= dueDate ? calendar.workingDaysBetween(input.today, dueDate) : -calendar.workingDaysBetween(dueDate, input.today);
    return {
      dueDate,
      workingDaysLeft: left,
      workingDaysUsed: used,
      overdue: left < 0,
      nearDue: !paused && left >= 0 && left <= NEAR_DUE_WORKING_DAYS,
      paused,
      unknownYear: null,
    };
  } catch (error) {
    if (!(error instanceof UnknownYearError)) throw error;
    return { dueDate: null, workingDaysLeft: null, workingDaysUsed: null, overdue: false, nearDue: false, paused, unknownYear: error.year };
  }
}
