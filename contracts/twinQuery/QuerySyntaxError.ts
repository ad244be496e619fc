/**
 * Every rejected query text, whether malformed (unexpected token, bad literal) or well-formed but
 * outside what IoT Hub accepts (FROM devices.modules, a projection missing from GROUP BY). IoT Hub
 * answers both with the same 400, so callers need a single type to map.
 */
export class QuerySyntaxError extends Error {
  /** 1-based line of `position`. */
  readonly line: number;
  /** 1-based column of `position`, in UTF-16 code units like the rest of JavaScript. */
  readonly column: number;

  constructor(
    text: string,
    /** 0-based offset into the query text. */
    readonly position: number,
    detail: string,
  ) {
    const { line, column } = lineAndColumn(text, position);
    super(`Syntax error at line ${line}, column ${column}: ${detail}`);
    this.name = 'QuerySyntaxError';
    this.line = line;
    this.column = column;
  }
}

/** The 1-based line and column (in UTF-16 code units) of a 0-based offset into a text. */
export function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  return { line: before.split('\n').length, column: position - (before.lastIndexOf('\n') + 1) + 1 };
}
