/** What every command carries besides its data: who asks, and when (the domain never reads the clock). */
export interface CommandMetadata {
  actorId: string;
  /** ISO 8601 UTC. */
  now: string;
}

export interface Command<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  metadata: CommandMetadata;
}

export interface Event<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
}

/** A pure aggregate: decide what happens, evolve the state from what happened. */
export interface Decider<C extends Command, E extends Event, S> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  initialState(): S;
}

export const fold = <E extends Event, S>(
  decider: Pick<Decider<never, E, S>, 'evolve' | 'initialState'>,
  events: readonly E[],
): S => events.reduce(decider.evolve, decider.initialState());

export const ROLES = ['owner', 'manager', 'member'] as const;
export type Role = (typeof ROLES)[number];
