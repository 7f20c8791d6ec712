// When an integration test fails, print the tail of every component's log next to the failure,
// because the environment (and its logs) is removed at the end of the run.
import { afterEach, inject } from 'vitest';
import { logTails } from '../cluster/environment.ts';

afterEach((context) => {
  if (context.task.result?.state === 'fail') {
    console.error(`component logs for "${context.task.name}":\n${logTails(inject('environment'))}`);
  }
});
