import type { AmqpConnectionManager, Channel, ChannelWrapper, CreateChannelOpts } from 'amqp-connection-manager';

/** Bounds close calls, which hang when the connection dies at the same moment. */
export const closeTimeoutMs = 2_000;

/**
 * Waits for `work` at most `ms`; resolves true when it settled in time. Needed around amqplib's
 * close calls: a channel closed while its connection is dying never hears CloseOk, and its promise
 * never settles.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ChannelOptions extends Omit<CreateChannelOpts, 'setup'> {
  /** Runs on every (re)connection: declare topology, start consuming. */
  setup: (channel: Channel) => Promise<void>;
  /** Setup failures after the first one (on a reconnection) are reported here. */
  onError: (error: Error) => void;
}

/**
 * Opens a channel that survives reconnections and resolves once its first setup ran, or rejects
 * with the setup's error. A setup error that closes the channel (PRECONDITION_FAILED on a queue
 * declared with other arguments) never lets ChannelWrapper report 'connect', so that failure is
 * raced in instead of waited on forever.
 */
export async function openChannel(connection: AmqpConnectionManager, options: ChannelOptions): Promise<ChannelWrapper> {
  const { setup, onError, ...channelOptions } = options;
  let failFirstSetup: (error: unknown) => void = () => undefined;
  const firstSetupFailed = new Promise<never>((_, reject) => {
    failFirstSetup = reject;
  });
  // Later setup failures reach onError; a late rejection of this promise must not go unhandled.
  firstSetupFailed.catch(() => undefined);
  const channel = connection.createChannel({
    ...channelOptions,
    setup: async (raw: Channel) => {
      try {
        await setup(raw);
      } catch (error) {
        failFirstSetup(error);
        throw error;
      }
    },
  });
  channel.on('error', onError);
  try {
    await Promise.race([channel.waitForConnect(), firstSetupFailed]);
  } catch (error) {
    await settlesWithin(channel.close(), closeTimeoutMs);
    throw error;
  }
  return channel;
}
