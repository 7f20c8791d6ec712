// Schema pieces shared by the four resources: names, references, conditions, resources, S3
// locations, schedules. Each is defined once here and imported, so a rule fixed here is fixed
// everywhere.
import { type Static, Type } from '@sinclair/typebox';
import {
  celString,
  type Described,
  IntOrString,
  listMap,
  matches,
  rules,
  StringEnum,
  StringMap,
  type ValidationRule,
} from './schema.ts';

// Regular expressions (RE2, as CEL runs them).
export const DNS_LABEL_REGEX = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_SUBDOMAIN_REGEX = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const SHA256_REGEX = '^[a-f0-9]{64}$';
export const S3_URI_REGEX = '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$';
/** Snapshot versions are the UTC time the snapshot stands for, so they sort by time. */
export const SNAPSHOT_VERSION_REGEX = '^[0-9]{8}-[0-9]{6}$';
export const CRON_REGEX =
  '^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9A-Za-z*?/,-]+( +[0-9A-Za-z*?/,-]+){4})$';
export const TIME_ZONE_REGEX = '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$';

/** The variants of every snapshot: gold plus verified items, and gold plus every item. */
export const SNAPSHOT_VARIANTS = ['verified', 'full'] as const;

const DNS_LABEL_MESSAGE =
  'must consist of lowercase letters, digits and "-", and start and end with a letter or digit';

/** A name that is also a DNS label: used in object names, labels and store keys. */
export function DnsLabel(options: Described & { maxLength: number }, ...extra: ValidationRule[]) {
  return Type.String({
    minLength: 1,
    ...options,
    ...rules(matches(DNS_LABEL_REGEX, DNS_LABEL_MESSAGE), ...extra),
  });
}

/** The name of a Kubernetes object in the same namespace (a DNS subdomain). */
export function ObjectName(options: Described) {
  return Type.String({
    minLength: 1,
    maxLength: 253,
    ...options,
    ...rules(
      matches(
        DNS_SUBDOMAIN_REGEX,
        'must be a Kubernetes object name: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
      ),
    ),
  });
}

/** A model's name, shared by its ModelVersions (`<model>-v<version>`), so short enough for labels. */
export function ModelName(description: string, ...extra: ValidationRule[]) {
  return DnsLabel({ description, maxLength: 50 }, ...extra);
}

export function SecretReference(description: string) {
  return Type.Object(
    { name: ObjectName({ description: 'Name of the Secret, in the same namespace.' }) },
    { description },
  );
}
export type SecretReference = Static<ReturnType<typeof SecretReference>>;

/** A Secret holding a PostgreSQL connection: one fixed key, so that nothing needs a default. */
export function PostgresConnectionSecret(description: string) {
  return SecretReference(
    `${description} Its key url holds a libpq connection URI, e.g. postgres://user:<password>@db:5432/shop?sslmode=require.`,
  );
}

