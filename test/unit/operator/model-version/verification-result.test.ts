import { describe, expect, it } from 'vitest';
import {
  encodeFailure,
  encodeVerified,
  parseTerminationMessage,
  type Verified,
} from '../../../../operator/controllers/model-version/verification-result.ts';
import { A_VERIFIED_RESULT as verified } from '../../gen/model-version.ts';

describe('verification results in the termination message', () => {
  it('round-trips a verified artifact and a failure', () => {
    expect(parseTerminationMessage(encodeVerified(verified), 'x')).toEqual(verified);
    expect(
      parseTerminationMessage(
        encodeFailure('DigestMismatch', 'the bytes do not match\nsecond line'),
        '2026-01-01T00:00:00Z',
      ),
    ).toEqual({
      ok: false,
      reason: 'DigestMismatch',
      message: 'the bytes do not match second line',
      at: '2026-01-01T00:00:00Z',
    });
  });

  it('fits a large signature and metrics into 4096 bytes and says so', () => {
    const big: Verified = {
      ...verified,
      metrics: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`metric_${i}`, i / 7])),
      signature: {
        inputs: Array.from({ length: 64 }, (_, i) => ({
          name: `input_${i}`,
          type: 'float32',
          shape: ['batch', 3, 224, 224],
        })),
        outputs: verified.signature.outputs,
      },
    };
    const text = encodeVerified(big);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    const back = parseTerminationMessage(text, 'x') as Verified;
    expect(back.truncated).toBe(true);
    expect(back.signature.outputs[0]?.name).toBe('y');
  });

  it('ignores messages in neither form', () => {
    expect(parseTerminationMessage(undefined, 'x')).toBeUndefined();
    expect(parseTerminationMessage('Segmentation fault', 'x')).toBeUndefined();
    expect(parseTerminationMessage('{"ok":false}', 'x')).toBeUndefined();
  });
});
