import { createWriteStream, type WriteStream } from 'node:fs';
import { z } from 'zod';
import { definePlugin, type AccessLogLine } from './plugin';

const configSchema = z.strictObject({
  path: z.string().startsWith('/', 'an absolute path'),
  reopen: z.boolean().default(false),
});

/**
 * Kong's file-log: one JSON line per request, written after the response. `/dev/stdout` goes to the
 * process's standard output, where the platform's log collection (or compose) picks it up.
 */
export const fileLog = definePlugin('file-log', 9, configSchema, (config, environment) => {
  let sink = environment.accessLogSink;
  if (!sink) {
    if (config.path === '/dev/stdout') {
      sink = (line: AccessLogLine) => process.stdout.write(`${JSON.stringify({ ...line, msg: 'access' })}\n`);
    } else {
      let stream: WriteStream | undefined;
      sink = (line: AccessLogLine) => {
        stream ??= createWriteStream(config.path, { flags: 'a' });
        stream.write(`${JSON.stringify(line)}\n`);
        if (config.reopen) {
          stream.end();
          stream = undefined;
        }
      };
      environment.onClose(() => new Promise<void>((resolve) => (stream ? stream.end(resolve) : resolve())));
    }
  }
  const write = sink;
  return {
    log(_context, line) {
      write(line);
    },
  };
});
