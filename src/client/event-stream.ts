/**
 * A reader of Server-Sent Events (the text/event-stream format of the HTML standard) over a
 * fetch body: `event:` and `data:` lines, several data lines joined by "\n", a blank line ends
 * an event, lines starting with ":" are comments (the server's keep-alives). Only what
 * GET /v1/requests/{id}/stream sends is needed, so `id:` and `retry:` are read and ignored.
 */
export interface ServerSentEvent {
  event: string;
  data: string;
}

export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let afterCarriageReturn = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      // A line ends at CRLF, LF or CR. A chunk that ended on CR already ended its line: the LF
      // that may open the next chunk is the same line end, not a blank line (which ends an event).
      if (afterCarriageReturn && buffer.startsWith('\n')) buffer = buffer.slice(1);
      afterCarriageReturn = buffer.endsWith('\r');
      // The last piece may be incomplete, so it waits for more.
      const lines = buffer.split(/\r\n|\n|\r/);
      buffer = done ? '' : lines.pop()!;
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (done) return; // an event without its blank line is incomplete and dropped, as the standard says
    }
  } finally {
    // Stops the download when the caller stops early (a result arrived, or it threw).
    await reader.cancel().catch(() => {});
  }
}
