/**
 * @fileoverview Source files and spans. A span is a half-open range of character offsets
 * into one source file; line and column are computed only when a diagnostic is printed.
 */

export class SourceFile {
  private lineStarts: number[] | null = null;
  constructor(
    readonly name: string,
    readonly text: string,
  ) {}

  /** 1-based line and column of a character offset. */
  lineCol(offset: number): { line: number; col: number } {
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo] + 1 };
  }

  /** Text of a 1-based line, without its line break. */
  lineText(line: number): string {
    const starts = this.starts();
    const s = starts[line - 1] ?? this.text.length;
    let e = starts[line] ?? this.text.length;
    while (e > s && (this.text[e - 1] === '\n' || this.text[e - 1] === '\r')) e--;
    return this.text.slice(s, e);
  }

  get lineCount(): number {
    return this.starts().length;
  }

  private starts(): number[] {
    if (!this.lineStarts) {
      const st = [0];
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) st.push(i + 1);
      this.lineStarts = st;
    }
    return this.lineStarts;
  }
}

export interface Span {
  file: SourceFile;
  /** Offset of the first character. */
  start: number;
  /** Offset one past the last character. */
  end: number;
}

export function span(file: SourceFile, start: number, end: number): Span {
  return { file, start, end: Math.max(start, end) };
}

/** The smallest span covering both. */
export function joinSpans(a: Span | null | undefined, b: Span | null | undefined): Span | null {
  if (!a) return b ?? null;
  if (!b) return a;
  if (a.file !== b.file) return a;
  return { file: a.file, start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** `file:line:col` of a span's start. */
export function formatLocation(s: Span | null | undefined): string {
  if (!s) return '<unknown>';
  const { line, col } = s.file.lineCol(s.start);
  return `${s.file.name}:${line}:${col}`;
}

/** Plain, serialisable form of a span (for manifests and error objects crossing to session/). */
export interface SpanInfo {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export function spanInfo(s: Span | null | undefined): SpanInfo | null {
  if (!s) return null;
  const a = s.file.lineCol(s.start);
  const b = s.file.lineCol(s.end);
  return { file: s.file.name, line: a.line, col: a.col, endLine: b.line, endCol: b.col };
}
