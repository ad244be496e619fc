import type { FunctionName } from './functions';

/** A constant of a query: a literal, or a value of an IN list. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Every node remembers where it starts in the query text so later checks can point at it. */
interface Node {
  readonly position: number;
}

export interface LiteralExpr extends Node {
  readonly kind: 'literal';
  readonly value: JsonValue;
}

/** `properties.reported.firmware.version`: member access by name, case-sensitive like twin JSON keys. */
export interface PathExpr extends Node {
  readonly kind: 'path';
  readonly segments: readonly string[];
}

export interface NegateExpr extends Node {
  readonly kind: 'negate';
  readonly operand: Expr;
}

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';

/** A left-associative chain of one precedence level, flat so long chains cost no recursion depth. */
export interface ArithmeticExpr extends Node {
  readonly kind: 'arithmetic';
  readonly first: Expr;
  readonly rest: readonly { readonly operator: ArithmeticOperator; readonly operand: Expr }[];
}

/** AND / OR over two or more operands, flat for the same reason as ArithmeticExpr. */
export interface LogicalExpr extends Node {
  readonly kind: 'and' | 'or';
  readonly operands: readonly Expr[];
}

export interface NotExpr extends Node {
  readonly kind: 'not';
  readonly operand: Expr;
}

/** `<>` is parsed as `!=`. */
export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface ComparisonExpr extends Node {
  readonly kind: 'comparison';
  readonly operator: ComparisonOperator;
  readonly left: Expr;
  readonly right: Expr;
}

/** `x IN [..]` (negated: `x NIN [..]`); the list holds constants only, as in IoT Hub. */
export interface InExpr extends Node {
  readonly kind: 'in';
  readonly negated: boolean;
  readonly operand: Expr;
  readonly values: readonly JsonValue[];
}

export interface CallExpr extends Node {
  readonly kind: 'call';
  readonly name: FunctionName;
  readonly args: readonly Expr[];
}

export type Expr = LiteralExpr | PathExpr | NegateExpr | ArithmeticExpr | LogicalExpr | NotExpr | ComparisonExpr | InExpr | CallExpr;

export type AggregateCall = { readonly name: 'COUNT' } | { readonly name: 'SUM' | 'AVG' | 'MIN' | 'MAX'; readonly arg: Expr };

/** Output property name: the alias, else the path's last segment, else `$1`, `$2`, ... */
export type SelectItem =
  | { readonly kind: 'value'; readonly expr: Expr; readonly name: string; readonly position: number }
  | { readonly kind: 'aggregate'; readonly call: AggregateCall; readonly name: string; readonly position: number };

export interface Query {
  /** TOP n; undefined when absent. */
  readonly top: number | undefined;
  readonly select: '*' | readonly SelectItem[];
  readonly where: Expr | undefined;
  readonly groupBy: readonly PathExpr[];
}

export function pathText(path: PathExpr): string {
  return path.segments.join('.');
}

/** Every property path an expression reads, in source order. */
export function pathsIn(expr: Expr): PathExpr[] {
  switch (expr.kind) {
    case 'literal':
      return [];
    case 'path':
      return [expr];
    case 'negate':
    case 'not':
      return pathsIn(expr.operand);
    case 'arithmetic':
      return [expr.first, ...expr.rest.map((step) => step.operand)].flatMap(pathsIn);
    case 'and':
    case 'or':
      return expr.operands.flatMap(pathsIn);
    case 'comparison':
      return [...pathsIn(expr.left), ...pathsIn(expr.right)];
    case 'in':
      return pathsIn(expr.operand);
    case 'call':
      return expr.args.flatMap(pathsIn);
  }
}
