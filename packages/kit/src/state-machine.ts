/** One transition of a state machine written as data: a name, the states it may start from, its target. */
export interface TransitionShape<S extends string> {
  readonly name: string;
  readonly from: readonly S[];
  readonly to: S;
}

export interface TransitionTable<S extends string> {
  readonly states: readonly S[];
  readonly initial: S;
  /** States nothing may leave (an order DELIVERED); every other state needs a way out. */
  readonly final?: readonly S[];
  readonly transitions: readonly TransitionShape<S>[];
}

/**
 * Everything wrong with a transition table: duplicate or empty transitions, unknown states, self
 * loops, states unreachable from the initial one, dead ends, and ways out of a final state. Services
 * check their tables when they start, so a bad edit stops the service instead of stranding entities.
 */
export function transitionTableProblems<S extends string>(table: TransitionTable<S>): string[] {
  const problems: string[] = [];
  const known = new Set<S>(table.states);
  const final = new Set<S>(table.final ?? []);
  const names = new Set<string>();
  for (const transition of table.transitions) {
    if (names.has(transition.name)) problems.push(`transition ${transition.name} is defined twice`);
    names.add(transition.name);
    if (transition.from.length === 0) problems.push(`transition ${transition.name} starts from no state`);
    for (const state of [...transition.from, transition.to]) if (!known.has(state)) problems.push(`transition ${transition.name} names unknown state ${state}`);
    if (transition.from.includes(transition.to)) problems.push(`transition ${transition.name} leads from ${transition.to} to itself`);
  }
  const reachable = new Set<S>([table.initial]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const transition of table.transitions) {
      if (transition.from.some((state) => reachable.has(state)) && !reachable.has(transition.to)) {
        reachable.add(transition.to);
        grew = true;
      }
    }
  }
  for (const state of table.states) {
    const leaves = table.transitions.some((transition) => transition.from.includes(state));
    if (!reachable.has(state)) problems.push(`state ${state} cannot be reached from ${table.initial}`);
    if (final.has(state) && leaves) problems.push(`state ${state} is final but a transition leaves it`);
    if (!final.has(state) && !leaves) problems.push(`state ${state} is a dead end: no transition leaves it`);
  }
  return problems;
}

export function assertTransitionTable<S extends string>(machine: string, table: TransitionTable<S>): void {
  const problems = transitionTableProblems(table);
  if (problems.length > 0) throw new Error(`the ${machine} transition table is invalid: ${problems.join('; ')}`);
}

/** A table written as an object keyed by trigger, as a list of named transitions. */
export function namedTransitions<S extends string>(byTrigger: Record<string, { from: readonly S[]; to: S }>): TransitionShape<S>[] {
  return Object.entries(byTrigger).map(([name, { from, to }]) => ({ name, from, to }));
}
