import { parseArgs } from 'node:util';
import {
  ConfigError,
  baseConfigShape,
  connectBroker,
  consumerQueueName,
  countDeadLetters,
  createLogger,
  listDeadLetters,
  loadConfig,
  purgeDeadLetters,
  replayAllDeadLetters,
  replayDeadLetter,
  services,
  type Broker,
  type DeadLetter,
} from '@x/kit';

const usage = `usage: npm run dlq -- <command> [options]

commands:
  list                    dead letters of every consumer, or of --queue
  show --id <eventId>     one dead letter, with its reason and full body
  replay --id <eventId>   send it back to its consumer queue (the consumer's inbox keeps this idempotent)
  replay --all            replay every dead letter of --queue, or of every consumer
  purge --id <eventId>    drop it for good
  purge --all             drop every dead letter of --queue, or of every consumer

options:
  --queue <name>          a consumer: its service name (user) or its queue (x.events.user)
  --json                  print JSON instead of a table
  --limit <n>             list at most n dead letters per queue (default 1000)

environment: AMQP_URL, EVENTS_EXCHANGE (defaults: the local broker, x.events)`;

const actions = ['list', 'show', 'replay', 'purge'] as const;
type Action = (typeof actions)[number];

interface Command {
  action: Action;
  queue: string | undefined;
  id: string | undefined;
  all: boolean;
  json: boolean;
  limit: number;
}

/** Wrong arguments or configuration: exit code 2, with the usage. */
class UsageError extends Error {}

function parseCommand(argv: string[]): Command | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        queue: { type: 'string' },
        id: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [action, ...extra] = positionals;
  if (!isAction(action)) throw new UsageError(action === undefined ? 'missing command' : `unknown command ${JSON.stringify(action)}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);

  const limit = values.limit === undefined ? 1_000 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(values.limit)}`);
  if (action === 'list' && (values.id !== undefined || values.all)) throw new UsageError('list takes --queue, --json and --limit only');
  if (action === 'show' && values.id === undefined) throw new UsageError('show needs --id <eventId>');
  if (action === 'show' && values.all) throw new UsageError('show takes one --id, not --all');
  if ((action === 'replay' || action === 'purge') && (values.id === undefined) === !values.all) {
    throw new UsageError(`${action} needs exactly one of --id <eventId> or --all`);
  }
  return { action, queue: values.queue, id: values.id, all: values.all, json: values.json, limit };
}

function isAction(value: string | undefined): value is Action {
  return actions.some((action) => action === value);
}

/** The consumer queues to act on: the one named, or every consumer of the registry that has a DLQ. */
async function selectQueues(broker: Broker, requested: string | undefined): Promise<string[]> {
  const known = services.map((service) => consumerQueueName(broker.exchange, service.name));
  if (requested !== undefined) {
    const queue = known.find((candidate) => candidate === requested || candidate === consumerQueueName(broker.exchange, requested));
    if (!queue) throw new UsageError(`unknown consumer ${JSON.stringify(requested)}; known: ${services.map((service) => service.name).join(', ')}`);
    if ((await countDeadLetters(broker, queue)) === undefined) throw new Error(`${queue} has no dead-letter queue yet: its consumer never started`);
    return [queue];
  }
  const existing: string[] = [];
  for (const queue of known) if ((await countDeadLetters(broker, queue)) !== undefined) existing.push(queue);
  return existing;
}

async function run(command: Command, broker: Broker): Promise<number> {
  const queues = await selectQueues(broker, command.queue);
  const print = (value: unknown, table: () => string) => process.stdout.write(`${command.json ? JSON.stringify(value, null, 2) : table()}\n`);

  switch (command.action) {
    case 'list': {
      const letters: DeadLetter[] = [];
      for (const queue of queues) letters.push(...(await listDeadLetters(broker, queue, { limit: command.limit })));
      print(letters, () => (letters.length === 0 ? `no dead letters in ${queues.join(', ') || 'any consumer queue'}` : table(letters)));
      return 0;
    }
    case 'show': {
      const found: DeadLetter[] = [];
      for (const queue of queues) found.push(...(await listDeadLetters(broker, queue, { limit: command.limit })).filter((letter) => letter.eventId === command.id));
      if (found.length === 0) return notFound(command.id);
      print(found, () => found.map(details).join('\n\n'));
      return 0;
    }
    case 'replay':
    case 'purge': {
      const counts: { queue: string; count: number }[] = [];
      for (const queue of queues) counts.push({ queue, count: await settle(command, broker, queue) });
      const total = counts.reduce((sum, entry) => sum + entry.count, 0);
      if (command.id !== undefined && total === 0) return notFound(command.id);
      const verb = command.action === 'replay' ? 'replayed' : 'purged';
      print({ [verb]: counts }, () => counts.map((entry) => `${verb} ${entry.count} dead letter(s) of ${entry.queue}`).join('\n') || 'no consumer queues');
      return 0;
    }
  }
}

function settle(command: Command, broker: Broker, queue: string): Promise<number> {
  if (command.action === 'replay') return command.id === undefined ? replayAllDeadLetters(broker, queue) : replayDeadLetter(broker, queue, command.id);
  return purgeDeadLetters(broker, queue, command.id);
}

function notFound(id: string | undefined): number {
  process.stderr.write(`no dead letter with event id ${id}\n`);
  return 1;
}

function table(letters: DeadLetter[]): string {
  const rows = letters.map((letter) => [
    letter.queue,
    letter.eventId ?? '-',
    letter.type ?? '-',
    String(letter.retries),
    letter.failedAt ?? '-',
    truncate(letter.reason ?? '-', 90),
  ]);
  const header = ['QUEUE', 'EVENT ID', 'TYPE', 'RETRIES', 'FAILED AT', 'REASON'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

function details(letter: DeadLetter): string {
  let body = letter.body;
  try {
    body = JSON.stringify(JSON.parse(letter.body), null, 2);
  } catch {
    // Not JSON (that may be why it is here): shown as received.
  }
  return [
    `event id:       ${letter.eventId ?? '-'}`,
    `type:           ${letter.type ?? '-'}`,
    `queue:          ${letter.queue}`,
    `correlation id: ${letter.correlationId ?? '-'}`,
    `failed at:      ${letter.failedAt ?? '-'}`,
    `retries:        ${letter.retries}`,
    `reason:         ${letter.reason ?? '-'}`,
    `body:\n${body}`,
  ].join('\n');
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

async function main(): Promise<number> {
  const command = parseCommand(process.argv.slice(2));
  if (command === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const config = loadConfig({ AMQP_URL: baseConfigShape.AMQP_URL, EVENTS_EXCHANGE: baseConfigShape.EVENTS_EXCHANGE });
  // stdout carries the answer (possibly JSON); failures are reported once, as the thrown error.
  const broker = await connectBroker({ url: config.AMQP_URL, exchange: config.EVENTS_EXCHANGE, name: 'x-dlq-cli', log: createLogger('dlq', 'silent'), connectTimeoutMs: 5_000 });
  try {
    return await run(command, broker);
  } finally {
    await broker.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n\n${usage}\n`);
      process.exit(2);
    }
    process.stderr.write(`dlq failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
