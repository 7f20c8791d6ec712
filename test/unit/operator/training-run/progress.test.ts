import { describe, expect, it } from 'vitest';
import { parseProgress } from '../../../../operator/controllers/training-run/progress.ts';
import { aProgressLine } from '../../gen/training-run.ts';
import { statusSchemaErrors } from './status-schema.ts';

const AT = '2026-02-01T00:10:15Z';
const log = (...lines: string[]) => `${lines.join('\n')}\n`;

describe("a trainer's progress, read from its log", () => {
  it('is the epoch, the numbers and the message of a pino progress line', () => {
    const line = aProgressLine({
      epoch: 3,
      epochs: 10,
      loss: 0.41,
      validationLoss: 0.52,
      itemsPerSecond: 850,
    });
    expect(parseProgress(log(line), AT)).toEqual({
      message: 'training',
      epoch: 3,
      // level, time and pid are pino's, not the trainer's; strings are not metrics.
      metrics: { epochs: 10, loss: 0.41, validationLoss: 0.52, itemsPerSecond: 850 },
      updatedAt: AT,
    });
  });

  it('is an iteration for the algorithms that count them', () => {
    expect(parseProgress(aProgressLine({ iteration: 40, loss: 0.3 }, 'fitting'), AT)).toEqual({
      message: 'fitting',
      iteration: 40,
      metrics: { loss: 0.3 },
      updatedAt: AT,
    });
  });

  it('is the newest line with an epoch or an iteration; later lines without one do not count', () => {
    const text = log(
      aProgressLine({ epoch: 1, loss: 0.9 }),
      aProgressLine({ epoch: 2, loss: 0.7 }),
      aProgressLine({ rows: 600 }, 'read the snapshot'),
      aProgressLine({ epoch: 3, loss: 0.5 }),
      aProgressLine({ bytes: 1234 }, 'wrote model.onnx'),
    );
    expect(parseProgress(text, AT)?.epoch).toBe(3);
    expect(parseProgress(text, AT)?.metrics).toEqual({ loss: 0.5 });
  });

  it('ignores what is not a progress line', () => {
    const text = log(
      aProgressLine({ epoch: 2, loss: 0.7 }),
      'Error: something printed by a library',
      '{"epoch": 4, "truncated',
      '  {"epoch": 5}',
      '[1, 2, 3]',
      aProgressLine({ epoch: -1 }),
      aProgressLine({ epoch: 2.5 }),
      aProgressLine({ epoch: '6' }),
      aProgressLine({ iteration: 1e300 }),
      '',
    );
    expect(parseProgress(text, AT)?.epoch).toBe(2);
    expect(parseProgress(log('plain text', 'no JSON here'), AT)).toBeUndefined();
    expect(parseProgress('', AT)).toBeUndefined();
  });

  it('keeps the numbers finite and bounded, and the message short', () => {
    const many = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`m${String(i).padStart(2, '0')}`, i]),
    );
    const progress = parseProgress(aProgressLine({ epoch: 1, ...many }, 'x'.repeat(1000)), AT);
    expect(Object.keys(progress?.metrics ?? {})).toHaveLength(16);
    expect(progress?.message).toHaveLength(256);
    // JSON has no NaN or Infinity; a huge number is finite and kept.
    expect(parseProgress(aProgressLine({ epoch: 1, loss: 1e308 }), AT)?.metrics).toEqual({ loss: 1e308 });
    expect(statusSchemaErrors({ progress })).toEqual([]);
  });

  it('without a message says training', () => {
    expect(parseProgress(JSON.stringify({ epoch: 7 }), AT)).toEqual({
      message: 'training',
      epoch: 7,
      updatedAt: AT,
    });
  });

  it('reads a log with Windows line ends', () => {
    expect(
      parseProgress(`${aProgressLine({ epoch: 1 })}\r\n${aProgressLine({ epoch: 2 })}\r\n`, AT)?.epoch,
    ).toBe(2);
  });
});
