import {
  AggregateCall,
  ArithmeticExpr,
  ArithmeticOperator,
  ComparisonOperator,
  Expr,
  JsonValue,
  PathExpr,
  Query,
  SelectItem,
  pathText,
  pathsIn,
} from './ast';
import { FUNCTION_ARITY, isFunctionName } from './functions';
import { Lexer, Token } from './lexer';
import { QuerySyntaxError } from './QuerySyntaxError';

/**
 * Grammar (keywords and function names case-insensitive):
 *   query      := SELECT [TOP integer] ('*' | item (',' item)*) FROM devices [WHERE expr] [GROUP BY path (',' path)*]
 *   condition  := expr                          -- what parseCondition reads
 *   item       := (aggregate | expr) [AS identifier]
 *   aggregate  := COUNT '(' ')' | (SUM | AVG | MIN | MAX) '(' expr ')'
 *   expr       := and (OR and)*
 *   and        := not (AND not)*
 *   not        := NOT not | comparison
 *   comparison := sum [('=' | '!=' | '<>' | '<' | '<=' | '>' | '>=') sum | (IN | NIN) array]
 *   sum        := product (('+' | '-') product)*
 *   product    := unary (('*' | '/' | '%') unary)*
 *   unary      := '-' unary | primary
 *   primary    := number | string | TRUE | FALSE | NULL | array | '(' expr ')' | function '(' [expr (',' expr)*] ')' | path
 *   path       := identifier ('.' name)*      -- after a dot, keywords are ordinary names
 *   array      := '[' [constant (',' constant)*] ']'
 */
export function parseQuery(text: string): Query {
  return new Parser(text, 'query').parseQuery();
}

/**
 * A WHERE condition as a client sends it: IoT Hub receives `SELECT ... FROM devices WHERE
 * (<condition>)`. The condition is parsed as the inside of that parenthesis, one nesting level
 * deep, and must end where the text does, so errors point into the condition as written and it
 * cannot close the parenthesis to add clauses of its own (`a = 1) OR (true`).
 */
export function parseCondition(text: string): Expr {
  return new Parser(text, 'condition').parseCondition();
}

const RESERVED = new Set(['SELECT', 'TOP', 'FROM', 'WHERE', 'GROUP', 'BY', 'AS', 'AND', 'OR', 'NOT', 'IN', 'NIN', 'TRUE', 'FALSE', 'NULL']);
const AGGREGATES = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
const COMPARISONS: ReadonlyMap<string, ComparisonOperator> = new Map([
  ['=', '='],
  ['!=', '!='],
  ['<>', '!='],
  ['<', '<'],
  ['<=', '<='],
  ['>', '>'],
  ['>=', '>='],
]);
/** Bounds recursion (parser, compiler and evaluator alike) so hostile input cannot overflow the stack. */
const MAX_NESTING = 100;

class Parser {
  private readonly lexer: Lexer;
  private nesting = 0;

  constructor(
    private readonly text: string,
    /** What the text is, as errors name its end. */
    private readonly form: 'query' | 'condition',
  ) {
    this.lexer = new Lexer(text);
  }

  parseCondition(): Expr {
    // The parenthesis around the condition counts towards MAX_NESTING, as in the query sent.
    this.nesting = 1;
    const condition = this.parseExpression();
    if (this.peek().kind !== 'end') throw this.unexpected('end of condition');
    return condition;
  }

  parseQuery(): Query {
    this.expectKeyword('SELECT');
    const top = this.acceptKeyword('TOP') ? this.parseTop() : undefined;
    const select = this.acceptPunctuation('*') ? '*' : this.parseSelectItems();
    this.expectKeyword('FROM', select === '*' ? 'FROM' : "',' or FROM");
    this.parseCollection();
    const where = this.acceptKeyword('WHERE') ? this.parseExpression() : undefined;
    const groupToken = this.acceptKeyword('GROUP');
    const groupBy: PathExpr[] = [];
    if (groupToken) {
      this.expectKeyword('BY');
      do groupBy.push(this.parseGroupingPath());
      while (this.acceptPunctuation(','));
    }
    if (this.peek().kind !== 'end') {
      throw this.unexpected(groupToken ? "',' or end of query" : where ? 'GROUP BY or end of query' : 'WHERE, GROUP BY or end of query');
    }
    if (select === '*') {
      if (groupToken) throw this.error(groupToken.position, 'SELECT * cannot be combined with GROUP BY');
    } else {
      this.checkAggregation(select, groupBy);
    }
    return { top, select, where, groupBy };
  }

