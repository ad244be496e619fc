import type { ComponentChildren } from 'preact';
import { inputId } from '../model/formProblems';

/** The attributes that tie an input to its label and its problems. */
export function fieldAttributes(path: string, problems: readonly string[] | undefined) {
  const id = inputId(path);
  return {
    id,
    name: path,
    'aria-invalid': problems === undefined ? undefined : ('true' as const),
    'aria-describedby': problems === undefined ? undefined : `${id}-problems`,
  };
}

/** A labelled control with the API's problems for its field beneath it. */
export function FormField(props: {
  path: string;
  label: string;
  problems: readonly string[] | undefined;
  hint?: string;
  children: ComponentChildren;
}) {
  const id = inputId(props.path);
  return (
    <div class={props.problems === undefined ? 'field' : 'field invalid'}>
      <label for={id}>{props.label}</label>
      {props.children}
      {props.hint === undefined ? null : <span class="hint">{props.hint}</span>}
      {props.problems === undefined ? null : (
        <ul id={`${id}-problems`} class="field-problems">
          {props.problems.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
