import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  getNullableType,
  GraphQLError,
  isListType,
  parse,
  print,
  validate,
  visit,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Identity, Role } from '../shared/identity';
import { cleanText, cleanTree } from '../shared/validation/text';

/**
 * What one operation may ask, checked at the gateway before anything is
 * planned or sent to a subgraph: the number of tokens (the parser stops at the
 * limit, so a huge document costs nothing), the depth (through fragments), the
 * aliases, the directives, and a cost in which QR images, histories and lists
 * weigh more. The public gets the lowest limits. Every text in the operation
 * (variables and literals) is NFC-normalised, and control and format
 * characters are refused (shared/validation/text.ts).
 */
export interface OperationLimits {
  tokens: number;
  depth: number;
  aliases: number;
  directives: number;
  cost: number;
  /** Field selections once fragments are expanded: a few fragments spreading each other twice fan out to thousands. */
  expandedFields: number;
}

// A scan costs about 200, a guide 2,100, the merged form 3,000: the public's limit leaves room for those and no more than three QR images.
const PUBLIC: OperationLimits = { tokens: 1500, depth: 8, aliases: 10, directives: 10, cost: 5000, expandedFields: 500 };
const STAFF: OperationLimits = { tokens: 5000, depth: 12, aliases: 30, directives: 20, cost: 20000, expandedFields: 3000 };
export const OPERATION_LIMITS: Record<Role, OperationLimits> = {
  PUBLIC,
  APPLICANT: { tokens: 4000, depth: 10, aliases: 20, directives: 20, cost: 10000, expandedFields: 2000 },
  CLERK: STAFF,
  REVIEWER: STAFF,
  INSPECTOR: STAFF,
  ISSUER: STAFF,
  ANALYST: { ...STAFF, cost: 50000 },
  ADMIN: { ...STAFF, tokens: 20000, cost: 50000 },
};

/** Fields that cost more than one unit: images, histories, lists over the whole platform. */
export const FIELD_COST: Record<string, number> = {
  'Permit.qrPngBase64': 1500,
  'Permit.qrSvg': 1000,
  'Permit.history': 50,
  'Query.permitHistory': 50,
  'Query.applications': 100,
  'Query.notifications': 50,
  'Query.itemsDue': 500,
  'Query.processingStatistics': 500,
  'Query.reformFigures': 200,
  'Query.permitRequests': 100,
  'Query.permitsAwaitingReissue': 100,
  'Query.catalogueEditions': 50,
};
/** A list is assumed to hold this many of what it lists. */
const LIST_FACTOR = 10;

// Every field costs at least one, so a document that fans out through fragments costs what it expands to.
const costEstimator: ComplexityEstimator = ({ type, field, childComplexity }) => {
  const own = FIELD_COST[`${type.name}.${field.name}`] ?? 1;
  return own + childComplexity * (isListType(getNullableType(field.type)) ? LIST_FACTOR : 1);
};

/** Introspection is for developers: refused to the anonymous public in production. */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(new GraphQLError('Introspection is not available to anonymous callers', { nodes: [node] }));
    }
  },
});

export interface Refusal {
  status: number;
  errors: { message: string; extensions: Record<string, unknown> }[];
}

const refusal = (code: string, zh: string, en: string, extra: Record<string, unknown> = {}): Refusal => ({
  status: 400,
  errors: [{ message: `${zh} / ${en}`, extensions: { code, messageZh: zh, messageEn: en, ...extra } }],
});

/**
 * Checks one GraphQL-over-HTTP request body against the caller's limits and
 * cleans its text in place. Returns the refusal to send, or null to go on
 * (syntax and schema errors are left to the server, which reports them as usual).
 */
export function checkOperation(schema: GraphQLSchema, body: Record<string, unknown>, identity: Identity, production: boolean): Refusal | null {
  if (typeof body.query !== 'string') return null;
  const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
  // Text: refused if it holds control or format characters; otherwise NFC-normalised, in variables and literals.
  const problems: Problem[] = [];
  const variables = body.variables && typeof body.variables === 'object' ? (body.variables as Record<string, unknown>) : undefined;
  if (variables) body.variables = cleanTree(variables, 'variables', problems);
  const checked = documentCheck(schema, body.query, identity.role, production);
  problems.push(...checked.problems);
  if (problems.length) {
    const first = problems[0];
    return refusal('BAD_USER_INPUT', first.messageZh, first.messageEn, { field: first.path, problems: problems.slice(0, 20), problemCount: problems.length });
  }
  if (checked.refused || !checked.document) return checked.refused;
  body.query = checked.query;
  const limits = OPERATION_LIMITS[identity.role];
  let cost: number;
  try {
    cost = getComplexity({ schema, query: checked.document, variables, operationName, estimators: [costEstimator] });
  } catch {
    return null; // an invalid operation (unknown field, bad variables): the server answers it
  }
  if (cost > limits.cost) {
    return refusal('QUERY_TOO_COSTLY', `查询开销 ${cost} 超过上限 ${limits.cost}`, `The operation costs ${cost}, above the limit of ${limits.cost}`, { limit: 'cost', max: limits.cost, cost });
  }
  return null;
}

