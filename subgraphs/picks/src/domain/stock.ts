import { badInput, conflict } from '@x/kit';
import { limits } from './pick';

/**
 * The owner may change a pick's stock, but never below what pending orders hold: those units are
 * promised (their orders would fail at delivery), so the answer says how many are reserved.
 */
export function nextStockLevel(current: { stock: number; reserved: number }, change: { set: number } | { delta: number }): number {
  const next = 'set' in change ? change.set : current.stock + change.delta;
  if (next > limits.stock) throw badInput(`stock would become ${next}; it is at most ${limits.stock}`);
  if (next < 0) throw conflict(`stock would become ${next}; it has ${current.stock}`, { stock: current.stock, reserved: current.reserved });
  if (next < current.reserved) {
    throw conflict(`stock cannot go below the ${current.reserved} units reserved by pending orders`, { stock: current.stock, reserved: current.reserved });
  }
  return next;
}
