import { itemClock } from '../../shared/clock';
import { WorkingDayCalendar } from '../../shared/working-days';

/**
 * An item's clock on the official calendar. Facts from 国务院办公厅关于2025年部分节假日安排的通知:
 * 10月1日至8日放假调休，共8天；9月28日（星期日）、10月11日（星期六）上班.
 */
describe('item clocks in working days', () => {
  const calendar = new WorkingDayCalendar();

  it('runs across a public holiday and counts the make-up working days', () => {
    // Accepted Fri 2025-09-26; 5 working days: 09-28 (Sun, make-up), 09-29, 09-30, then 10-09, 10-10.
    const clock = itemClock(calendar, { acceptedDate: '2025-09-26', committedDays: 5, pauses: [], today: '2025-09-30' });
    expect(clock.dueDate).toBe('2025-10-10');
    expect(clock.workingDaysUsed).toBe(3);
    expect(clock.workingDaysLeft).toBe(2);
    expect(clock).toMatchObject({ overdue: false, nearDue: true, paused: false, unknownYear: null });
    // 10-11 is a Saturday make-up working day: one day past the due date.
    expect(itemClock(calendar, { acceptedDate: '2025-09-26', committedDays: 5, pauses: [], today: '2025-10-11' })).toMatchObject({ overdue: true, workingDaysLeft: -1 });
  });

  it('stands still during a correction, and moves the due date by the paused working days', () => {
    // Accepted Mon 2025-03-03, 10 working days → 03-17; paused 03-05..03-07 (3 working days) → 03-20.
    expect(itemClock(calendar, { acceptedDate: '2025-03-03', committedDays: 10, pauses: [], today: '2025-03-04' }).dueDate).toBe('2025-03-17');
    const closed = itemClock(calendar, { acceptedDate: '2025-03-03', committedDays: 10, pauses: [{ from: '2025-03-05', to: '2025-03-07' }], today: '2025-03-10' });
    expect(closed.dueDate).toBe('2025-03-20');
    const open = itemClock(calendar, { acceptedDate: '2025-03-03', committedDays: 10, pauses: [{ from: '2025-03-05', to: null }], today: '2025-03-07' });
    expect(open).toMatchObject({ dueDate: '2025-03-20', paused: true, nearDue: false, workingDaysUsed: 1 });
  });

  it('stops at the decision', () => {
    expect(itemClock(calendar, { acceptedDate: '2025-09-26', committedDays: 5, pauses: [], decidedDate: '2025-10-09', today: '2025-12-01' })).toMatchObject({
      dueDate: '2025-10-10',
      workingDaysUsed: 4,
      workingDaysLeft: null,
      overdue: false,
    });
  });

  it('flags a year without an official schedule instead of guessing', () => {
    const clock = itemClock(calendar, { acceptedDate: '2026-12-21', committedDays: 20, pauses: [], today: '2026-12-22' });
    expect(clock).toMatchObject({ dueDate: null, workingDaysLeft: null, unknownYear: 2027 });
    const loaded = new WorkingDayCalendar([{ year: 2027, holidays: ['2027-01-01'], workdays: [], source: '示例 illustrative' }]);
    expect(itemClock(loaded, { acceptedDate: '2026-12-21', committedDays: 20, pauses: [], today: '2026-12-22' }).unknownYear).toBeNull();
  });
});
