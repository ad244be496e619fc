import type { ArithmeticOperator, ComparisonOperator, Expr, JsonValue } from '../../../contracts/twinQuery';
import { FUNCTIONS } from './functions';
import { compareValues, deepEqual, equalValues, kindOf } from './values';

export type Row = Readonly<Record<string, unknown>>;

/**
 * An expression compiled to a closure. Conditions use three-valued logic: true, false, or
 * undefined ("unknown", from a missing or mismatched operand); only true keeps a row.
 */
export type Evaluator = (row: Row) => unknown;

type Primitive = string | number | boolean | null;
type Test = (a: unknown, b: unknown) => boolean | undefined;

const COMPARISONS: Readonly<Record<ComparisonOperator, Test>> = {
  '=': equalValues,
  '!=': (a, b) => negate(equalValues(a, b)),
  '<': ordering((order) => order < 0),
  '<=': ordering((order) => order <= 0),
  '>': ordering((order) => order > 0),
  '>=': ordering((order) => order >= 0),
};

const ARITHMETIC: Readonly<Record<ArithmeticOperator, (a: number, b: number) => number>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};

export function compileExpr(expr: Expr): Evaluator {
  switch (expr.kind) {
    case 'literal': {
      const { value } = expr;
      return () => value;
    }
    case 'path':
      return compilePath(expr.segments);
    case 'negate': {
      const operand = compileExpr(expr.operand);
      return (row) => {
        const value = operand(row);
        return typeof value === 'number' ? -value : undefined;
      };
    }
    case 'arithmetic':
      return compileArithmetic(
        compileExpr(expr.first),
        expr.rest.map((step) => ARITHMETIC[step.operator]),
        expr.rest.map((step) => compileExpr(step.operand)),
      );
    case 'and':
      return compileLogical(expr.operands.map(compileExpr), false);
    case 'or':
      return compileLogical(expr.operands.map(compileExpr), true);
    case 'not': {
      const operand = compileExpr(expr.operand);
      return (row) => negate(asCondition(operand(row)));
    }
    case 'comparison': {
      const left = compileExpr(expr.left);
      const right = compileExpr(expr.right);
      const test = COMPARISONS[expr.operator];
      return (row) => test(left(row), right(row));
    }
    case 'in': {
      const operand = compileExpr(expr.operand);
      const member = compileMembership(expr.values);
      return expr.negated ? (row) => negate(member(operand(row))) : (row) => member(operand(row));
    }
    case 'call': {
      const fn: (...values: unknown[]) => unknown = FUNCTIONS[expr.name];
      // The parser has checked the number of arguments against the function's arity.
      const args = expr.args.map(compileExpr);
      if (args.length === 1) {
        const [arg] = args;
        return (row) => fn(arg(row));
      }
      const [first, second] = args;
      return (row) => fn(first(row), second(row));
    }
  }
}

function compilePath(segments: readonly string[]): Evaluator {
  if (segments.length === 1) {
    const [key] = segments;
    return (row) => member(row, key);
  }
  const keys = [...segments];
  return (row) => {
    let value: unknown = row;
    for (let i = 0; i < keys.length && value !== undefined; i++) value = member(value, keys[i]);
    return value;
  };
}

const hasOwnProperty = Object.prototype.hasOwnProperty;

/**
 * Own properties of JSON objects only: `tags.constructor` must not find Object.prototype's. Path
 * segments are identifiers, never array indexes, so the one own property an array could answer
 * is `length`, which is excluded explicitly; that keeps Array.isArray off the per-segment path.
 */
function member(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && hasOwnProperty.call(value, key) && !(key === 'length' && Array.isArray(value))
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** Numbers only; anything else, or a result JSON cannot hold (x / 0), is undefined. */
function compileArithmetic(first: Evaluator, operators: ((a: number, b: number) => number)[], operands: Evaluator[]): Evaluator {
  return (row) => {
    const start = first(row);
    if (typeof start !== 'number') return undefined;
    let result = start;
    for (let i = 0; i < operands.length; i++) {
      const value = operands[i](row);
      if (typeof value !== 'number') return undefined;
      result = operators[i](result, value);
    }
    return Number.isFinite(result) ? result : undefined;
  };
}

/** Kleene AND/OR: the deciding value (false for AND, true for OR) wins over unknown. */
function compileLogical(operands: Evaluator[], decisive: boolean): Evaluator {
  return (row) => {
    let unknown = false;
    for (let i = 0; i < operands.length; i++) {
      const value = asCondition(operands[i](row));
      if (value === decisive) return decisive;
      if (value === undefined) unknown = true;
    }
    return unknown ? undefined : !decisive;
  };
}

/**
 * `x IN list` answers exactly what `x = list[0] OR x = list[1] OR ...` would: true on a match,
 * otherwise unknown if some element has another JSON type than x (that equality is unknown), else false.
 */
function compileMembership(values: readonly JsonValue[]): (value: unknown) => boolean | undefined {
  const kinds = new Set(values.map(kindOf));
  const primitives = new Set(values.filter((value) => typeof value !== 'object' || value === null));
  const composites = values.filter((value) => typeof value === 'object' && value !== null);
  return (value) => {
    const kind = kindOf(value);
    if (kind === 'undefined') return undefined;
    const found =
      kind === 'array' || kind === 'object'
        ? composites.some((candidate) => deepEqual(value, candidate))
        : primitives.has(value as Primitive);
    if (found) return true;
    return kinds.size === 0 || (kinds.size === 1 && kinds.has(kind)) ? false : undefined;
  };
}

/** Only booleans take part in logic; any other value, like a string used as a condition, is unknown. */
function asCondition(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

function negate(value: boolean | undefined): boolean | undefined {
  return value === undefined ? undefined : !value;
}

function ordering(test: (order: number) => boolean): Test {
  return (a, b) => {
    const order = compareValues(a, b);
    return order === undefined ? undefined : test(order);
  };
}
