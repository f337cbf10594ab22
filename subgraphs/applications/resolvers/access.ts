import { notFound, platformError } from '../../../shared/errors';
import { requireRole, type Identity } from '../../../shared/identity';
import type { ApplicationStore } from '../store';
import type { Application, ApplicationStatus } from '../application';

/** Who may act on an application: the applicant who owns it, or the window acting for them. */
export function requireOwnerOrClerk(identity: Identity, app: Application, field = 'applicationId'): void {
  requireRole(identity, 'APPLICANT', 'CLERK');
  if (identity.role === 'APPLICANT' && identity.creditCode !== app.doc.creditCode) {
    throw platformError('FORBIDDEN', '只能为本企业的申请办理', "You may only act on your own business's applications", { field });
  }
}

export async function requireApplication(store: ApplicationStore, id: string, field = 'applicationId'): Promise<Application> {
  const app = await store.load(id);
  if (!app) throw notFound({ zh: '申请', en: 'application' }, field, id);
  return app;
}

/** The form's values (ID numbers, phones): the applicant, the window and the issuers, as the schema says; not admins or analysts. */
export function canSeeValues(identity: Identity, app: Application): boolean {
  if (['CLERK', 'ISSUER'].includes(identity.role)) return true;
  return identity.role === 'APPLICANT' && identity.creditCode === app.doc.creditCode;
}

export function canSee(identity: Identity, app: Application): boolean {
  if (['CLERK', 'ISSUER', 'ADMIN'].includes(identity.role)) return true;
  return identity.role === 'APPLICANT' && identity.creditCode === app.doc.creditCode;
}

/** Refuses unless the application is in one of `states`, saying why. */
export function requireStatus(app: Application, states: ApplicationStatus[], field = 'applicationId'): void {
  if (states.includes(app.status)) return;
  if (app.status === 'WITHDRAWING') {
    throw platformError('WRONG_STATE', '申请人正在撤回该申请，请稍后再试', 'The applicant is withdrawing this application; try again shortly', { field });
  }
  throw platformError('WRONG_STATE', `申请当前状态为 ${app.status}，不能办理此操作`, `Not possible while the application is ${app.status}`, { field });
}
