/**
 * An incremental parser of text/event-stream (the WHATWG rules this server's stream uses:
 * `event:` and `data:` lines, blank line ends an event, `:` lines are comments). EventSource
 * cannot send an Authorization header, so the console reads the stream with fetch and feeds the
 * text here. DOM-free (unit-tested in Node).
 */
export interface StreamEvent {
  event: string;
  data: string;
}

export class EventStreamParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  /** Takes the next piece of text (any split: mid-line, mid-event) and returns the events it completes. */
  feed(text: string): StreamEvent[] {
    this.buffer += text;
    const events: StreamEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      if (end < 0) break;
      // A lone \r at the very end may be the first half of \r\n: wait for the next piece.
      if (this.buffer[end] === '\r' && end === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      const complete = this.line(line);
      if (complete) events.push(complete);
    }
    return events;
  }

  private line(line: string): StreamEvent | undefined {
    if (line === '') {
      const complete = this.data.length > 0 ? { event: this.event || 'message', data: this.data.join('\n') } : undefined;
      this.event = '';
      this.data = [];
      return complete;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') this.event = value;
    else if (name === 'data') this.data.push(value);
    return undefined;
  }
}
