import type { Command, Decider, Event } from '../../../src/domain/shared/decider';
import { fold } from '../../../src/domain/shared/decider';

type ErrorClass<X extends Error> = abstract new (...args: never[]) => X;

export interface Outcome<E extends Event> {
  /** The command emits exactly these events, in this order (`[]`: it changes nothing). */
  then(expected: readonly E[]): void;
  /** The command is refused with this error class (and a message matching `messageMatch`); returns the error. */
  thenThrows<X extends Error>(errorClass: ErrorClass<X>, messageMatch?: string | RegExp): X;
}

/**
 * Specification-style tests for a decider, with no I/O:
 * `given(pastEvents).when(command).then(expectedEvents)` or `.thenThrows(ForbiddenError, /owner/)`.
 */
export const specFor = <C extends Command, E extends Event, S>(decider: Decider<C, E, S>) => ({
  given: (history: readonly E[]) => ({
    when: (command: C): Outcome<E> => {
      const run = () => decider.decide(command, fold(decider, history));
      return {
        // biome-ignore lint/suspicious/noThenProperty: given/when/then is the vocabulary; an Outcome is never awaited
        then(expected) {
          expect(run()).toEqual(expected);
        },
        thenThrows<X extends Error>(errorClass: ErrorClass<X>, messageMatch?: string | RegExp): X {
          let events: E[];
          try {
            events = run();
          } catch (error) {
            expect(error).toBeInstanceOf(errorClass);
            if (messageMatch !== undefined) expect((error as Error).message).toMatch(messageMatch);
            return error as X;
          }
          throw new Error(`expected ${errorClass.name}, but the command emitted ${JSON.stringify(events)}`);
        },
      };
    },
  }),
});
