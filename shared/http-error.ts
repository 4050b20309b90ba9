/**
 * An error that becomes an HTTP response with a one-line reason. Anything else thrown while
 * answering a request is logged and answered 500 without details.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (reason: string) => new HttpError(400, reason);
export const notFound = (reason: string) => new HttpError(404, reason);
