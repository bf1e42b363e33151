import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

export interface OperationLimits {
  /** Deepest nesting of fields (a top-level field is depth 1). */
  maxDepth: number;
  /** Aliased fields in the whole operation: aliases multiply work without growing the query much. */
  maxAliases: number;
  /** Estimated work (see operationCost). */
  maxCost: number;
}

export interface OperationShape {
  depth: number;
  aliases: number;
}

/** Page-size arguments: a list field asking for `first: 50` costs its children 50 times. */
const pageArguments = ['first', 'last', 'limit', 'take'];
/** What a list costs when nothing bounds it in the query (the subgraph's own default page). */
export const defaultListSize = 10;

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}

/** Depth and aliases, with fragments expanded; a fragment cycle (already invalid GraphQL) counts once. */
export function operationShape(document: DocumentNode, operation: OperationDefinitionNode): OperationShape {
  const fragments = fragmentsOf(document);
  let aliases = 0;
  const depthOf = (selectionSet: SelectionSetNode, depth: number, seen: ReadonlySet<string>): number => {
    let deepest = depth;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) aliases += 1;
        const below = selection.selectionSet ? depthOf(selection.selectionSet, depth + 1, seen) : depth + 1;
        deepest = Math.max(deepest, below);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depthOf(selection.selectionSet, depth, seen));
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        deepest = Math.max(deepest, depthOf(fragment.selectionSet, depth, new Set([...seen, fragment.name.value])));
      }
    }
    return deepest;
  };
  const depth = depthOf(operation.selectionSet, 0, new Set());
  return { depth, aliases };
}

function argumentNumber(value: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!value) return undefined;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const given = variables[value.name.value];
    return typeof given === 'number' ? given : undefined;
  }
  return undefined;
}

/**
 * Estimated work of an operation: every field costs 1, and a list field multiplies what is below it
 * by its page size (`first`, `last`, `limit` or `take`, from the query or its variables) or by
 * defaultListSize when unbounded. A connection's `edges`/`nodes` lists are sized by the field that
 * returned the connection, so they do not multiply again.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): number {
  const fragments = fragmentsOf(document);
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return 0;

  const costOf = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, seen: ReadonlySet<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') continue;
        const field: GraphQLField<unknown, unknown> | undefined = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        if (!field) {
          total += 1;
          continue;
        }
        const type = getNullableType(field.type);
        const named = getNamedType(field.type);
        let multiplier = 1;
        const inConnection = /Connection$/.test(parent.name) && (name === 'edges' || name === 'nodes');
        if ((isListType(type) && !inConnection) || /Connection$/.test(named.name)) {
          const size = pageArguments.map((argument) => argumentNumber(selection.arguments?.find((a) => a.name.value === argument)?.value, variables)).find((n) => n !== undefined);
          multiplier = size ?? defaultListSize;
        }
        const below = selection.selectionSet && isCompositeType(named) ? costOf(selection.selectionSet, named, seen) : 0;
        total += 1 + multiplier * below;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value;
        const type = typeName ? schema.getType(typeName) : parent;
        total += costOf(selection.selectionSet, type && isCompositeType(type) ? type : parent, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        total += costOf(fragment.selectionSet, type && isCompositeType(type) ? type : parent, new Set([...seen, fragment.name.value]));
      }
    }
    return total;
  };
  return costOf(operation.selectionSet, root, new Set());
}

/** A refusal the client can act on: a GraphQL error with its own code, answered with HTTP 400. */
export function limitError(code: string, message: string, details: Record<string, number>): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details, http: { status: 400 } } });
}

/** The first limit an operation breaks, if any. */
export function checkLimits(
  limits: OperationLimits,
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): { error?: GraphQLError; cost: number } {
  // Without this the query planner fails on, e.g., `subscription { x }` with a 500: it is the client's error.
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return { cost: 0, error: limitError('GRAPHQL_VALIDATION_FAILED', `this API has no ${operation.operation} operations`, {}) };
  const { depth, aliases } = operationShape(document, operation);
  if (depth > limits.maxDepth) {
    return { cost: 0, error: limitError('QUERY_TOO_DEEP', `the query is ${depth} levels deep; at most ${limits.maxDepth} are allowed`, { depth, maxDepth: limits.maxDepth }) };
  }
  if (aliases > limits.maxAliases) {
    return { cost: 0, error: limitError('TOO_MANY_ALIASES', `the query uses ${aliases} aliases; at most ${limits.maxAliases} are allowed`, { aliases, maxAliases: limits.maxAliases }) };
  }
  const cost = operationCost(schema, document, operation, variables);
  if (cost > limits.maxCost) {
    return { cost, error: limitError('QUERY_TOO_COSTLY', `the query would cost ${cost}; at most ${limits.maxCost} is allowed`, { cost, maxCost: limits.maxCost }) };
  }
  return { cost };
}
