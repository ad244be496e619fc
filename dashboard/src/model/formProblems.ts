/** A problem of a 400 validationFailed answer: `field` is a path like `firmware.sha256` or `waves[1].percent`. */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface PlacedProblems {
  /** Messages per input path (a form field's `name`). */
  byField: Map<string, string[]>;
  /** Problems no input answers for, with their field named. */
  unplaced: FieldProblem[];
}

/**
 * Puts each problem next to the input it names: the path itself, or its nearest parent that is
 * an input (`target.deviceIds[7]` belongs to the device id list); the rest go to a summary.
 */
export function placeProblems(problems: readonly FieldProblem[], inputs: ReadonlySet<string>): PlacedProblems {
  const byField = new Map<string, string[]>();
  const unplaced: FieldProblem[] = [];
  for (const problem of problems) {
    const input = enclosingPaths(problem.field).find((path) => inputs.has(path));
    if (input === undefined) unplaced.push(problem);
    else byField.set(input, [...(byField.get(input) ?? []), problem.message]);
  }
  return { byField, unplaced };
}

/** `a.b[2].c` → `a.b[2].c`, `a.b[2]`, `a.b`, `a`. */
function enclosingPaths(field: string): string[] {
  const paths = [field];
  let path = field;
  for (;;) {
    const parent = path.replace(/(\[\d+\]|\.[^.[\]]+)$/, '');
    if (parent === path || parent === '') return paths;
    paths.push(parent);
    path = parent;
  }
}

/** An element id for an input path: `waves[1].percent` → `field-waves-1-percent`. */
export function inputId(path: string): string {
  return `field-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '')}`;
}
