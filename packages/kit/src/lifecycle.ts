import type { Logger } from './logger';

type Closer = () => Promise<void> | void;

/**
 * Ordered shutdown: resources close in the reverse order they were opened, so the HTTP server stops
 * taking requests first, consumers and relays drain next, and connections close last.
 */
export class Lifecycle {
  private readonly closers: { name: string; close: Closer }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  add(name: string, close: Closer): void {
    this.closers.push({ name, close });
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.closeAll();
    return this.stopping;
  }

  /**
   * SIGINT/SIGTERM stop gracefully. The same signal again (Ctrl-C twice), or the grace period running
   * out, exits at once; a different one is ignored, because Ctrl-C in a terminal reaches every process
   * of the group while `npm start` forwards SIGTERM to its children as well.
   */
  handleSignals(graceMs: number): void {
    let first: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first) {
        if (signal !== first) return;
        this.log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      first = signal;
      this.log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        this.log.error({ graceMs }, 'shutdown took longer than the grace period: exiting');
        process.exit(1);
      }, graceMs);
      timer.unref();
      void this.shutdown().then(() => process.exit(0));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  /**
   * Shuts down as on SIGTERM once the process that started this one is gone (killed or crashed
   * without stopping its children), so a platform started by `npm start` or a test never leaves
   * orphans holding ports and consuming events. The supervisor may be a grandparent (`node --watch`
   * sits between them in `npm run start:dev`), so this asks whether it still runs, not who the parent is.
   * Requires handleSignals.
   */
  exitWithParent(parentPid: number, pollMs = 1_000): void {
    const timer = setInterval(() => {
      if (process.ppid === parentPid || isRunning(parentPid)) return;
      clearInterval(timer);
      this.log.warn({ parentPid }, 'the process that started this one is gone: shutting down');
      process.kill(process.pid, 'SIGTERM');
    }, pollMs);
    timer.unref();
  }

  private async closeAll(): Promise<void> {
    for (const { name, close } of [...this.closers].reverse()) {
      try {
        await close();
      } catch (error) {
        this.log.error({ err: error, resource: name }, 'error while closing');
      }
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
