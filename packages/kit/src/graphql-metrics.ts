import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { performance } from 'node:perf_hooks';
import type { Metrics } from './metrics';

/** Client-chosen operation names become label values only when they look like names, to bound the series. */
const operationNamePattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Observes every GraphQL operation's latency in graphql_operation_duration_seconds, labelled with its
 * name (`anonymous` without one, `invalid` when it did not parse or validate), its type and whether
 * the response carried errors.
 */
export function graphqlMetricsPlugin<TContext extends BaseContext>(metrics: Pick<Metrics, 'graphqlDuration'>): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, operationName, response, errors }) {
          const name = operation === undefined ? 'invalid' : operationName && operationNamePattern.test(operationName) ? operationName : operationName ? 'other' : 'anonymous';
          const body = response.body;
          const failed = (errors?.length ?? 0) > 0 || (body.kind === 'single' && (body.singleResult.errors?.length ?? 0) > 0);
          metrics.graphqlDuration.observe(
            { operation: name, type: operation?.operation ?? 'unknown', outcome: failed ? 'error' : 'ok' },
            (performance.now() - started) / 1000,
          );
        },
      };
    },
  };
}
