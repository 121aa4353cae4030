// A Server-Sent Events parser (the text/event-stream format of the HTML
// standard), fed with text as it arrives. The mini-program runtime has no
// EventSource; live.js feeds this from a chunked wx.request.

/**
 * SSEParser calls onEvent({event, data, id}) for every complete event in
 * the text pushed to it, whatever the chunk boundaries. Comment lines
 * (": ping") are skipped; "retry:" sets retry (milliseconds).
 */
class SSEParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buf = '';
    this.event = '';
    this.data = [];
    this.lastId = '';
    this.retry = 0;
    this.sawCR = false;
  }

  /** push parses text, a piece of the stream. */
  push(text) {
    let s = text;
    // A CR at the end of the previous piece may be the first half of CRLF.
    if (this.sawCR && s.charAt(0) === '\n') s = s.slice(1);
    this.sawCR = s.charAt(s.length - 1) === '\r';
    this.buf += s;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  line(line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.charAt(0) === ':') return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charAt(0) === ' ') value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && value.indexOf('\0') < 0) this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }

  dispatch() {
    if (this.data.length) this.onEvent({ event: this.event || 'message', data: this.data.join('\n'), id: this.lastId });
    this.event = '';
    this.data = [];
  }
}

module.exports = { SSEParser };