  private parseTop(): number {
    const token = this.lexer.next();
    if (token.kind !== 'number' || !Number.isSafeInteger(token.value)) {
      throw this.unexpected('a non-negative integer after TOP', token);
    }
    return token.value;
  }

  private parseCollection(): void {
    const token = this.lexer.next();
    if (token.kind !== 'identifier' || RESERVED.has(token.text.toUpperCase())) throw this.unexpected('devices', token);
    let name = token.text;
    while (this.isPunctuation(this.peek(), '.') && this.peek(1).kind === 'identifier') {
      this.lexer.next();
      name += `.${this.lexer.next().text}`;
    }
    if (name.toLowerCase() !== 'devices') {
      throw this.error(token.position, `only 'devices' can be queried, '${name}' is not supported by this emulator`);
    }
  }

  private parseSelectItems(): SelectItem[] {
    type Column = { readonly kind: 'value'; readonly expr: Expr } | { readonly kind: 'aggregate'; readonly call: AggregateCall };
    const parsed: { column: Column; alias: string | undefined; position: number }[] = [];
    do {
      const position = this.peek().position;
      const column: Column = this.isAggregateStart()
        ? { kind: 'aggregate', call: this.parseAggregate() }
        : { kind: 'value', expr: this.parseExpression() };
      const alias = this.acceptKeyword('AS') ? this.parseAlias() : undefined;
      parsed.push({ column, alias, position });
    } while (this.acceptPunctuation(','));

    // Unnamed computed columns are numbered `$1`, `$2`, ... in order, the Cosmos DB convention IoT Hub inherits.
    let unnamed = 0;
    const seen = new Set<string>();
    return parsed.map(({ column, alias, position }) => {
      const name =
        alias ??
        (column.kind === 'value' && column.expr.kind === 'path' ? column.expr.segments[column.expr.segments.length - 1] : `$${++unnamed}`);
      if (seen.has(name)) throw this.error(position, `duplicate output name '${name}'; rename one of the columns with AS`);
      seen.add(name);
      return { ...column, name, position };
    });
  }

  private isAggregateStart(): boolean {
    const token = this.peek();
    return token.kind === 'identifier' && AGGREGATES.has(token.text.toUpperCase()) && this.isPunctuation(this.peek(1), '(');
  }

  private parseAggregate(): AggregateCall {
    const name = this.lexer.next().text.toUpperCase();
    const opener = this.lexer.next(); // '('
    if (name === 'COUNT') {
      this.expectPunctuation(')', "')' (COUNT takes no argument)");
      return { name };
    }
    const arg = this.nested(opener, () => {
      const expression = this.parseExpression();
      this.expectPunctuation(')', `')' (${name} takes one argument)`);
      return expression;
    });
    return { name: name as 'SUM' | 'AVG' | 'MIN' | 'MAX', arg };
  }

  private parseAlias(): string {
    const token = this.lexer.next();
    if (token.kind !== 'identifier' || RESERVED.has(token.text.toUpperCase())) throw this.unexpected('an alias name after AS', token);
    return token.text;
  }

  private parseGroupingPath(): PathExpr {
    const token = this.peek();
    if (token.kind !== 'identifier' || RESERVED.has(token.text.toUpperCase()) || this.isPunctuation(this.peek(1), '(')) {
      throw this.unexpected('a property path');
    }
    return this.parsePath();
  }

  /** Aggregate queries may only project aggregates and values computed from GROUP BY paths. */
  private checkAggregation(items: readonly SelectItem[], groupBy: readonly PathExpr[]): void {
    if (groupBy.length === 0 && items.every((item) => item.kind === 'value')) return;
    const grouped = new Set(groupBy.map(pathText));
    for (const item of items) {
      if (item.kind !== 'value') continue;
      const stray = pathsIn(item.expr).find((path) => !grouped.has(pathText(path)));
      if (stray) {
        throw this.error(
          stray.position,
          `'${pathText(stray)}' is not in GROUP BY; an aggregate query can only project GROUP BY paths and aggregates`,
        );
      }
    }
  }

