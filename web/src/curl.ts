/**
 * "Copy as curl": the submit the Run button makes, as a shell command. The key is written as
 * $MODELGATE_API_KEY so that a pasted command never carries the secret into a chat or a ticket.
 * DOM-free (unit-tested in Node).
 */

/** Quotes for a POSIX shell: single quotes, each ' inside written as '\''. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The model id keeps its slashes in the path (the route is /v1/models/<owner>/<name>/...). */
export function submitPath(modelId: string): string {
  return `/v1/models/${modelId.split('/').map(encodeURIComponent).join('/')}`;
}

export function curlCommand(origin: string, modelId: string, input: unknown): string {
  return [
    `curl -X POST ${shellQuote(origin + submitPath(modelId))}`,
    `  -H "Authorization: Bearer $MODELGATE_API_KEY"`,
    `  -H 'Content-Type: application/json'`,
    `  -d ${shellQuote(JSON.stringify(input))}`,
  ].join(' \\\n');
}
