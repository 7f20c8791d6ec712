// A problem the user can fix (configuration, data): the program exits 1 and shows the message as
// is, with `reason` as the CamelCase word the TrainingRun's condition carries.
export class UserError extends Error {
  override name = 'UserError';
  readonly reason: string;

  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}
