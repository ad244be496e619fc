import type { AggregateCall } from '../../../contracts/twinQuery';
import { Evaluator, Row, compileExpr } from './evaluate';
import { ValueKind, compareValues, kindOf } from './values';

/** Running state of one aggregate for one group. */
export interface Accumulator {
  add(row: Row): void;
  /** undefined leaves the column out of the item, as for any undefined projection. */
  result(): unknown;
}

export type AccumulatorFactory = () => Accumulator;

/** Cross-type order for MIN/MAX, the Cosmos DB one: null < booleans < numbers < strings. */
const KIND_RANK: Readonly<Partial<Record<ValueKind, number>>> = { null: 0, boolean: 1, number: 2, string: 3 };

/**
 * COUNT() counts rows. SUM and AVG consider only numeric values (SUM of none is 0, AVG of none is
 * omitted); MIN and MAX consider primitive values and are omitted when there are none.
 */
export function compileAggregate(call: AggregateCall): AccumulatorFactory {
  if (call.name === 'COUNT') {
    return () => {
      let count = 0;
      return {
        add: () => {
          count++;
        },
        result: () => count,
      };
    };
  }
  const arg = compileExpr(call.arg);
  switch (call.name) {
    case 'SUM':
    case 'AVG':
      return () => {
        let sum = 0;
        let count = 0;
        return {
          add: (row) => {
            const value = arg(row);
            if (typeof value !== 'number') return;
            sum += value;
            count++;
          },
          result: () => {
            const result = call.name === 'SUM' ? sum : count === 0 ? undefined : sum / count;
            return result === undefined || Number.isFinite(result) ? result : undefined;
          },
        };
      };
    case 'MIN':
      return extreme(arg, -1);
    case 'MAX':
      return extreme(arg, 1);
  }
}

function extreme(arg: Evaluator, direction: -1 | 1): AccumulatorFactory {
  return () => {
    let best: unknown = undefined;
    return {
      add: (row) => {
        const value = arg(row);
        if (KIND_RANK[kindOf(value)] === undefined) return;
        if (best === undefined || Math.sign(orderAcrossKinds(value, best)) === direction) best = value;
      },
      result: () => best,
    };
  };
}

function orderAcrossKinds(a: unknown, b: unknown): number {
  const rankA = KIND_RANK[kindOf(a)] ?? 0;
  const rankB = KIND_RANK[kindOf(b)] ?? 0;
  return rankA !== rankB ? rankA - rankB : (compareValues(a, b) ?? 0);
}
