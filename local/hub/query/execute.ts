import type { Query } from '../../../contracts/twinQuery';
import { Accumulator, AccumulatorFactory, compileAggregate } from './aggregates';
import { Evaluator, Row, compileExpr } from './evaluate';
import { kindOf } from './values';

export interface QueryResult {
  /** 'Twin' for SELECT * (items are the twin documents), 'Raw' for projections and aggregates. */
  readonly itemType: 'Twin' | 'Raw';
  readonly items: unknown[];
}

type Column =
  | { readonly name: string; readonly kind: 'value'; readonly evaluate: Evaluator }
  | { readonly name: string; readonly kind: 'aggregate'; readonly create: AccumulatorFactory };

type Plan =
  | { readonly kind: 'twins' }
  | { readonly kind: 'projection'; readonly columns: readonly Column[] }
  | { readonly kind: 'grouping'; readonly columns: readonly Column[]; readonly groupKey: ((row: Row) => string) | undefined };

interface CompiledQuery {
  readonly where: Evaluator | undefined;
  readonly limit: number;
  readonly plan: Plan;
}

/**
 * Runs a parsed query over twin documents in the order given. The query is first compiled to
 * closures so each row costs only the evaluation itself. SELECT * items are the input objects
 * themselves, not copies. Projection items omit columns whose value is undefined.
 */
export function runQuery(query: Query, rows: Iterable<Record<string, unknown>>): QueryResult {
  const { where, limit, plan } = compile(query);
  if (plan.kind === 'grouping') return { itemType: 'Raw', items: runGrouping(plan.columns, plan.groupKey, where, limit, rows) };
  const items: unknown[] = [];
  if (limit > 0) {
    for (const row of rows) {
      if (where && where(row) !== true) continue;
      items.push(plan.kind === 'twins' ? row : project(plan.columns, row, undefined));
      if (items.length >= limit) break;
    }
  }
  return { itemType: plan.kind === 'twins' ? 'Twin' : 'Raw', items };
}

function compile(query: Query): CompiledQuery {
  const where = query.where && compileExpr(query.where);
  const limit = query.top ?? Infinity;
  if (query.select === '*') return { where, limit, plan: { kind: 'twins' } };
  const columns = query.select.map((item): Column =>
    item.kind === 'value'
      ? { name: item.name, kind: 'value', evaluate: compileExpr(item.expr) }
      : { name: item.name, kind: 'aggregate', create: compileAggregate(item.call) },
  );
  if (query.groupBy.length === 0 && columns.every((column) => column.kind === 'value')) {
    return { where, limit, plan: { kind: 'projection', columns } };
  }
  return { where, limit, plan: { kind: 'grouping', columns, groupKey: compileGroupKey(query) } };
}

/** undefined when there is no GROUP BY: the whole (filtered) collection is one group. */
function compileGroupKey(query: Query): ((row: Row) => string) | undefined {
  if (query.groupBy.length === 0) return undefined;
  const keys = query.groupBy.map(compileExpr);
  if (keys.length === 1) {
    const [key] = keys;
    return (row) => encodeKey(key(row));
  }
  // Encoded keys can contain any character, so several are combined as a JSON array.
  return (row) => JSON.stringify(keys.map((key) => encodeKey(key(row))));
}

/**
 * A type tag keeps 1 and '1' apart. Rows without the property get their own group, whose item
 * omits the key column. Objects group by their JSON text, so property order matters there.
 */
function encodeKey(value: unknown): string {
  switch (kindOf(value)) {
    case 'undefined':
      return 'u';
    case 'string':
      return `s${value as string}`;
    case 'number':
    case 'boolean':
      return `p${String(value)}`;
    default:
      return `j${JSON.stringify(value)}`;
  }
}

interface Group {
  readonly first: Row;
  readonly accumulators: Accumulator[];
}

function runGrouping(
  columns: readonly Column[],
  groupKey: ((row: Row) => string) | undefined,
  where: Evaluator | undefined,
  limit: number,
  rows: Iterable<Row>,
): unknown[] {
  const factories = columns.flatMap((column) => (column.kind === 'aggregate' ? [column.create] : []));
  const newGroup = (first: Row): Group => ({ first, accumulators: factories.map((create) => create()) });
  const groups = new Map<string, Group>();
  // Without GROUP BY an aggregate query yields exactly one item, even over no rows (COUNT() = 0).
  if (!groupKey) groups.set('', newGroup({}));
  for (const row of rows) {
    if (where && where(row) !== true) continue;
    const key = groupKey ? groupKey(row) : '';
    let group = groups.get(key);
    if (!group) {
      group = newGroup(row);
      groups.set(key, group);
    }
    for (const accumulator of group.accumulators) accumulator.add(row);
  }
  const items: unknown[] = [];
  for (const group of groups.values()) {
    if (items.length >= limit) break;
    items.push(project(columns, group.first, group.accumulators));
  }
  return items;
}

/** Non-aggregate columns of a group read its first row: the parser allows only GROUP BY paths there. */
function project(columns: readonly Column[], row: Row, accumulators: readonly Accumulator[] | undefined): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  let next = 0;
  for (const column of columns) {
    const value = column.kind === 'value' ? column.evaluate(row) : accumulators?.[next++].result();
    if (value !== undefined) item[column.name] = value;
  }
  return item;
}
