import { QuerySyntaxError } from './QuerySyntaxError';

export type Token =
  | { readonly kind: 'identifier' | 'punctuation' | 'end'; readonly text: string; readonly position: number }
  | { readonly kind: 'string'; readonly text: string; readonly position: number; readonly value: string }
  | { readonly kind: 'number'; readonly text: string; readonly position: number; readonly value: number };

const WHITESPACE = /\s+/y;
// `$` is an identifier character so `$metadata`, `$version` and `$lastUpdated` are ordinary path segments.
const IDENTIFIER = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const NUMBER = /0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// Characters that may not touch the end of a number: `12abc`, `1.2.3`, `1e`, `0x` are malformed, not two tokens.
const NUMBER_TAIL = /[A-Za-z0-9_$.]+/y;
const TWO_CHAR_PUNCTUATION = new Set(['!=', '<>', '<=', '>=']);
const ONE_CHAR_PUNCTUATION = new Set(['(', ')', '[', ']', ',', '.', '*', '+', '-', '/', '%', '=', '<', '>']);
// Escapes IoT Hub documents (\' \" \\ \uXXXX) plus JSON's, since twin values are JSON strings.
const SIMPLE_ESCAPES: ReadonlyMap<string, string> = new Map([
  ["'", "'"],
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);

/**
 * Tokens on demand rather than all up front, so the error reported is the first one in reading
 * order: `SELEC * ... 'unterminated` complains about SELEC, not about the string.
 */
export class Lexer {
  private offset = 0;
  private readonly lookahead: Token[] = [];

  constructor(private readonly text: string) {}

  peek(ahead = 0): Token {
    while (this.lookahead.length <= ahead) this.lookahead.push(this.scan());
    return this.lookahead[ahead];
  }

  next(): Token {
    const token = this.peek();
    this.lookahead.shift();
    return token;
  }

  private scan(): Token {
    const { text } = this;
    WHITESPACE.lastIndex = this.offset;
    if (WHITESPACE.test(text)) this.offset = WHITESPACE.lastIndex;
    const start = this.offset;
    if (start >= text.length) return { kind: 'end', text: '', position: start };

    const char = text[start];
    if (char === "'" || char === '"') return this.scanString(start, char);
    if (char >= '0' && char <= '9') return this.scanNumber(start);
    IDENTIFIER.lastIndex = start;
    if (IDENTIFIER.test(text)) return this.token('identifier', start, IDENTIFIER.lastIndex);
    const pair = text.slice(start, start + 2);
    if (TWO_CHAR_PUNCTUATION.has(pair)) return this.token('punctuation', start, start + 2);
    if (ONE_CHAR_PUNCTUATION.has(char)) return this.token('punctuation', start, start + 1);
    throw new QuerySyntaxError(text, start, `unexpected character ${describeCharacter(text, start)}`);
  }

  private token(kind: 'identifier' | 'punctuation', start: number, end: number): Token {
    this.offset = end;
    return { kind, text: this.text.slice(start, end), position: start };
  }

  private scanNumber(start: number): Token {
    const { text } = this;
    NUMBER.lastIndex = start;
    NUMBER.test(text);
    let end = NUMBER.lastIndex;
    NUMBER_TAIL.lastIndex = end;
    if (NUMBER_TAIL.test(text)) {
      end = NUMBER_TAIL.lastIndex;
      throw new QuerySyntaxError(text, start, `malformed number '${text.slice(start, end)}'`);
    }
    const raw = text.slice(start, end);
    const value = /^0[xX]/.test(raw) ? parseInt(raw.slice(2), 16) : Number(raw);
    if (!Number.isFinite(value)) throw new QuerySyntaxError(text, start, `number '${raw}' is out of range`);
    this.offset = end;
    return { kind: 'number', text: raw, position: start, value };
  }

  private scanString(start: number, quote: string): Token {
    const { text } = this;
    let value = '';
    let i = start + 1;
    for (;;) {
      if (i >= text.length) throw new QuerySyntaxError(text, start, 'unterminated string literal');
      const char = text[i];
      if (char === quote) break;
      if (char !== '\\') {
        value += char;
        i += 1;
        continue;
      }
      const escape = text[i + 1];
      if (escape === undefined) throw new QuerySyntaxError(text, start, 'unterminated string literal');
      if (escape === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new QuerySyntaxError(text, i, `invalid unicode escape '\\u${hex}' (expected 4 hexadecimal digits)`);
        }
        value += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      const replacement = SIMPLE_ESCAPES.get(escape);
      if (replacement === undefined) {
        throw new QuerySyntaxError(text, i, `invalid escape sequence '\\${escape}' in string literal`);
      }
      value += replacement;
      i += 2;
    }
    this.offset = i + 1;
    return { kind: 'string', text: text.slice(start, i + 1), position: start, value };
  }
}

function describeCharacter(text: string, position: number): string {
  const codePoint = text.codePointAt(position) ?? 0;
  const char = String.fromCodePoint(codePoint);
  // Control and invisible characters are unreadable when quoted; name them instead.
  return /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char) ? `'${char}'` : `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}
