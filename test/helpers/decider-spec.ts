// Given/When/Then over whole events, in the shape of emmett's DeciderSpecification:
//   given(events).when((state) => decide…(state, …)).then(expectedEvents)   // or .thenNothing()
// `given` folds the events with the real evolve, so a test states history, not internal state.

import * as assert from 'uvu/assert';
import { evolve } from '../../src/domain/evolve';
import { initialState, type PoolState } from '../../src/domain/pool-state';
import type { NewEvent } from '../../src/events/types';

export function given(...history: NewEvent[]) {
  const state = history.reduce<PoolState>(evolve, initialState());
  return {
    state,
    when(decide: (state: PoolState) => NewEvent[]) {
      const events = decide(state);
      return {
        events,
        then(expected: NewEvent[], message?: string): PoolState {
          assert.equal(events, expected, message);
          return events.reduce(evolve, state);
        },
        thenNothing(message?: string): void { assert.equal(events, [], message); },
        /** The state after the decided events are folded, for assertions on what a user would see. */
        get after(): PoolState { return events.reduce(evolve, state); },
      };
    },
  };
}
