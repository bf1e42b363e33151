import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger';

/**
 * With `X_CPU_PROFILE_DIR` set, SIGUSR2 starts a CPU profile and the next SIGUSR2 writes it to
 * `<dir>/<name>.cpuprofile`: the bench profiles a running platform over one stretch of load, without
 * restarting it under --cpu-prof (which would profile start-up and every other section as well).
 */
export function profileOnSignal(name: string, log: Logger, dir = process.env.X_CPU_PROFILE_DIR): void {
  if (!dir) return;
  let session: Session | undefined;
  process.on('SIGUSR2', () => {
    void (async () => {
      if (!session) {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        log.info('CPU profile started');
        return;
      }
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      log.info({ file }, 'CPU profile written');
    })().catch((error: unknown) => log.error({ err: error }, 'CPU profile failed'));
  });
}
