// The one error type for problems a user can cause and fix (bad configuration, bad data). Its
// message is shown as is, without a stack trace; `reason` is a CamelCase word for conditions.
export class UserError extends Error {
  override name = 'UserError';
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * A failure that says nothing about the user's input (a server unreachable, a timeout): a workload
 * exits with its "retry" code and this reason, and its Job tries again.
 */
export class RetryableError extends Error {
  override name = 'RetryableError';
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}
