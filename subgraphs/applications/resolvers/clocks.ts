import { calendarFor, currentSchedules, saveSchedule } from '../../../shared/calendar-store';
import { itemClock, type Clock } from '../../../shared/clock';
import { invalidInput, platformError } from '../../../shared/errors';
import { priorOf, requestKey } from '../../../shared/idempotency';
import { newEvent, outbox } from '../../../shared/events';
import { requireRole } from '../../../shared/identity';
import { departments } from '../../../shared/registry';
import { validateFormValues } from '../../../shared/validation';
import { WorkingDayCalendar, validateYearSchedule } from '../../../shared/working-days';
import { beijingDate, beijingToday } from '../../../shared/beijing-calendar';
import type { Catalogue } from '../catalogue';
import { editionsFor } from '../editions';
import { ApplicationStore } from '../store';
import type { Application } from '../application';
import { requireApplication, requireOwnerOrClerk, requireStatus } from './access';
import { view } from './applications';
import type { Resolvers } from '../__generated__/resolver-types';


/**
 * Time limits, seen from the bureau: each item's clock (from acceptance, in
 * working days, paused while a correction is awaited), the overdue and
 * near-due list, processing-time statistics, and the official holiday
 * schedules an admin loads when the State Council publishes them.
 */
export function clockOf(calendar: WorkingDayCalendar, app: Application, catalogue: Catalogue, itemCode: string): Clock | null {
  // An item's clock runs from its dispatch: at acceptance, or once the items it waits for were approved.
  const dispatchedAt = app.dispatchedAt.get(itemCode);
  if (!dispatchedAt) return null;
  const outcome = app.outcomes.get(itemCode);
  return itemClock(calendar, {
    acceptedDate: beijingDate(dispatchedAt),
    committedDays: catalogue.item(itemCode).committedDays,
    pauses: outcome?.pauses ?? app.pauses.get(itemCode) ?? [],
    decidedDate: outcome ? beijingDate(outcome.decidedAt) : null,
    today: beijingToday(),
  });
}

