import { readFileSync, watch } from 'node:fs';
import { ApolloGateway, type SupergraphSdlHook } from '@apollo/gateway';
import { gateway as gatewayDefinition, runService, serve } from '@x/kit';
import { z } from 'zod';
import { ForwardingDataSource, keepAliveFetcher } from './data-source';
import { supergraphFile } from './subgraphs';

const gatewayConfig = {
  SUPERGRAPH_FILE: z.string().min(1).default(supergraphFile),
  /** Reloads the supergraph when the file changes (development). */
  SUPERGRAPH_WATCH: z.stringbool().optional(),
};

/** `SUBGRAPH_URL_<NAME>` (e.g. SUBGRAPH_URL_STORE_CATEGORIES) points a subgraph elsewhere than the composed URL. */
function subgraphUrl(name: string, composedUrl: string): string {
  return process.env[`SUBGRAPH_URL_${name.toUpperCase().replace(/-/g, '_')}`] ?? composedUrl;
}

void runService(gatewayDefinition, gatewayConfig, async (runtime) => {
  const { config, log, lifecycle } = runtime;
  const watchFile = config.SUPERGRAPH_WATCH ?? config.NODE_ENV === 'development';
  const supergraphSdl: SupergraphSdlHook = async ({ update }) => {
    const watcher = watchFile
      ? watch(config.SUPERGRAPH_FILE, () => {
          try {
            update(readFileSync(config.SUPERGRAPH_FILE, 'utf8'));
            log.info({ file: config.SUPERGRAPH_FILE }, 'supergraph reloaded');
          } catch (error) {
            log.error({ err: error }, 'supergraph reload failed: keeping the previous one');
          }
        })
      : undefined;
    return { supergraphSdl: readFileSync(config.SUPERGRAPH_FILE, 'utf8'), cleanup: async () => watcher?.close() };
  };

  const { fetcher, close } = keepAliveFetcher();
  lifecycle.add('subgraph connections', close);
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => new ForwardingDataSource({ url: subgraphUrl(name, url ?? ''), fetcher }),
    logger: log,
  });

  await serve(runtime, { readiness: {}, gateway: { gateway } });
});
