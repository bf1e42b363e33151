import { Session } from 'node:inspector/promises';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
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
      // Written whole, then renamed: a reader waiting for the file never sees half of it.
      writeFileSync(`${file}.partial`, JSON.stringify(profile));
      renameSync(`${file}.partial`, file);
      log.info({ file }, 'CPU profile written');
    })().catch((error: unknown) => log.error({ err: error }, 'CPU profile failed'));
  });
}