  private parseExpression(): Expr {
    return this.parseJoined('OR', () => this.parseAnd());
  }

  private parseAnd(): Expr {
    return this.parseJoined('AND', () => this.parseNot());
  }

  /** Operands joined by OR (or AND); a single operand stands alone. */
  private parseJoined(keyword: 'OR' | 'AND', operand: () => Expr): Expr {
    const first = operand();
    if (!this.isKeyword(this.peek(), keyword)) return first;
    const operands = [first];
    while (this.acceptKeyword(keyword)) operands.push(operand());
    return { kind: keyword === 'OR' ? 'or' : 'and', operands, position: first.position };
  }

  private parseNot(): Expr {
    const token = this.acceptKeyword('NOT');
    if (!token) return this.parseComparison();
    const operand = this.nested(token, () => this.parseNot());
    return { kind: 'not', operand, position: token.position };
  }

  private parseComparison(): Expr {
    const left = this.parseSum();
    const token = this.peek();
    const operator = token.kind === 'punctuation' ? COMPARISONS.get(token.text) : undefined;
    if (operator) {
      this.lexer.next();
      return { kind: 'comparison', operator, left, right: this.parseSum(), position: left.position };
    }
    if (this.isKeyword(token, 'IN') || this.isKeyword(token, 'NIN')) {
      this.lexer.next();
      if (!this.isPunctuation(this.peek(), '[')) throw this.unexpected(`'[' after ${token.text.toUpperCase()}`);
      const values = this.parseArray();
      return { kind: 'in', negated: this.isKeyword(token, 'NIN'), operand: left, values, position: left.position };
    }
    return left;
  }

  private parseSum(): Expr {
    return this.parseChain(['+', '-'], () => this.parseProduct());
  }

  private parseProduct(): Expr {
    return this.parseChain(['*', '/', '%'], () => this.parseUnary());
  }

  private parseChain(operators: readonly ArithmeticOperator[], parseOperand: () => Expr): Expr {
    const first = parseOperand();
    const rest: ArithmeticExpr['rest'][number][] = [];
    for (;;) {
      const token = this.peek();
      const operator = operators.find((candidate) => this.isPunctuation(token, candidate));
      if (!operator) break;
      this.lexer.next();
      rest.push({ operator, operand: parseOperand() });
    }
    return rest.length === 0 ? first : { kind: 'arithmetic', first, rest, position: first.position };
  }

  private parseUnary(): Expr {
    const token = this.peek();
    if (!this.isPunctuation(token, '-')) return this.parsePrimary();
    this.lexer.next();
    const operand = this.nested(token, () => this.parseUnary());
    // Fold so `-5` is the literal -5, which keeps negative constants constant.
    return operand.kind === 'literal' && typeof operand.value === 'number'
      ? { kind: 'literal', value: -operand.value, position: token.position }
      : { kind: 'negate', operand, position: token.position };
  }

  private parsePrimary(): Expr {
    const token = this.peek();
    const { position } = token;
    switch (token.kind) {
      case 'number':
      case 'string':
        this.lexer.next();
        return { kind: 'literal', value: token.value, position };
      case 'punctuation':
        if (token.text === '[') return { kind: 'literal', value: this.parseArray(), position };
        if (token.text === '(') {
          this.lexer.next();
          return this.nested(token, () => {
            const inner = this.parseExpression();
            this.expectPunctuation(')');
            return inner;
          });
        }
        break;
      case 'identifier': {
        const constant = this.keywordConstant(token);
        if (constant !== undefined) {
          this.lexer.next();
          return { kind: 'literal', value: constant, position };
        }
        if (RESERVED.has(token.text.toUpperCase())) break;
        return this.isPunctuation(this.peek(1), '(') ? this.parseCall() : this.parsePath();
      }
      case 'end':
        break;
    }
    throw this.unexpected('an expression');
  }

