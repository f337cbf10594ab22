import '../shared/no-telemetry';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { generate as codegen } from '@graphql-codegen/cli';
import type { ItemDefinition } from '../shared/catalogue';
import { departmentTypeDefs } from '../shared/department/schema';
import { REPO_ROOT, type Department } from '../shared/registry';
import { applicationsSubgraph } from '../subgraphs/applications/subgraph';
import { permitSubgraph } from '../subgraphs/permit/subgraph';
import { supervisionSubgraph } from '../subgraphs/supervision/subgraph';
import { DOCUMENT_OPERATIONS } from '../documents/queries';
import { composeSupergraph } from './compose';
import { deploymentFiles } from './deployment';
import { printSchema } from 'graphql';

/**
 * `npm run generate`: everything generated (from the SDL and the registry), by one command.
 * - `schema/`: each subgraph's SDL and the supergraph the gateway loads;
 * - `__generated__/resolver-types.ts` beside each resolver set: resolver
 *   signatures by GraphQL Code Generator (`typescript-resolvers`, `federation`),
 *   with mappers to the objects the resolvers hand to their children;
 * - `documents/__generated__/operations.ts`: the answer of every operation the
 *   documents service asks the gateway (`typescript-operations`, against the
 *   supergraph's API schema);
 * - `docker-compose.yml` and `deploy/kubernetes.yaml`: the deployment, from the
 *   service registry and each service's configuration schema (scripts/deployment.ts).
 * `test/generated.test.ts` fails when any of it is stale.
 */

/**
 * Every department runs the same resolvers under its own type names
 * (`<typePrefix>Review`, …); they are typed once, against a department named
 * "Template" (`TemplateReview`, `TemplateQueries`, `TemplateMutations`,
 * `TemplateLicence`), and `shared/department/resolvers.ts` renames them.
 */
export const TEMPLATE_DEPARTMENT: Department = {
  code: 'template',
  graphqlName: 'template',
  typePrefix: 'Template',
  nameZh: '审批部门',
  nameEn: 'an approving department',
  port: 0,
  remedy: { reconsiderationZh: '', reconsiderationEn: '', courtZh: '', courtEn: '' },
  folder: '',
  items: [{ licenceType: 'TemplateLicence', licenceNameZh: '单项许可证', licenceNameEn: 'A licence' } as ItemDefinition],
  licenceSdl: '',
  checkPoints: [],
};

interface Target {
  /** Where the types go (repository-relative). */
  file: string;
  sdl: () => string;
  /** GraphQL type → the object its resolvers receive: `path/module#Export` (repository-relative), or a type over the generated ones. */
  mappers: Record<string, string>;
  /** The resolvers' context, if more than every subgraph's (`path/module#Export`). */
  context?: string;
}

const CONTEXT = 'shared/subgraph-server#SubgraphContext';

export const RESOLVER_TYPE_TARGETS: Target[] = [
  {
    file: 'subgraphs/applications/__generated__/resolver-types.ts',
    sdl: () => applicationsSubgraph().typeDefs,
    mappers: { FaceChange: "Omit<FaceChange, 'application'> & { applicationId: string }", Industry: 'subgraphs/applications/resolvers/catalogue#IndustryView', Material: 'subgraphs/applications/catalogue#MaterialView' },
  },
  {
    file: 'subgraphs/permit/__generated__/resolver-types.ts',
    sdl: () => permitSubgraph().typeDefs,
    mappers: { Permit: 'subgraphs/permit/resolvers/index#PermitView', Application: '{ id: string }' },
  },
  {
    file: 'subgraphs/supervision/__generated__/resolver-types.ts',
    sdl: () => supervisionSubgraph().typeDefs,
    mappers: { CheckPoint: 'subgraphs/supervision/checklist#CheckPointView', SupervisedPermit: 'subgraphs/supervision/register#SupervisedPermitView', InspectionPlan: 'subgraphs/supervision/plans#PlanRecord', Inspection: 'subgraphs/supervision/inspections#InspectionView', FollowUp: 'subgraphs/supervision/inspections#FollowUpView', Complaint: 'subgraphs/supervision/history#ComplaintEntry', ComplaintReceipt: 'subgraphs/supervision/history#ComplaintEntry', RiskGrade: 'subgraphs/supervision/resolvers#RiskGradeView' },
  },
  {
    file: 'shared/department/__generated__/resolver-types.ts',
    sdl: () => departmentTypeDefs(TEMPLATE_DEPARTMENT),
    mappers: { TemplateReview: 'shared/department/resolvers#ReviewView', TemplateLicence: 'shared/department/resolvers#LicenceView' },
    context: 'shared/department/resolvers#DepartmentContext',
  },
];

