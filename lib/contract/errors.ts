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