  private parseCall(): Expr {
    const token = this.lexer.next();
    const name = token.text.toUpperCase();
    if (AGGREGATES.has(name)) throw this.error(token.position, `aggregate ${name}() can only be used as a SELECT item`);
    if (!isFunctionName(name)) throw this.error(token.position, `unknown function '${token.text}'`);
    const args = this.parseBracketed(')', () => this.parseExpression());
    const arity = FUNCTION_ARITY[name];
    if (args.length !== arity) {
      throw this.error(token.position, `${name} takes ${arity} argument${arity === 1 ? '' : 's'} but was given ${args.length}`);
    }
    return { kind: 'call', name, args, position: token.position };
  }

  private parsePath(): PathExpr {
    const first = this.lexer.next();
    const segments = [first.text];
    while (this.acceptPunctuation('.')) {
      const segment = this.lexer.next();
      if (segment.kind !== 'identifier') throw this.unexpected("a property name after '.'", segment);
      segments.push(segment.text);
    }
    return { kind: 'path', segments, position: first.position };
  }

  private parseArray(): JsonValue[] {
    return this.parseBracketed(']', () => this.parseConstant());
  }

  /** A comma-separated list from the opening bracket (the next token) to `close`; it may be empty. */
  private parseBracketed<T>(close: ')' | ']', parseItem: () => T): T[] {
    return this.nested(this.lexer.next(), () => {
      const items: T[] = [];
      if (this.acceptPunctuation(close)) return items;
      do items.push(parseItem());
      while (this.acceptPunctuation(','));
      this.expectPunctuation(close, `',' or '${close}'`);
      return items;
    });
  }

  private parseConstant(): JsonValue {
    const token = this.peek();
    if (token.kind === 'number' || token.kind === 'string') {
      this.lexer.next();
      return token.value;
    }
    if (this.isPunctuation(token, '[')) return this.parseArray();
    const negated = this.peek(1);
    if (this.isPunctuation(token, '-') && negated.kind === 'number') {
      this.lexer.next();
      this.lexer.next();
      return -negated.value;
    }
    const constant = this.keywordConstant(token);
    if (constant === undefined) throw this.unexpected('a constant (string, number, true, false, null or array)');
    this.lexer.next();
    return constant;
  }

  private keywordConstant(token: Token): JsonValue | undefined {
    if (token.kind !== 'identifier') return undefined;
    switch (token.text.toUpperCase()) {
      case 'TRUE':
        return true;
      case 'FALSE':
        return false;
      case 'NULL':
        return null;
      default:
        return undefined;
    }
  }

  /**
   * Parses one nesting level deeper. `opener` is the token that starts the nested part: the error
   * points at the first one too many. A syntax error ends the whole parse, so it needs no unwinding.
   */
  private nested<T>(opener: Token, parse: () => T): T {
    if (++this.nesting > MAX_NESTING) {
      throw this.error(opener.position, `expression is nested more than ${MAX_NESTING} levels deep`);
    }
    const result = parse();
    this.nesting--;
    return result;
  }

  private peek(ahead = 0): Token {
    return this.lexer.peek(ahead);
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'identifier' && token.text.toUpperCase() === keyword;
  }

  private isPunctuation(token: Token, text: string): boolean {
    return token.kind === 'punctuation' && token.text === text;
  }

  private acceptKeyword(keyword: string): Token | undefined {
    return this.isKeyword(this.peek(), keyword) ? this.lexer.next() : undefined;
  }

  private acceptPunctuation(text: string): boolean {
    if (!this.isPunctuation(this.peek(), text)) return false;
    this.lexer.next();
    return true;
  }

  private expectKeyword(keyword: string, expected = keyword): void {
    if (!this.acceptKeyword(keyword)) throw this.unexpected(expected);
  }

  private expectPunctuation(text: string, expected = `'${text}'`): void {
    if (!this.acceptPunctuation(text)) throw this.unexpected(expected);
  }

  private unexpected(expected: string, token = this.peek()): QuerySyntaxError {
    return this.error(token.position, `expected ${expected} but found ${this.describe(token)}`);
  }

  private describe(token: Token): string {
    if (token.kind === 'end') return `end of ${this.form}`;
    const text = token.text.length > 40 ? `${token.text.slice(0, 37)}...` : token.text;
    return token.kind === 'string' ? `string ${text}` : `'${text}'`;
  }

  private error(position: number, detail: string): QuerySyntaxError {
    return new QuerySyntaxError(this.text, position, detail);
  }
}
