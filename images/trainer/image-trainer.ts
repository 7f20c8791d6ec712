import { UserError } from '../../lib/contract/errors.ts';
import type { ManifestItem } from '../../lib/store/manifest.ts';
import type { Logger } from './log.ts';
import type { TrainResult } from './outputs.ts';

export async function trainImages(
  _items: ManifestItem[],
  _data: Buffer[],
  _hyperparameters: Record<string, unknown>,
  _log: Logger,
): Promise<TrainResult> {
  throw new UserError('AlgorithmUnknown', 'image classification is not available yet');
}
