import { departments } from '../../shared/registry';
import { applicationsSubgraph } from '../../subgraphs/applications/subgraph';
import { inProcessSubgraph, type InProcessSubgraph } from '../support/in-process';
import { sampleBusiness, sampleValues, type FormFieldView } from '../support/sample-values';

/** The applications subgraph alone, in this process: its contract through `executeOperation`, references through `_entities`. */
describe('applications subgraph, in process', () => {
  let s: InProcessSubgraph;
  const business = sampleBusiness(424242);
  const applicant = { role: 'APPLICANT' as const, subject: 'applicant-1', creditCode: business.creditCode };
  const other = { role: 'APPLICANT' as const, subject: 'applicant-2', creditCode: sampleBusiness(434343).creditCode };
  const clerk = { role: 'CLERK' as const, subject: 'clerk-1' };
  const PUBLIC = { role: 'PUBLIC' as const, subject: 'anonymous' };

  beforeAll(async () => {
    s = await inProcessSubgraph('applications', applicationsSubgraph);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('resolves an Industry reference from the catalogue in force, and none for an unknown code', async () => {
    const r = await s.run<{ _entities: ({ code: string; nameZh: string; items: { item: { code: string } }[] } | null)[] }>(
      PUBLIC,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Industry { code nameZh items { item { code } } } } }',
      { r: [{ __typename: 'Industry', code: 'restaurant' }, { __typename: 'Industry', code: 'no-such-industry' }] },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!._entities[0]).toMatchObject({ code: 'restaurant' });
    expect(r.data!._entities[0]!.items.map((i) => i.item.code)).toContain('MR-FOOD-BUSINESS');
    expect(r.data!._entities[1]).toBeNull();
  });

  it('maps every department code to the root fields its operations are under', async () => {
    const r = await s.run<{ departments: { code: string; queryField: string; mutationField: string; reviewType: string }[] }>(PUBLIC, '{ departments { code queryField mutationField reviewType } }');
    expect(r.errors).toBeUndefined();
    const expected = departments().map((d) => ({ code: d.code, queryField: d.graphqlName, mutationField: d.graphqlName, reviewType: `${d.typePrefix}Review` }));
    expect(r.data!.departments).toEqual(expect.arrayContaining(expected));
    expect(r.data!.departments.find((d) => d.code === 'public-security')!.queryField).toBe('publicSecurity');
  });

  describe('an application', () => {
    let id: string;
    let submittedMaterials: unknown;

    beforeAll(async () => {
      const form = await s.run<{ applicationForm: { sections: { fields: FormFieldView[] }[] } }>(
        applicant,
        'query { applicationForm(industryCode: "restaurant", answers: { ownSewerConnection: false }) { sections { fields { key type required min max options { value } } } } }',
      );
      expect(form.errors).toBeUndefined();
      const values = sampleValues(form.data!.applicationForm.sections.flatMap((x) => x.fields), business);
      const submitted = await s.run<{ submitApplication: { id: string; status: string; materials: unknown } }>(
        applicant,
        'mutation ($input: SubmitApplicationInput!) { submitApplication(input: $input) { id status materials { code status itemCodes } } }',
        { input: { industryCode: 'restaurant', answers: { ownSewerConnection: false }, values } },
      );
      expect(submitted.errors).toBeUndefined();
      id = submitted.data!.submitApplication.id;
      submittedMaterials = submitted.data!.submitApplication.materials;
    });

    it('is answered by submitApplication with the same materials application(id) lists', async () => {
      const read = await s.run<{ application: { materials: unknown[] } }>(applicant, 'query ($id: ID!) { application(id: $id) { materials { code status itemCodes } } }', { id });
      expect(read.errors).toBeUndefined();
      expect(read.data!.application.materials.length).toBeGreaterThan(0);
      expect(submittedMaterials).toEqual(read.data!.application.materials);
    });

    it('resolves as a reference for its owner and the window, and for nobody else', async () => {
      const query = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Application { id status holderName } } }';
      const representations = [{ __typename: 'Application', id }];
      const owner = await s.run<{ _entities: ({ id: string; status: string } | null)[] }>(applicant, query, { r: representations });
      expect(owner.data!._entities[0]).toMatchObject({ id, status: 'SUBMITTED', holderName: business.companyName });
      const window = await s.run<{ _entities: ({ id: string } | null)[] }>(clerk, query, { r: representations });
      expect(window.data!._entities[0]).toMatchObject({ id });
      const stranger = await s.run<{ _entities: (unknown | null)[] }>(other, query, { r: representations });
      expect(stranger.data!._entities[0]).toBeNull();
      const anonymous = await s.run(PUBLIC, query, { r: representations });
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a withdrawal without a reason with a coded, bilingual error and writes nothing', async () => {
      const r = await s.run(applicant, 'mutation ($id: ID!) { withdrawApplication(applicationId: $id, reason: "   ") { status } }', { id });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      const after = await s.run<{ application: { status: string; withdrawal: unknown } }>(applicant, 'query ($id: ID!) { application(id: $id) { status withdrawal { reason } } }', { id });
      expect(after.data!.application).toEqual({ status: 'SUBMITTED', withdrawal: null });
    });
  });
});