const OPERATIONS_FILE = 'documents/__generated__/operations.ts';

/** What `npm run generate` writes, as repository-relative path → content. */
export async function generatedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const { supergraphSdl, subgraphs, apiSchema } = composeSupergraph();
  for (const s of subgraphs) files.set(`schema/${s.name}.graphql`, s.sdl);
  files.set('schema/supergraph.graphql', supergraphSdl);
  for (const [file, content] of deploymentFiles()) files.set(file, content);
  const header = { add: { content: '/* Generated by `npm run generate` from the SDL: do not edit. */' } };
  const [operations] = await codegen(
    {
      schema: printSchema(apiSchema),
      documents: DOCUMENT_OPERATIONS,
      silent: true,
      generates: {
        [OPERATIONS_FILE]: {
          plugins: [header, 'typescript-operations'],
          config: { enumsAsTypes: true, avoidOptionals: true, skipTypename: true, scalars: { JSON: 'unknown' }, useTypeImports: true },
        },
      },
    },
    false,
  );
  files.set(OPERATIONS_FILE, operations.content);
  for (const target of RESOLVER_TYPE_TARGETS) {
    const from = dirname(target.file);
    const importPath = (pointer: string) => {
      if (!pointer.includes('#')) return pointer;
      const [module, name] = pointer.split('#');
      const path = relative(from, module).replace(/\\/g, '/');
      return `${path.startsWith('.') ? path : `./${path}`}#${name}`;
    };
    const [output] = await codegen(
      {
        schema: target.sdl(),
        silent: true,
        generates: {
          [target.file]: {
            plugins: [header, 'typescript', 'typescript-resolvers'],
            config: {
              federation: true,
              useTypeImports: true,
              enumsAsTypes: true,
              contextType: importPath(target.context ?? CONTEXT),
              mappers: Object.fromEntries(Object.entries(target.mappers).map(([type, pointer]) => [type, importPath(pointer)])),
              scalars: { JSON: 'unknown' },
              maybeValue: 'T | null | undefined',
            },
          },
        },
      },
      false,
    );
    files.set(target.file, output.content);
  }
  return files;
}

/** `--check`: write nothing; list what is stale and exit 1 if anything is (the test run's staleness check). */
async function main(check: boolean): Promise<void> {
  const files = await generatedFiles();
  if (check) {
    const stale = [...files].filter(([file, content]) => !existsSync(join(REPO_ROOT, file)) || readFileSync(join(REPO_ROOT, file), 'utf8') !== content).map(([file]) => file);
    if (stale.length) {
      console.error(`stale (run \`npm run generate\`):\n${stale.map((f) => `  ${f}`).join('\n')}`);
      process.exit(1);
    }
    console.log(`${files.size} generated files are current`);
    return;
  }
  for (const [file, content] of files) {
    mkdirSync(dirname(join(REPO_ROOT, file)), { recursive: true });
    writeFileSync(join(REPO_ROOT, file), content);
  }
  console.log(`generated ${files.size} files: the supergraph and each subgraph's SDL in schema/, resolver types in __generated__/, the deployment (docker-compose.yml, deploy/)`);
}

if (require.main === module) {
  main(process.argv.includes('--check')).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