type Problem = { path: string; code: string; messageZh: string; messageEn: string };

/**
 * What a document's text alone decides, for one role: the same text is checked
 * once (clients send the same few operations). Its cost is not among them: a
 * variable may change it (`@include(if: $x)`).
 */
interface DocumentCheck {
  problems: Problem[];
  refused: Refusal | null;
  /** The parsed document and its text, literals NFC-normalised; absent when it does not parse (the server answers it). */
  document?: DocumentNode;
  query?: string;
}

const CHECKED_DOCUMENTS = 500;
const checkedDocuments = new Map<string, DocumentCheck>();

function documentCheck(schema: GraphQLSchema, query: string, role: Identity['role'], production: boolean): DocumentCheck {
  const key = JSON.stringify([role, production, query]);
  const known = checkedDocuments.get(key);
  if (known) return known;
  const checked = checkDocument(schema, query, role, production);
  // Oldest first out: a Map iterates in insertion order.
  if (checkedDocuments.size >= CHECKED_DOCUMENTS) checkedDocuments.delete(checkedDocuments.keys().next().value!);
  checkedDocuments.set(key, checked);
  return checked;
}

function checkDocument(schema: GraphQLSchema, query: string, role: Identity['role'], production: boolean): DocumentCheck {
  const limits = OPERATION_LIMITS[role];
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: limits.tokens });
  } catch (error) {
    if (String((error as Error).message).includes('tokens')) {
      return { problems: [], refused: refusal('QUERY_TOO_LARGE', `查询过长（上限 ${limits.tokens} 个记号）`, `The operation is too long (at most ${limits.tokens} tokens)`, { limit: 'tokens', max: limits.tokens }) };
    }
    return { problems: [], refused: null }; // a syntax error: the server answers it
  }

  const problems: Problem[] = [];
  let changed = false;
  const cleaned = visit(document, {
    StringValue(node) {
      const result = cleanText(node.value);
      if (!result.ok) problems.push({ path: 'query', code: 'FORBIDDEN_CHARACTER', messageZh: result.messageZh, messageEn: result.messageEn });
      else if (result.value !== node.value) {
        changed = true;
        return { ...node, value: result.value };
      }
      return undefined;
    },
  });
  if (problems.length) return { problems, refused: null };
  const text = changed ? print(cleaned) : query;

  const expanded = expandedFieldCount(document);
  if (expanded > limits.expandedFields) {
    return {
      problems,
      refused: refusal('QUERY_TOO_COMPLEX', `查询展开后字段过多（${expanded}，上限 ${limits.expandedFields}）`, `The operation expands to ${expanded} fields, above the limit of ${limits.expandedFields}`, {
        limit: 'expandedFields',
        max: limits.expandedFields,
      }),
    };
  }
  const report = { onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)], propagateOnRejection: false };
  const rules: ValidationRule[] = [
    maxDepthRule({ n: limits.depth, flattenFragments: true, exposeLimits: true, ...report }),
    maxAliasesRule({ n: limits.aliases, exposeLimits: true, ...report }),
    maxDirectivesRule({ n: limits.directives, exposeLimits: true, ...report }),
  ];
  if (production && role === 'PUBLIC') rules.push(noIntrospection);
  let violations: readonly GraphQLError[];
  try {
    violations = validate(schema, document, rules, { maxErrors: 5 });
  } catch (error) {
    violations = [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
  }
  if (violations.length) {
    const introspection = violations.some((v) => v.message.startsWith('Introspection'));
    return {
      problems,
      refused: introspection
        ? refusal('FORBIDDEN', '匿名用户不能查询接口结构', 'Introspection is not available to anonymous callers')
        : refusal('QUERY_TOO_COMPLEX', `查询超出限制：${violations[0].message.replace(/^Syntax Error: /, '')}`, `The operation exceeds a limit: ${violations[0].message.replace(/^Syntax Error: /, '')}`, { limits }),
    };
  }
  return { problems, refused: null, document, query: text };
}

/**
 * How many field selections the operations hold once every fragment spread is
 * replaced by its fragment. Each fragment's size is computed once, so this is
 * linear in the document even when the expansion is exponential.
 */
export function expandedFieldCount(document: DocumentNode): number {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const sizes = new Map<string, number>();
  const sizeOf = (selections: SelectionSetNode | undefined, seen: Set<string>): number => {
    let total = 0;
    for (const selection of selections?.selections ?? []) {
      if (selection.kind === Kind.FIELD) total += 1 + sizeOf(selection.selectionSet, seen);
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += sizeOf(selection.selectionSet, seen);
      else total += fragmentSize(selection.name.value, seen);
      if (total > 1_000_000) return total;
    }
    return total;
  };
  const fragmentSize = (name: string, seen: Set<string>): number => {
    const known = sizes.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    if (!fragment || seen.has(name)) return 0; // unknown or cyclic: the server's validation refuses it
    const size = sizeOf(fragment.selectionSet, new Set(seen).add(name));
    sizes.set(name, size);
    return size;
  };
  return document.definitions.reduce((sum, d) => (d.kind === Kind.OPERATION_DEFINITION ? sum + sizeOf(d.selectionSet, new Set()) : sum), 0);
}
