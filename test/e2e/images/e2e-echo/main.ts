// Test fixture entry point.
//   serve        answer every HTTP request on $PORT (default 8080) with JSON naming this pod
//   put-object   write $OBJECT_KEY with $OBJECT_BODY to $BUCKET in the S3 store at $STORE_ENDPOINT,
//                with credentials from $STORE_ACCESS_KEY / $STORE_SECRET_KEY, then exit 0
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

function serve(): void {
  const port = Number(process.env.PORT ?? '8080');
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ pod: hostname(), path: req.url, uid: process.getuid?.() }));
  });
  server.listen(port, () => console.log(JSON.stringify({ listening: port })));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

const command = process.argv[2];
if (command === 'serve') serve();
else if (command === 'put-object') {
  putObject().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
} else {
  console.error(`unknown command ${command ?? '(none)'}: use serve or put-object`);
  process.exit(2);
}
