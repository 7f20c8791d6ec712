// What the Dataset controller refuses before it renders a CronJob or starts a Job: what the API
// server cannot check (CEL cannot see the namespace; it accepts any IANA-shaped time zone name and
// any five fields of cron characters) and whatever else the data jobs would refuse, so that no Job
// is ever started with a spec it fails on. Pure; the first problem in spec order.
import { DATA_JOB_REASONS, parseDatasetSpec } from '../../../images/data-jobs/job-contract.ts';
import { UserError } from '../../../lib/contract/errors.ts';
import { checkSchedule, checkTimeZone } from '../../../lib/dataset/schedule.ts';
import {
  LOCATION_PROBLEMS,
  type LocationScope,
  type LocationSpec,
  locate,
} from '../../../lib/store/location.ts';
import { DEFAULT_TIME_ZONE } from '../../api/common.ts';
import type { Dataset } from '../../api/dataset.ts';

/** The reasons of a failed check: Ready=False with the check's message, no CronJob, no Job. */
export const SPEC_CHECK_REASONS = {
  /**
   * spec.collection or spec.snapshot: a schedule cron-parser cannot read (a field out of range, an
   * unknown name, a day that never comes such as "0 0 30 2 *") or a time zone this runtime does not know.
   */
  ScheduleInvalid: DATA_JOB_REASONS.ScheduleInvalid,
  /**
   * spec.gold, an s3 source or a postgres source's images that is not s3://<bucket>/<prefix>/ of
   * valid key segments (no "//", no leading "/", no "..", no "%"), an endpoint that is not a URL,
   * or an http source's URL that is not one.
   */
  LocationInvalid: 'LocationInvalid',
  /** A location in the operator's bucket outside the namespace's own prefixes (imports/<ns>/, datasets/<ns>/, ...). */
  LocationOutsideNamespace: 'LocationOutsideNamespace',
  /** A location in another bucket or store without its credentialsSecret. */
  CredentialsRequired: DATA_JOB_REASONS.CredentialsRequired,
  /** Anything else the data jobs' reading of the spec refuses (images/data-jobs/job-contract.ts). */
  DatasetSpecInvalid: DATA_JOB_REASONS.DatasetSpecInvalid,
} as const;
const REASONS = SPEC_CHECK_REASONS;

export type SpecCheck = { ok: true } | { ok: false; reason: string; message: string };

const OK: SpecCheck = { ok: true };

/** The API server's default, which the collect job also falls back to. */

const LOCATION_REASONS = {
  [LOCATION_PROBLEMS.invalid]: REASONS.LocationInvalid,
  [LOCATION_PROBLEMS.outsideNamespace]: REASONS.LocationOutsideNamespace,
  [LOCATION_PROBLEMS.credentialsRequired]: REASONS.CredentialsRequired,
} as const;

function checkLocations(dataset: Dataset, operatorBucket: string): SpecCheck {
  const tenancy = { namespace: dataset.metadata.namespace as string, operatorBucket };
  const check = (field: string, location: LocationSpec | undefined, scope: LocationScope): SpecCheck => {
    if (!location) return OK;
    const located = locate(field, location, scope, tenancy);
    return located.ok
      ? OK
      : { ok: false, reason: LOCATION_REASONS[located.problem], message: located.message };
  };
  const gold = check('spec.gold', dataset.spec.gold, 'prefix');
  if (!gold.ok) return gold;
  for (const [i, source] of (dataset.spec.sources ?? []).entries()) {
    const field = `spec.sources[${i}]`;
    // The images' keys come from the rows and are checked one by one: the inference server logs them
    // relative to the bucket root.
    const images = check(`${field}.postgres.images`, source.postgres?.images, 'keyBase');
    if (!images.ok) return images;
    const s3 = check(`${field}.s3`, source.s3, 'prefix');
    if (!s3.ok) return s3;
    for (const [j, { url }] of (source.http?.urls ?? []).entries())
      if (!URL.canParse(url))
        return {
          ok: false,
          reason: REASONS.LocationInvalid,
          message: `${field}.http.urls[${j}].url ${JSON.stringify(url)} is not a URL`,
        };
  }
  return OK;
}

function checkSchedules(dataset: Dataset): SpecCheck {
  const { collection, snapshot } = dataset.spec;
  try {
    if (collection)
      checkSchedule({
        field: 'spec.collection',
        cron: collection.schedule,
        timeZone: collection.timeZone ?? DEFAULT_TIME_ZONE,
      });
    const timeZone = snapshot?.timeZone ?? DEFAULT_TIME_ZONE;
    if (snapshot?.schedule) checkSchedule({ field: 'spec.snapshot', cron: snapshot.schedule, timeZone });
    // Read only with a schedule, but a zone that does not exist is a mistake all the same.
    else checkTimeZone(timeZone, 'spec.snapshot');
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { ok: false, reason: REASONS.ScheduleInvalid, message: error.message };
  }
  return OK;
}

/** The data jobs' own reading of the spec, as they are given it (the stored spec as JSON). */
function checkAsTheJobsReadIt(dataset: Dataset): SpecCheck {
  try {
    parseDatasetSpec(JSON.stringify(dataset.spec));
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { ok: false, reason: REASONS.DatasetSpecInvalid, message: error.message };
  }
  return OK;
}

/** The first problem of the Dataset's spec that the API server let through, in spec order. */
export function checkDatasetSpec(dataset: Dataset, operatorBucket: string): SpecCheck {
  for (const check of [
    () => checkLocations(dataset, operatorBucket),
    () => checkSchedules(dataset),
    () => checkAsTheJobsReadIt(dataset),
  ]) {
    const result = check();
    if (!result.ok) return result;
  }
  return OK;
}
