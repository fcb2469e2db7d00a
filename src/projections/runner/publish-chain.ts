import type { Publisher, RoomMessage } from '../projection';
import type { RunnerLogger } from './logger';

/**
 * The projector's realtime messages in commit order: each batch is published after the one before it, without
 * holding up the next batch. A failure is logged, not retried: clients resume from the last position they saw.
 */
export interface PublishChain {
  publish(messages: RoomMessage[]): void;
  /** Queues the publisher's gap announcement after what was queued before (see Publisher.announceGap). */
  announceGap(): void;
  /** Settles once everything queued so far has been published or has failed. */
  drained(): Promise<void>;
}

export const chainPublishing = (publisher: Publisher, logger: RunnerLogger): PublishChain => {
  let publishing: Promise<void> = Promise.resolve();
  return {
    publish(messages) {
      if (messages.length === 0) return;
      publishing = publishing.then(() =>
        publisher.publish(messages).catch((error: unknown) => {
          logger.warn({ err: error, count: messages.length }, 'publishing realtime messages failed');
        }),
      );
    },
    announceGap() {
      if (!publisher.announceGap) return;
      publishing = publishing.then(() =>
        publisher.announceGap?.().catch((error: unknown) => {
          logger.warn({ err: error }, 'announcing a realtime gap failed');
        }),
      );
    },
    drained: () => publishing,
  };
};
