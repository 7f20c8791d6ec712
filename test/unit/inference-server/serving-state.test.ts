import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../images/inference-server/http-error.ts';
import { DeadlinePassed, withTimeout } from '../../../images/inference-server/serving-state.ts';

describe('withTimeout', () => {
  it('passes the answer through and gives the work its deadline', async () => {
    const before = performance.now();
    let given = 0;
    const answer = await withTimeout(5000, async (deadline) => {
      given = deadline;
      return 42;
    });
    expect(answer).toBe(42);
    expect(given).toBeGreaterThanOrEqual(before + 5000);
    expect(given).toBeLessThan(performance.now() + 5000);
  });

  it('answers 504 when the work outlives the limit', async () => {
    const never = new Promise<number>(() => {});
    const error = await withTimeout(50, () => never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(504);
    expect((error as HttpError).message).toBe(
      "the request did not finish within 0.05 s, the server's time limit",
    );
  });

  it('answers 504 when a step finds the deadline passed before the timer fired', async () => {
    const error = await withTimeout(60_000, async () => {
      throw new DeadlinePassed();
    }).catch((e: unknown) => e);
    expect((error as HttpError).status).toBe(504);
  });

  it('passes the work’s own errors through', async () => {
    const error = await withTimeout(60_000, async () => {
      throw new HttpError(400, 'bad input');
    }).catch((e: unknown) => e);
    expect((error as HttpError).status).toBe(400);
  });
});
