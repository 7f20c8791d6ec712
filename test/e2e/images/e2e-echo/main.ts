// Test fixture entry point.
//   serve        answer every HTTP request on $PORT (default 8080) with JSON naming this pod
//   put-object   write $OBJECT_KEY with $OBJECT_BODY to $BUCKET in the S3 store at $STORE_ENDPOINT,
//                with credentials from $STORE_ACCESS_KEY / $STORE_SECRET_KEY, then exit 0
//   get <url>    print the body of a GET; exit 0 only on a 2xx answer. Connection errors are retried
//                for up to 30 s: a new Service's routing reaches kube-proxy a moment after its
//                endpoints are ready, as on any cluster.
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { Client } from 'minio';

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

async function putObject(): Promise<void> {
  const endpoint = new URL(env('STORE_ENDPOINT'));
  const client = new Client({
    endPoint: endpoint.hostname,
    port: Number(endpoint.port),
    useSSL: endpoint.protocol === 'https:',
    accessKey: env('STORE_ACCESS_KEY'),
    secretKey: env('STORE_SECRET_KEY'),
  });
  await client.putObject(env('BUCKET'), env('OBJECT_KEY'), Buffer.from(env('OBJECT_BODY')));
  console.log(JSON.stringify({ wrote: `${env('BUCKET')}/${env('OBJECT_KEY')}`, uid: process.getuid?.() }));
}

async function fetchWithRetry(url: string): Promise<Response> {
  const deadline = Date.now() + 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      console.error(
        `attempt ${attempt}: ${error instanceof Error ? error.message : String(error)}; retrying`,
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function get(url: string | undefined): Promise<void> {
  if (!url) throw new Error('get needs a URL');
  const response = await fetchWithRetry(url);
  const body = await response.text();
  console.log(body);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
}

function serve(): void {
  const port = Number(process.env.PORT ?? '8080');
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ pod: hostname(), path: req.url, uid: process.getuid?.() }));
  });
  server.listen(port, () => console.log(JSON.stringify({ listening: port })));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

const fail = (error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
};
const command = process.argv[2];
if (command === 'serve') serve();
else if (command === 'put-object') putObject().catch(fail);
else if (command === 'get') get(process.argv[3]).catch(fail);
else {
  console.error(`unknown command ${command ?? '(none)'}: use serve, put-object or get`);
  process.exit(2);
}
