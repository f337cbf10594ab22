import { ROLES, type Role } from '../shared/identity';
import { department } from '../shared/registry';
import { devToken } from './lib/tokens';
import { devSecrets } from './start';

/** `npm run token -- <role> [credit code | department]`: a development token for the running platform. */
async function main() {
  const [roleArg, binding] = process.argv.slice(2);
  const role = (roleArg ?? '').toUpperCase() as Role;
  if (!ROLES.includes(role) || role === 'PUBLIC') {
    console.error(`usage: npm run token -- <${ROLES.filter((r) => r !== 'PUBLIC').join('|').toLowerCase()}> [credit code | department]`);
    process.exit(2);
  }
  if (role === 'APPLICANT' && !binding) throw new Error('an applicant token needs the credit code it acts for');
  if ((role === 'REVIEWER' || role === 'INSPECTOR') && !department(binding ?? '')) throw new Error(`a ${role.toLowerCase()} token needs a department code, e.g. market-regulation`);
  const token = await devToken((await devSecrets()).jwt, {
    role,
    subject: `${role.toLowerCase()}-dev`,
    ...(role === 'APPLICANT' ? { creditCode: binding } : {}),
    ...(role === 'REVIEWER' || role === 'INSPECTOR' ? { department: binding } : {}),
  });
  console.log(token);
}

void main().catch((error) => {
  console.error(String(error.message ?? error));
  process.exit(1);
});
