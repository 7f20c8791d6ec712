// An HTTP proxy in front of the test MinIO that records every request a job makes to the store:
// method, key and the bytes each way. The job is pointed at the proxy as its store endpoint;
// requests are passed on unchanged (the Host header a request was signed for included), so the
// store checks the signatures the job made. It is how the tests and the benchmark count what a
// snapshot reads and writes.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The object key (path-style URL after the bucket), '' for a bucket request such as a listing. */
  key: string;
  /** The query string without '?', e.g. `list-type=2&prefix=...`. */
  query: string;
  status: number;
  requestBytes: number;
  responseBytes: number;
}

export interface RecordingProxy {
  endpoint: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string, bucket: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const path = decodeURIComponent(url.pathname);
    const key = path.startsWith(`/${bucket}/`) ? path.slice(bucket.length + 2) : '';
    const record: RecordedRequest = {
      method: req.method ?? '',
      key,
      query: url.search.slice(1),
      status: 0,
      requestBytes: 0,
      responseBytes: 0,
    };
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        record.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => {
          record.responseBytes += chunk.length;
        });
        answer.pipe(res);
        answer.on('end', () => requests.push(record));
      },
    );
    forward.on('error', (e) => {
      res.destroy(e);
    });
    req.on('data', (chunk: Buffer) => {
      record.requestBytes += chunk.length;
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
