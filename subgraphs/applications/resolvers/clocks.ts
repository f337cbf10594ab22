import { calendarFor, saveSchedule, schedules } from '../../../shared/calendar-store';
import { itemClock, type Clock } from '../../../shared/clock';
import { isDuplicateKey } from '../../../shared/db';
import { invalidInput, platformError } from '../../../shared/errors';
import { newEvent } from '../../../shared/events';
import { requireRole } from '../../../shared/identity';
import { departments } from '../../../shared/registry';
import type { SubgraphContext } from '../../../shared/subgraph-server';
import { validateFormValues } from '../../../shared/validation';
import { beijingDate, WorkingDayCalendar, validateYearSchedule } from '../../../shared/working-days';
import type { Catalogue } from '../catalogue';
import { editionsFor } from '../editions';
import { ApplicationStore, type ApplicationDoc, type ItemClockDoc, type ItemOutcomeDoc } from '../store';
import { requireApplication, requireOwnerOrClerk } from './access';

type Ctx = SubgraphContext;

/**
 * Time limits, seen from the bureau: each item's clock (from acceptance, in
 * working days, paused while a correction is awaited), the overdue and
 * near-due list, processing-time statistics, and the official holiday
 * schedules an admin loads when the State Council publishes them.
 */
export function clockOf(calendar: WorkingDayCalendar, app: ApplicationDoc, catalogue: Catalogue, itemCode: string, outcome: ItemOutcomeDoc | undefined, clock: ItemClockDoc | undefined): Clock | null {
  if (!app.acceptedAt) return null;
  return itemClock(calendar, {
    acceptedDate: beijingDate(app.acceptedAt),
    committedDays: catalogue.item(itemCode).committedDays,
    pauses: outcome?.pauses ?? clock?.pauses ?? [],
    decidedDate: outcome ? beijingDate(outcome.decidedAt) : null,
    today: beijingDate(new Date()),
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

export function clockResolvers() {
  return {
    Query: {
      itemsDue: async (_: unknown, args: { includeNearDue?: boolean | null }, ctx: Ctx) => {
        requireRole(ctx.identity, 'ISSUER', 'CLERK', 'ADMIN');
        const store = new ApplicationStore(ctx.db);
        const calendar = await calendarFor(ctx.db);
        const apps = await store.applications.find({ status: 'ACCEPTED' }).limit(1000).toArray();
        const ids = apps.map((a) => a._id);
        const outcomes = await store.outcomesFor(ids);
        const clocks = await store.clocks.find({ applicationId: { $in: ids } }).toArray();
        const due = [];
        for (const app of apps) {
          const catalogue = await editionsFor(ctx.db).edition(app.edition);
          for (const entry of app.items) {
            if (outcomes.get(app._id)!.some((o) => o.itemCode === entry.itemCode)) continue;
            const clock = clockOf(calendar, app, catalogue, entry.itemCode, undefined, clocks.find((c) => c.itemCode === entry.itemCode && c.applicationId === app._id))!;
            if (clock.overdue || (args.includeNearDue !== false && clock.nearDue) || clock.unknownYear) {
              due.push({ applicationId: app._id, applicationNumber: app.number, holderName: app.holderName, itemCode: entry.itemCode, departmentCode: entry.departmentCode, clock });
            }
          }
        }
        return due.sort((a, b) => (a.clock.workingDaysLeft ?? 0) - (b.clock.workingDaysLeft ?? 0));
      },
      processingStatistics: async (_: unknown, _args: unknown, ctx: Ctx) => {
        requireRole(ctx.identity, 'ANALYST', 'ADMIN');
        const store = new ApplicationStore(ctx.db);
        const calendar = await calendarFor(ctx.db);
        const apps = await store.applications.find({}).toArray();
        const outcomes = await store.outcomesFor(apps.map((a) => a._id));
        const unknownYears = new Set<number>();
        type Group = { days: number[]; states: Map<string, number> };
        const groups = { industry: new Map<string, Group>(), department: new Map<string, Group>() };
        const add = (kind: keyof typeof groups, key: string, state: string, days: number | null) => {
          const group: Group = groups[kind].get(key) ?? { days: [], states: new Map<string, number>() };
          group.states.set(state, (group.states.get(state) ?? 0) + 1);
          if (days !== null) group.days.push(days);
          groups[kind].set(key, group);
        };
        for (const app of apps) {
          for (const entry of app.items) {
            const outcome = outcomes.get(app._id)!.find((o) => o.itemCode === entry.itemCode);
            const state = outcome ? outcome.decision : ['ACCEPTED', 'DECIDED'].includes(app.status) ? 'IN_PROGRESS' : app.status;
            let days: number | null = null;
            if (outcome && app.acceptedAt) {
              try {
                const pauses = (outcome.pauses ?? []).map((p) => [p.from, p.to ?? beijingDate(outcome.decidedAt)] as [string, string]);
                days = calendar.workingDaysBetween(beijingDate(app.acceptedAt), beijingDate(outcome.decidedAt), pauses);
              } catch (error) {
                if ((error as { year?: number }).year) unknownYears.add((error as { year: number }).year);
                else throw error;
              }
            }
            add('industry', app.industryCode, state, days);
            add('department', entry.departmentCode, state, days);
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
        return { byIndustry: rows('industry'), byDepartment: rows('department'), unknownYears: [...unknownYears].sort() };
      },
      calendarStatus: async (_: unknown, _args: unknown, ctx: Ctx) => {
        const calendar = await calendarFor(ctx.db);
        const year = Number(beijingDate(new Date()).slice(0, 4));
        const loaded = await schedules(ctx.db).find({}).sort({ year: 1 }).toArray();
        return {
          libraryYears: WorkingDayCalendar.knownYearsOfLibrary(),
          loaded: loaded.map((s) => ({ year: s.year, source: s.source, loadedAt: s.loadedAt.toISOString(), loadedBy: s.loadedBy })),
          // This year and next: a year still unknown is flagged, never treated as weekends only.
          unknownYearsAhead: calendar.unknownYears(year, year + 1),
        };
      },
    },
    Mutation: {
      submitCorrection: async (_: unknown, args: { applicationId: string; itemCode: string; values?: unknown }, ctx: Ctx) => {
        const store = new ApplicationStore(ctx.db);
        const app = await requireApplication(store, args.applicationId);
        requireOwnerOrClerk(ctx.identity, app);
        const clock = await store.clocks.findOne({ _id: `${app._id}:${args.itemCode}` });
        const open = clock?.pauses.find((p) => p.to === null);
        if (!open) throw platformError('WRONG_STATE', '该事项没有待补正的要求', 'No correction is awaited for this item', { field: 'itemCode' });
        const catalogue = await editionsFor(ctx.db).edition(app.edition);
        const item = catalogue.item(args.itemCode);
        const given = (args.values ?? {}) as Record<string, unknown>;
        const fields = item.elements.filter((e) => e.key in given).map((e) => ({ ...e }));
        const problems = validateFormValues(fields, given, 'values');
        for (const key of Object.keys(given)) {
          if (!item.elements.some((e) => e.key === key)) problems.push({ path: `values.${key}`, code: 'UNKNOWN_FIELD', messageZh: `事项没有字段「${key}」`, messageEn: `The item has no field "${key}"` });
        }
        if (problems.length) throw invalidInput(problems);
        const to = beijingDate(new Date());
        const entry = app.items.find((i) => i.itemCode === args.itemCode)!;
        try {
          await store.correctionReplies.insertOne({
            _id: open.eventId,
            applicationId: app._id,
            itemCode: args.itemCode,
            at: new Date(),
            by: ctx.identity.subject,
            _outbox: [newEvent('ItemCorrected', 'applications', entry.departmentCode, { applicationId: app._id, itemCode: args.itemCode, values: given, to }, `ItemCorrected:${open.eventId}`)],
          });
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          throw platformError('WRONG_STATE', '该补正已提交', 'This correction has already been handed in', { field: 'itemCode' });
        }
        await store.clocks.updateOne({ _id: clock!._id }, { $set: { pauses: clock!.pauses.map((p) => (p.eventId === open.eventId ? { ...p, to } : p)) } });
        const set = Object.fromEntries(Object.entries(given).map(([k, v]) => [`values.${k}`, v]));
        if (Object.keys(set).length) await store.applications.updateOne({ _id: app._id }, { $set: set });
        ctx.kickOutbox();
        return true;
      },
      loadHolidaySchedule: async (_: unknown, args: { input: unknown }, ctx: Ctx) => {
        requireRole(ctx.identity, 'ADMIN');
        const checked = validateYearSchedule(args.input);
        if (!checked.ok) throw invalidInput(checked.problems.map((p) => ({ ...p, path: `input.${p.path}` })));
        const schedule = checked.schedule;
        // Every department counts working days too: each gets the schedule as an event.
        const events = departments().map((d) =>
          newEvent('CalendarScheduleLoaded', 'applications', d.code, { schedule, by: ctx.identity.subject }, `CalendarScheduleLoaded:${schedule.year}:${Date.now()}:${d.code}`),
        );
        await saveSchedule(ctx.db, schedule, ctx.identity.subject, events);
        ctx.kickOutbox();
        ctx.log.info({ year: schedule.year }, 'holiday schedule loaded');
        return { year: schedule.year, source: schedule.source, loadedAt: new Date().toISOString(), loadedBy: ctx.identity.subject };
      },
    },
  };
}
