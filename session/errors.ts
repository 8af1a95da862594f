/**
 * @fileoverview TF1's run-time error classes (tensorflow/python/framework/errors_impl.py),
 * shared by the reference Session and the wasm Session so both raise the same types and
 * messages. Each carries the node name and the `.tfg` location of the node that failed.
 */

/** A plain, serialisable source location (`file:line:col`). */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
  endLine?: number;
  endCol?: number;
}

export function formatSourceLocation(l: SourceLocation | null | undefined): string {
  return l ? `${l.file}:${l.line}:${l.col}` : '<unknown>';
}

export class OpError extends Error {
  /** TF1 error code name, e.g. INVALID_ARGUMENT. */
  readonly code: string = 'UNKNOWN';
  constructor(
    /** TF1's message, without the location suffix. */
    readonly tfMessage: string,
    readonly nodeName: string | null = null,
    readonly location: SourceLocation | null = null,
  ) {
    super(
      location
        ? `${tfMessage}\n  [[node ${nodeName ?? '?'} (defined at ${formatSourceLocation(location)})]]`
        : nodeName
          ? `${tfMessage}\n  [[node ${nodeName}]]`
          : tfMessage,
    );
  }
  override get name(): string {
    return this.constructor.name;
  }
}

export class InvalidArgumentError extends OpError {
  override readonly code = 'INVALID_ARGUMENT';
}
export class FailedPreconditionError extends OpError {
  override readonly code = 'FAILED_PRECONDITION';
}
export class NotFoundError extends OpError {
  override readonly code = 'NOT_FOUND';
}
export class OutOfRangeError extends OpError {
  override readonly code = 'OUT_OF_RANGE';
}
export class UnimplementedError extends OpError {
  override readonly code = 'UNIMPLEMENTED';
}
export class InternalError extends OpError {
  override readonly code = 'INTERNAL';
}
export class ResourceExhaustedError extends OpError {
  override readonly code = 'RESOURCE_EXHAUSTED';
}
export class DataLossError extends OpError {
  override readonly code = 'DATA_LOSS';
}

/** Python-side errors TF1 raises before anything runs (bad fetch or feed structure). */
export class TypeError_ extends Error {
  override name = 'TypeError';
}
export class ValueError extends Error {
  override name = 'ValueError';
}

/** Python's RuntimeError, raised by TF1's Session when closed or its graph is empty. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}
