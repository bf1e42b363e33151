import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { checkLimits } from './limits';

const schema = buildSchema('type Query { hello: String } type Mutation { bump: Int }');
const limits = { maxDepth: 5, maxAliases: 5, maxCost: 100 };
const check = (source: string) => {
  const document = parse(source);
  return checkLimits(limits, schema, document, document.definitions[0] as OperationDefinitionNode, {});
};

describe('checkLimits', () => {
  it('refuses an operation type the API does not have with a 400 validation error (the planner would answer 500)', () => {
    const { error } = check('subscription { hello }');
    expect(error?.message).toBe('this API has no subscription operations');
    expect(error?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } });
  });

  it('lets queries and mutations of the API through', () => {
    expect(check('{ hello }').error).toBeUndefined();
    expect(check('mutation { bump }').error).toBeUndefined();
  });
});
