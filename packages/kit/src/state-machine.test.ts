import { assertTransitionTable, namedTransitions, transitionTableProblems } from './state-machine';

const states = ['NEW', 'OPEN', 'DONE', 'GONE'] as const;
type State = (typeof states)[number];

describe('transition tables', () => {
  const sound = { states, initial: 'NEW' as State, final: ['DONE', 'GONE'] as State[], transitions: namedTransitions<State>({ open: { from: ['NEW'], to: 'OPEN' }, finish: { from: ['OPEN'], to: 'DONE' }, drop: { from: ['NEW', 'OPEN'], to: 'GONE' } }) };

  it('accepts a sound table', () => {
    expect(transitionTableProblems(sound)).toEqual([]);
    expect(() => assertTransitionTable('test', sound)).not.toThrow();
  });

  it('names every problem: unreachable and dead-end states, ways out of a final state, self loops, duplicates', () => {
    const problems = transitionTableProblems({
      states,
      initial: 'NEW',
      final: ['DONE'],
      transitions: [
        { name: 'open', from: ['NEW'], to: 'OPEN' },
        { name: 'open', from: ['OPEN'], to: 'OPEN' },
        { name: 'reopen', from: ['DONE'], to: 'OPEN' },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'transition open is defined twice',
        'transition open leads from OPEN to itself',
        'state DONE cannot be reached from NEW',
        'state GONE cannot be reached from NEW',
        'state DONE is final but a transition leaves it',
        'state GONE is a dead end: no transition leaves it',
      ]),
    );
    expect(() => assertTransitionTable('broken', { states, initial: 'NEW', transitions: [] })).toThrow('the broken transition table is invalid');
  });
});