/** A metav1.Condition, with the same bounds and patterns as upstream. */
export const Condition = Type.Object(
  {
    type: Type.String({
      description: 'Type of the condition in CamelCase, e.g. Ready.',
      maxLength: 316,
      pattern:
        '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: StringEnum(['True', 'False', 'Unknown'], { description: 'Status of the condition.' }),
    observedGeneration: Type.Optional(
      Type.Integer({
        description: 'The metadata.generation the condition was computed from.',
        format: 'int64',
        minimum: 0,
      }),
    ),
    lastTransitionTime: Type.String({
      description: 'When the status last changed (not when the condition was last written).',
      format: 'date-time',
    }),
    reason: Type.String({
      description: 'Why the condition has its status: a CamelCase word a program can test, e.g. JobFailed.',
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: Type.String({ description: 'What happened, for a person.', maxLength: 32768 }),
  },
  { description: "One aspect of the resource's state (metav1.Condition)." },
);
export type Condition = Static<typeof Condition>;

export function Conditions(description: string) {
  return Type.Array(Condition, { description, maxItems: 32, ...listMap(['type']) });
}

export const ObservedGeneration = Type.Integer({
  description: 'The metadata.generation of the spec this status was computed from.',
  format: 'int64',
  minimum: 0,
});

export function Timestamp(description: string) {
  return Type.String({ description, format: 'date-time', maxLength: 64 });
}

export function Sha256(description: string) {
  return Type.String({
    description,
    maxLength: 64,
    ...rules(matches(SHA256_REGEX, 'must be a sha256 digest: 64 lowercase hexadecimal characters')),
  });
}

const s3UriRules = [
  matches(
    S3_URI_REGEX,
    'must be an S3 URI such as s3://bucket/path/ (bucket: 3-63 lowercase letters, digits, "." and "-")',
  ),
  {
    rule: `!self.matches(r'/[.][.]?(/|$)')`,
    message: 'must not contain "." or ".." path segments',
  },
];

export function S3Uri(description: string) {
  return Type.String({ description, minLength: 1, maxLength: 1024, ...rules(...s3UriRules) });
}

/** The properties of an S3 location, to spread into an object that adds its own. */
export const s3LocationProperties = {
  uri: S3Uri(
    "S3 URI of the prefix, e.g. s3://bosun/imports/team/gold/pets/. In the operator's bucket it must lie under this namespace's own prefixes (imports/<namespace>/, datasets/<namespace>/, ...).",
  ),
  endpoint: Type.Optional(
    Type.String({
      description:
        "Base URL of another S3-compatible store, e.g. https://s3.eu-west-1.amazonaws.com. Default: the operator's own store.",
      maxLength: 512,
      ...rules(
        matches(
          '^https?://[^/?#\\s]+/?$',
          'must be the base URL of an S3-compatible store, e.g. https://s3.eu-west-1.amazonaws.com',
        ),
      ),
    }),
  ),
  credentialsSecret: Type.Optional(
    SecretReference(
      "Secret with the keys accessKeyId and secretAccessKey for this location. Default: the operator's store credentials.",
    ),
  ),
};

export function S3Location(description: string) {
  return Type.Object(s3LocationProperties, { description });
}
export type S3Location = Static<ReturnType<typeof S3Location>>;

/** A manifest written to the store: where it is and the digest that proves its bytes. */
export function ManifestReference(description: string) {
  return Type.Object(
    {
      uri: S3Uri('S3 URI of the manifest (JSON lines, gzip).'),
      sha256: Sha256('sha256 of the manifest file.'),
    },
    { description },
  );
}

export function CronSchedule(description: string) {
  return Type.String({
    description,
    minLength: 1,
    maxLength: 128,
    ...rules(
      {
        rule: `!self.contains('TZ')`,
        message: 'must not set a time zone (CRON_TZ or TZ); set timeZone instead',
      },
      {
        rule: `self.contains('TZ') || self.matches(${celString(CRON_REGEX)})`,
        message:
          'must be a cron schedule of five fields (minute hour day-of-month month day-of-week), e.g. "0 2 * * *", or one of @hourly, @daily, @weekly, @monthly, @yearly',
      },
    ),
  });
}

/** The time zone a schedule is read in when none is given. */
export const DEFAULT_TIME_ZONE = 'Etc/UTC';

export function TimeZone(description: string) {
  return Type.String({
    description,
    default: DEFAULT_TIME_ZONE,
    maxLength: 64,
    ...rules(matches(TIME_ZONE_REGEX, 'must be an IANA time zone name, e.g. Etc/UTC or Europe/Berlin')),
  });
}

/** A resource quantity: `2`, `500m`, `512Mi`, `4Gi`. */
export const Quantity = IntOrString({
  description: 'A quantity, e.g. 2, 500m, 512Mi or 4Gi.',
  maxLength: 64,
  ...rules(
    {
      rule: 'type(self) == int || isQuantity(self)',
      message: 'must be a quantity, e.g. 2, 500m, 512Mi or 4Gi',
    },
    {
      // A malformed quantity is reported by the rule above.
      rule: "type(self) == int ? self >= 0 : !isQuantity(self) || quantity(self).compareTo(quantity('0')) >= 0",
      message: 'must not be negative',
    },
  ),
});

export function ResourceRequirements(description: string) {
  const amounts = (what: string) =>
    Type.Optional(
      StringMap(Quantity, {
        description: `${what}, by resource name (cpu, memory, ephemeral-storage, nvidia.com/gpu, ...).`,
        maxProperties: 16,
      }),
    );
  return Type.Object(
    {
      requests: amounts('Amounts the Pod is guaranteed and scheduled by'),
      limits: amounts('Amounts the Pod may not exceed'),
    },
    {
      description,
      ...rules({
        // A malformed quantity is reported by its own rule; skip it here rather than fail with a CEL error.
        rule: '!has(self.requests) || !has(self.limits) || self.requests.all(r, !(r in self.limits) || !isQuantity(string(self.requests[r])) || !isQuantity(string(self.limits[r])) || quantity(string(self.requests[r])).compareTo(quantity(string(self.limits[r]))) <= 0)',
        message: 'a request must not exceed the limit for the same resource',
      }),
    },
  );
}
export type ResourceRequirements = Static<ReturnType<typeof ResourceRequirements>>;

export function NodeSelector(description: string) {
  return Type.Optional(
    StringMap(Type.String({ description: 'Label value.', maxLength: 63 }), {
      description,
      maxProperties: 32,
    }),
  );
}

export const Toleration = Type.Object(
  {
    key: Type.Optional(
      Type.String({
        description: 'Taint key to tolerate; empty with Exists tolerates every taint.',
        maxLength: 316,
      }),
    ),
    // No schema default inside a list item: client-side apply replaces whole lists, so a default
    // there would show as a change on every apply. The Pod API defaults it to Equal.
    operator: Type.Optional(
      StringEnum(['Exists', 'Equal'], {
        description: 'Equal (when omitted) matches the taint value; Exists matches any value.',
      }),
    ),
    value: Type.Optional(Type.String({ description: 'Taint value to match (with Equal).', maxLength: 63 })),
    effect: Type.Optional(
      StringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], {
        description: 'Taint effect to tolerate; empty tolerates every effect.',
      }),
    ),
    tolerationSeconds: Type.Optional(
      Type.Integer({
        description: 'With NoExecute: how long the Pod stays bound after the taint appears.',
        format: 'int64',
        minimum: 0,
      }),
    ),
  },
  {
    description: 'A toleration, as in a Pod spec.',
    // What the Pod API refuses, refused here already rather than when the Pod is created.
    ...rules(
      {
        rule: "!has(self.operator) || self.operator != 'Exists' || !has(self.value) || self.value == ''",
        message: 'a toleration with operator Exists must not set value',
      },
      {
        rule: "(has(self.key) && self.key != '') || (has(self.operator) && self.operator == 'Exists')",
        message: 'a toleration without key tolerates every taint and must use operator Exists',
      },
      {
        rule: "!has(self.tolerationSeconds) || (has(self.effect) && self.effect == 'NoExecute')",
        message: 'tolerationSeconds applies only to effect NoExecute',
        fieldPath: '.tolerationSeconds',
        reason: 'FieldValueForbidden',
      },
    ),
  },
);

export function Tolerations(description: string) {
  return Type.Optional(Type.Array(Toleration, { description, maxItems: 32 }));
}

const KeyReference = (what: string) =>
  Type.Object(
    {
      name: ObjectName({ description: `Name of the ${what}, in the same namespace.` }),
      key: Type.String({ description: `Key in the ${what}.`, minLength: 1, maxLength: 253 }),
    },
    { description: `A key of a ${what} in the same namespace.` },
  );

export const EnvVar = Type.Object(
  {
    name: Type.String({
      description: 'Name of the variable.',
      minLength: 1,
      maxLength: 256,
      ...rules(
        matches(
          '^[-._a-zA-Z][-._a-zA-Z0-9]*$',
          'must be letters, digits, "_", "-" and ".", not starting with a digit',
        ),
        {
          rule: "!self.startsWith('BOSUN_')",
          message: 'names starting with BOSUN_ are reserved for the variables the operator sets',
        },
      ),
    }),
    value: Type.Optional(
      Type.String({
        description: 'The value. For credentials use valueFrom.secretKeyRef.',
        maxLength: 32768,
      }),
    ),
    valueFrom: Type.Optional(
      Type.Object(
        {
          secretKeyRef: Type.Optional(KeyReference('Secret')),
          configMapKeyRef: Type.Optional(KeyReference('ConfigMap')),
        },
        {
          description: 'Take the value from a Secret or a ConfigMap.',
          ...rules({
            rule: 'has(self.secretKeyRef) != has(self.configMapKeyRef)',
            message: 'valueFrom must set exactly one of secretKeyRef or configMapKeyRef',
          }),
        },
      ),
    ),
  },
  {
    description: 'An environment variable of the container.',
    ...rules({
      rule: '!(has(self.value) && has(self.valueFrom))',
      message: 'set value or valueFrom, not both',
    }),
  },
);

export function EnvVars(description: string) {
  return Type.Optional(Type.Array(EnvVar, { description, maxItems: 64, ...listMap(['name']) }));
}

/** Numbers by name, e.g. {accuracy: 0.93, loss: 0.21}: what a training writes to metrics.json. */
export function Metrics(description: string) {
  return StringMap(Type.Number({ description: 'Value of the metric.' }), { description, maxProperties: 256 });
}

export const STAGES = ['none', 'dev', 'staging', 'production', 'archived'] as const;
export type Stage = (typeof STAGES)[number];
export const SERVING_STAGES = ['dev', 'staging', 'production'] as const;

export function ServingStage(description: string) {
  return StringEnum(SERVING_STAGES, { description });
}

export function ModelVersionNumber(description: string, ...extra: ValidationRule[]) {
  return Type.Integer({ description, minimum: 1, maximum: 999999, ...(extra.length ? rules(...extra) : {}) });
}