/** Nearest-rank percentile of sorted numbers. */
export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function median(sorted: number[]): number | null {
  if (!sorted.length) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function clockResolvers(): Resolvers {
  return {
    Query: {
      itemsDue: async (_, args, ctx) => {
        requireRole(ctx.identity, 'ISSUER', 'CLERK', 'ADMIN');
        const store = new ApplicationStore(ctx.db);
        const calendar = await calendarFor(ctx.db);
        // The bureau's overview: a sweep over the applications, then each one's log.
        const apps = (await store.loadMany({})).filter((a) => a.status === 'ACCEPTED' || a.status === 'WITHDRAWING').slice(0, 1000);
        const due = [];
        for (const app of apps) {
          const catalogue = await editionsFor(ctx.db).edition(app.doc.edition);
          for (const entry of app.doc.items) {
            if (app.outcomes.has(entry.itemCode)) continue;
            // An item waiting for another's decision has no clock yet.
            const clock = clockOf(calendar, app, catalogue, entry.itemCode);
            if (!clock) continue;
            if (clock.overdue || (args.includeNearDue !== false && clock.nearDue) || clock.unknownYear) {
              due.push({ applicationId: app.id, applicationNumber: app.doc.number, holderName: app.holderName, itemCode: entry.itemCode, departmentCode: entry.departmentCode, clock });
            }
          }
        }
        return due.sort((a, b) => (a.clock.workingDaysLeft ?? 0) - (b.clock.workingDaysLeft ?? 0));
      },
      processingStatistics: async (_, _args, ctx) => {
        requireRole(ctx.identity, 'ANALYST', 'ADMIN');
        const store = new ApplicationStore(ctx.db);
        const calendar = await calendarFor(ctx.db);
        const apps = await store.loadMany({});
        const unknownYears = new Set<number>();
        type Group = { days: number[]; states: Map<string, number> };
        const groups = { industry: new Map<string, Group>(), department: new Map<string, Group>(), item: new Map<string, Group>() };
        // Each item's limits as the application's edition set them; the newest edition's for the item's row.
        const limits = new Map<string, { statutoryDays: number | null; committedDays: number | null; over: { committed: number; statutory: number } }>();
        const editions = editionsFor(ctx.db);
        const intake = { submitted: apps.length, supplementRequested: 0, refusedAtIntake: 0, itemsDecided: 0, itemsDenied: 0 };
        const add = (kind: keyof typeof groups, key: string, state: string, days: number | null) => {
          const group: Group = groups[kind].get(key) ?? { days: [], states: new Map<string, number>() };
          group.states.set(state, (group.states.get(state) ?? 0) + 1);
          if (days !== null) group.days.push(days);
          groups[kind].set(key, group);
        };
        for (const app of apps) {
          if (app.supplementNotice) intake.supplementRequested++;
          if (app.status === 'REFUSED') intake.refusedAtIntake++;
          const catalogue = await editions.edition(app.doc.edition);
          for (const entry of app.doc.items) {
            const outcome = app.outcomes.get(entry.itemCode);
            const state = outcome ? outcome.decision : ['ACCEPTED', 'WITHDRAWING', 'DECIDED'].includes(app.status) ? 'IN_PROGRESS' : app.status;
            let days: number | null = null;
            const dispatchedAt = app.dispatchedAt.get(entry.itemCode);
            if (outcome && dispatchedAt) {
              try {
                const pauses = (outcome.pauses ?? []).map((p) => [p.from, p.to ?? beijingDate(outcome.decidedAt)] as [string, string]);
                days = calendar.workingDaysBetween(beijingDate(dispatchedAt), beijingDate(outcome.decidedAt), pauses);
              } catch (error) {
                if ((error as { year?: number }).year) unknownYears.add((error as { year: number }).year);
                else throw error;
              }
            }
            add('industry', app.doc.industryCode, state, days);
            add('department', entry.departmentCode, state, days);
            add('item', entry.itemCode, state, days);
            if (outcome) {
              intake.itemsDecided++;
              if (outcome.decision === 'DENIED') intake.itemsDenied++;
            }
            const item = catalogue.items.find((i) => i.code === entry.itemCode);
            const limit = limits.get(entry.itemCode) ?? { statutoryDays: item?.statutoryDays ?? null, committedDays: item?.committedDays ?? null, over: { committed: 0, statutory: 0 } };
            if (item && days !== null && days > item.committedDays) limit.over.committed++;
            if (item && days !== null && days > item.statutoryDays) limit.over.statutory++;
            limits.set(entry.itemCode, limit);
          }
        }
        const rows = (kind: keyof typeof groups) =>
          [...groups[kind].entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, group]) => {
              const sorted = [...group.days].sort((x, y) => x - y);
              return {
                key,
                decided: sorted.length,
                medianWorkingDays: median(sorted),
                p90WorkingDays: percentile(sorted, 90),
                countsByState: [...group.states.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([state, count]) => ({ state, count })),
              };
            });
        const byItem = rows('item').map((row) => {
          const limit = limits.get(row.key)!;
          const counts = new Map<number, number>();
          for (const d of groups.item.get(row.key)!.days) counts.set(d, (counts.get(d) ?? 0) + 1);
          return {
            itemCode: row.key,
            statutoryDays: limit.statutoryDays,
            committedDays: limit.committedDays,
            decided: row.decided,
            medianWorkingDays: row.medianWorkingDays,
            p90WorkingDays: row.p90WorkingDays,
            overCommitted: limit.over.committed,
            overStatutory: limit.over.statutory,
            distribution: [...counts].sort(([a], [b]) => a - b).map(([workingDays, count]) => ({ workingDays, count })),
          };
        });
        const rate = (part: number, whole: number) => (whole ? part / whole : null);
        return {
          byIndustry: rows('industry'),
          byDepartment: rows('department'),
          byItem,
          intake: {
            ...intake,
            supplementRate: rate(intake.supplementRequested, intake.submitted),
            refusalRate: rate(intake.refusedAtIntake, intake.submitted),
            denialRate: rate(intake.itemsDenied, intake.itemsDecided),
          },
          unknownYears: [...unknownYears].sort(),
        };
      },
      calendarStatus: async (_, _args, ctx) => {
        const calendar = await calendarFor(ctx.db);
        const year = Number(beijingToday().slice(0, 4));
        const loaded = await currentSchedules(ctx.db);
        return {
          libraryYears: WorkingDayCalendar.knownYearsOfLibrary(),
          loaded: loaded.map((s) => ({ year: s.year, source: s.source, loadedAt: s.loadedAt.toISOString(), loadedBy: s.loadedBy })),
          // This year and next: a year still unknown is flagged, never treated as weekends only.
          unknownYearsAhead: calendar.unknownYears(year, year + 1),
        };
      },
    },
    Mutation: {
      submitCorrection: async (_, args, ctx) => {
        const store = new ApplicationStore(ctx.db);
        const app = await requireApplication(store, args.applicationId);
        requireOwnerOrClerk(ctx.identity, app);
        const request = requestKey(ctx.identity, args.idempotencyKey, { applicationId: app.id, itemCode: args.itemCode, values: args.values ?? {} });
        // Asked before with this key: answered as then.
        if (priorOf(app.steps, request)) return view(ctx, store, app);
        const openCorrection = (current: Application) => {
          const open = current.pauses.get(args.itemCode)?.find((p) => p.to === null);
          if (!open) throw platformError('WRONG_STATE', '该事项没有待补正的要求', 'No correction is awaited for this item', { field: 'itemCode' });
          requireStatus(current, ['ACCEPTED']);
          return open;
        };
        openCorrection(app);
        const catalogue = await editionsFor(ctx.db).edition(app.doc.edition);
        const item = catalogue.item(args.itemCode);
        const given = (args.values ?? {}) as Record<string, unknown>;
        const fields = item.elements.filter((e) => e.key in given).map((e) => ({ ...e }));
        const problems = validateFormValues(fields, given, 'values');
        for (const key of Object.keys(given)) {
          if (!item.elements.some((e) => e.key === key)) problems.push({ path: `values.${key}`, code: 'UNKNOWN_FIELD', messageZh: `事项没有字段「${key}」`, messageEn: `The item has no field "${key}"` });
        }
        if (problems.length) throw invalidInput(problems);
        const entry = app.doc.items.find((i) => i.itemCode === args.itemCode)!;
        // A step of the application: the correction is handed in once, and the item's clock runs again.
        await store.append(app.id, (current) => {
          const open = openCorrection(current);
          const to = beijingToday();
          return {
            kind: 'CORRECTED',
            at: new Date(),
            by: ctx.identity.subject,
            itemCode: args.itemCode,
            correctionId: open.correctionId,
            values: given,
            to,
            ...outbox([newEvent('ItemCorrected', 'applications', entry.departmentCode, { applicationId: app.id, itemCode: args.itemCode, values: given, to, correctionId: open.correctionId }, `ItemCorrected:${open.correctionId}`)]),
          };
        }, request);
        return view(ctx, store, (await store.load(app.id))!);
      },
      loadHolidaySchedule: async (_, args, ctx) => {
        requireRole(ctx.identity, 'ADMIN');
        const checked = validateYearSchedule(args.input);
        if (!checked.ok) throw invalidInput(checked.problems.map((p) => ({ ...p, path: `input.${p.path}` })));
        const schedule = checked.schedule;
        // Every department counts working days too: each gets the schedule as an event.
        const events = departments().map((d) =>
          newEvent('CalendarScheduleLoaded', 'applications', d.code, { schedule, by: ctx.identity.subject }, `CalendarScheduleLoaded:${schedule.year}:${Date.now()}:${d.code}`),
        );
        await saveSchedule(ctx.db, schedule, ctx.identity.subject, { events });
        ctx.log.info({ year: schedule.year }, 'holiday schedule loaded');
        return { year: schedule.year, source: schedule.source, loadedAt: new Date().toISOString(), loadedBy: ctx.identity.subject };
      },
    },
  };
}
