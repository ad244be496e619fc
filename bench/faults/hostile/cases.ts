/** One hostile input, sent over the wire, and the answer it must get. */
export interface Case<A> {
  /** What is sent, as the table shows it. */
  input: string;
  /** The right answer in words, shown when the real one is not it. */
  expected: string;
  send(): Promise<A>;
  expect(answer: A): boolean;
}

/** An edge of the system (a port and protocol) and the cases thrown at it. */
export interface Edge<A> {
  title: string;
  /** The answer as a table cell. */
  describe(answer: A): string;
  cases: Case<A>[];
}

export interface Row {
  input: string;
  answer: string;
  ok: boolean;
  expected: string;
}

/** A case that gets no answer in this time is recorded as a hang. */
const CASE_TIMEOUT_MS = 20_000;

/** Sends every case of the edge, one at a time, and records what came back. */
export async function runEdge<A>(edge: Edge<A>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const c of edge.cases) {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), CASE_TIMEOUT_MS)));
    try {
      const answer = await Promise.race([c.send(), hang]);
      if (answer === 'hang')
        rows.push({ input: c.input, answer: `no answer within ${CASE_TIMEOUT_MS / 1000} s`, ok: false, expected: c.expected });
      else rows.push({ input: c.input, answer: edge.describe(answer), ok: c.expect(answer), expected: c.expected });
    } catch (error) {
      rows.push({ input: c.input, answer: `the case failed: ${(error as Error).message}`, ok: false, expected: c.expected });
    } finally {
      clearTimeout(timer);
    }
  }
  return rows;
}

export function markdownTable(title: string, rows: Row[]): string {
  const lines = [`### ${title}`, '', '| input | answer | as expected |', '|---|---|---|'];
  for (const row of rows) {
    lines.push(`| ${cell(row.input)} | ${cell(row.answer)} | ${row.ok ? 'yes' : `**no**: expected ${cell(row.expected)}`} |`);
  }
  return lines.join('\n');
}

const MAX_CELL = 400;

function cell(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL)}…` : flat;
}

/** Milliseconds since `start` (a performance.now()), rounded for a table. */
export function since(start: number): number {
  return Math.round(performance.now() - start);
}
