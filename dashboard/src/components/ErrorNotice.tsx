import { ApiError } from '../api/apiClient';

/** Why something could not be loaded or done; a missing or wrong key says how to open the page. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const text =
    error instanceof ApiError && error.unauthorized
      ? 'The API refused the function key: open the dashboard with ?code=<function key>.'
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <p class="error-notice" role="alert">
      {text}
    </p>
  );
}
