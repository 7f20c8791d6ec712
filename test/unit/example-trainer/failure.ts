// The reason and message of the example trainer's UserError that `f` throws.
import { UserError } from '../../e2e/images/example-trainer/errors.ts';

export function failure(f: () => unknown): [string, string] {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return [e.reason, e.message];
    throw e;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}
