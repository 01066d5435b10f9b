/**
 * A path segment whose percent-escapes are not valid UTF-8 (`%ff`, `%c3%28`, a lone `%`) is
 * taken literally: its `%` signs are re-escaped before routing. Without this the router refuses
 * the URL with its own `FST_ERR_BAD_URL` body; with it, `/v1/requests/%ff/status` reaches its
 * route like any other id and gets the same 404001 as an unknown id (SPEC §2), after the key check.
 */
export function literalizeBadEscapes(url: string): string {
  // Well-formed polls have no `%` at all: one scan and out.
  if (!url.includes('%')) return url;
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = queryAt === -1 ? '' : url.slice(queryAt);
  return path.split('/').map(literalizeSegment).join('/') + query;
}

function literalizeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    decodeURIComponent(segment);
    return segment;
  } catch {
    return segment.replaceAll('%', '%25');
  }
}
