// Turns a byte stream into output lines. A line longer than the limit is cut into pieces, so one
// endless line (a progress bar without newlines, a binary dump) can neither hold memory without bound
// nor stall the reader: the stream is always read to the end.
import { StringDecoder } from 'node:string_decoder';

/** Characters one output line carries at most; the rest continues on the next line. */
export const MAX_LINE_CHARS = 8_192;

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxChars = MAX_LINE_CHARS,
  ) {}

  write(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    let start = 0;
    for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
      this.emitLong(text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end));
      start = end + 1;
    }
    this.partial = start === 0 ? text : text.slice(start);
    // An unfinished line past the limit goes out in full pieces now; only the tail waits for more.
    while (this.partial.length > this.maxChars) {
      const cut = this.cutAt(this.partial);
      this.emit(this.partial.slice(0, cut));
      this.partial = this.partial.slice(cut);
    }
  }

  /** The stream ended: an unterminated last line is still a line. */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.emitLong(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  }

  private emitLong(line: string): void {
    let rest = line;
    while (rest.length > this.maxChars) {
      const cut = this.cutAt(rest);
      this.emit(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    this.emit(rest);
  }

  /** Never cuts between the two halves of a surrogate pair. */
  private cutAt(text: string): number {
    const code = text.charCodeAt(this.maxChars - 1);
    return code >= 0xd800 && code <= 0xdbff ? this.maxChars - 1 : this.maxChars;
  }
}
