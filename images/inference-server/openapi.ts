// The server's OpenAPI document, served at /docs/json with a browsable page at /docs. The routes
// parse their own bodies (for protocol-style error messages), so the document is written here.
import { DATATYPES } from './datatypes.ts';

const error = {
  description: 'What was wrong, in one sentence.',
  content: {
    'application/json': {
      schema: { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] },
    },
  },
};

const tensor = {
  type: 'object',
  required: ['name', 'shape', 'datatype'],
  properties: {
    name: { type: 'string' },
    shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
    datatype: {
      type: 'string',
      enum: [...DATATYPES],
    },
    parameters: {
      type: 'object',
      properties: {
        binary_data_size: {
          type: 'integer',
          description: 'Binary extension: bytes of this tensor after the JSON header.',
        },
      },
    },
    data: {
      type: 'array',
      description: 'Row-major values, flat or nested; absent with binary_data_size.',
      items: {},
    },
  },
};

const modelPath = (suffix: string) => [
  `/v2/models/{name}${suffix}`,
  `/v2/models/{name}/versions/{version}${suffix}`,
];

const params = (path: string) => [
  { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
  ...(path.includes('{version}')
    ? [{ name: 'version', in: 'path', required: true, schema: { type: 'string' } }]
    : []),
];

const json = (schema: object) => ({ 'application/json': { schema } });

const common = {
  '400': { ...error, description: 'Malformed request; the message names the problem.' },
  '401': { ...error, description: 'Authentication is on and no valid bearer token was sent.' },
  '404': { ...error, description: 'No such model or version on this server.' },
  '413': { ...error, description: 'Body or tensor larger than the server allows.' },
  '415': { ...error, description: 'A Content-Type the route does not take.' },
  '503': {
    ...error,
    description: 'Loading, shutting down, or at a concurrency limit (see Retry-After).',
  },
  '504': { ...error, description: 'Not finished within the time limit.' },
};

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/v2/health/live': {
      get: {
        tags: ['health'],
        summary: 'Liveness',
        responses: { '200': { description: 'The process serves HTTP.' } },
      },
    },
    '/v2/health/ready': {
      get: {
        tags: ['health'],
        summary: 'Readiness: the model is loaded and warm',
        responses: { '200': { description: 'Ready.' }, '503': error },
      },
    },
    '/v2': {
      get: {
        tags: ['metadata'],
        summary: 'Server metadata and protocol extensions',
        responses: { '200': { description: 'name, version, extensions' } },
      },
    },
    '/metrics': {
      get: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        responses: { '200': { description: 'Text exposition format.' } },
      },
    },
    '/v2/models/{name}/predictions/{id}/feedback': {
      post: {
        tags: ['feedback'],
        summary: 'Record the true label of a logged prediction and mark it verified',
        parameters: [...params(''), { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: json({ type: 'object', required: ['label'], properties: { label: { type: 'string' } } }),
        },
        responses: { '200': { description: 'The updated prediction.' }, ...common },
      },
    },
  };
  for (const path of modelPath(''))
    paths[path] = {
      get: {
        tags: ['metadata'],
        summary: 'Model metadata: inputs and outputs',
        parameters: params(path),
        responses: { '200': { description: 'name, versions, platform, inputs, outputs' }, ...common },
      },
    };
  for (const path of modelPath('/ready'))
    paths[path] = {
      get: {
        tags: ['health'],
        summary: 'Model readiness',
        parameters: params(path),
        responses: { '200': { description: 'Ready.' }, ...common },
      },
    };
  for (const path of modelPath('/infer'))
    paths[path] = {
      post: {
        tags: ['inference'],
        summary: 'Run the model on tensors (Open Inference Protocol v2)',
        description:
          'JSON tensors, or the binary tensor data extension: send Inference-Header-Content-Length with the size of the JSON header and the raw little-endian tensor bytes after it. Request binary outputs with parameters.binary_data (per output) or binary_data_output (all).',
        parameters: params(path),
        requestBody: {
          required: true,
          content: {
            ...json({
              type: 'object',
              required: ['inputs'],
              properties: {
                id: { type: 'string' },
                parameters: { type: 'object', properties: { binary_data_output: { type: 'boolean' } } },
                inputs: { type: 'array', items: tensor },
                outputs: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      name: { type: 'string' },
                      parameters: { type: 'object', properties: { binary_data: { type: 'boolean' } } },
                    },
                  },
                },
              },
            }),
            'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
          },
        },
        responses: {
          '200': {
            description:
              'Output tensors (with binary outputs: a JSON header of Inference-Header-Content-Length bytes, then the bytes).',
            content: json({
              type: 'object',
              properties: {
                model_name: { type: 'string' },
                model_version: { type: 'string' },
                id: { type: 'string' },
                outputs: { type: 'array', items: tensor },
              },
            }),
          },
          ...common,
        },
      },
    };
  for (const path of modelPath('/classify'))
    paths[path] = {
      post: {
        tags: ['inference'],
        summary: 'Classify one image (JPEG, PNG or WebP body)',
        parameters: [
          ...params(path),
          { name: 'top_k', in: 'query', schema: { type: 'integer', minimum: 1, default: 5 } },
        ],
        requestBody: {
          required: true,
          content: Object.fromEntries(
            ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'].map((t) => [
              t,
              { schema: { type: 'string', format: 'binary' } },
            ]),
          ),
        },
        responses: {
          '200': {
            description: 'The top labels, most probable first.',
            content: json({
              type: 'object',
              properties: {
                model_name: { type: 'string' },
                model_version: { type: 'string' },
                prediction_id: { type: 'string' },
                predictions: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { label: { type: 'string' }, probability: { type: 'number' } },
                  },
                },
              },
            }),
          },
          ...common,
          '415': {
            ...error,
            description: 'The body is not a JPEG, PNG or WebP image, or its Content-Type is another.',
          },
        },
      },
    };
  return {
    openapi: '3.0.3',
    info: {
      title: 'Bosun inference server',
      version: '0.1.0',
      description:
        'ONNX Runtime behind the Open Inference Protocol v2, with an image endpoint and prediction feedback.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }, {}],
    paths,
  };
}
