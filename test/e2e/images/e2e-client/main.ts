// Test fixture entry point: requests from inside the cluster, results as JSON lines on stdout.
//   request <method> <url> [--header name=value]... [--json <text> | --body-base64 <b64>]
//       one request; prints {"status","headers","body"} and exits 0 whatever the status.
//       Connection errors are retried for up to 30 s (a new Service reaches kube-proxy late).
//   load <url> --json <text> [--concurrency 8] [--seconds 60]
//       steady load on keep-alive connections, as a real client pool sends it; prints a line a
//       second {"t","ok","failed","versions","seen":{"<v>":[first,last]},"errors"} and, at the end,
//       {"summary":true,"ok","failed","errors","versions":{"<v>":{"first","last","count"}}} with
//       epoch milliseconds. No retries: every failure counts.
//   requests <method> <url> [--header name=value]... --body-base64 <b64>...
//       one request per body, in order, on one keep-alive connection; prints {"status","body"}
//       for each. Connection errors are retried as for request.
//   connections <url> --json <text> [--count 2000] [--concurrency 4]
//       `count` requests, each on a new connection; prints {"versions":{"<v>":n},"failed"}.
// The served version is the answer's `model_version` (OIP v2 infer and classify both carry it).
import { Agent, request as httpRequest } from 'node:http';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: Buffer | undefined,
  agent: Agent | false,
  timeoutMs = 30_000,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        agent,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at < 0 ? undefined : args[at + 1];
}

function options(args: string[], name: string): string[] {
  return args.flatMap((a, i) =>
    a === `--${name}` && args[i + 1] !== undefined ? [args[i + 1] as string] : [],
  );
}

function requestBody(args: string[]): { body?: Buffer; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  for (const h of options(args, 'header')) {
    const at = h.indexOf('=');
    headers[h.slice(0, at).toLowerCase()] = h.slice(at + 1);
  }
  const json = option(args, 'json');
  if (json !== undefined)
    return { body: Buffer.from(json), headers: { 'content-type': 'application/json', ...headers } };
  const b64 = option(args, 'body-base64');
  if (b64 !== undefined) return { body: Buffer.from(b64, 'base64'), headers };
  return { headers };
}

const versionOf = (answer: Answer): string => {
  try {
    return String((JSON.parse(answer.body) as { model_version?: unknown }).model_version ?? '?');
  } catch {
    return '?';
  }
};

const errorOf = (e: unknown): string => {
  const error = e as NodeJS.ErrnoException;
  return error.code ?? error.message ?? String(e);
};

async function once(args: string[]): Promise<void> {
  const [method = 'GET', url = ''] = args;
  const { body, headers } = requestBody(args);
  const deadline = Date.now() + 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await send(method, new URL(url), headers, body, false);
      console.log(JSON.stringify(answer));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      console.error(`attempt ${attempt}: ${errorOf(error)}; retrying`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function each(args: string[]): Promise<void> {
  const [method = 'POST', url = ''] = args;
  const { headers } = requestBody(args);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const deadline = Date.now() + 30_000;
  for (const b64 of options(args, 'body-base64')) {
    const body = Buffer.from(b64, 'base64');
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await send(method, new URL(url), headers, body, agent);
        console.log(JSON.stringify({ status: answer.status, body: answer.body }));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        console.error(`attempt ${attempt}: ${errorOf(error)}; retrying`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
  agent.destroy();
}

async function load(args: string[]): Promise<void> {
  const url = new URL(args[0] ?? '');
  const { body, headers } = requestBody(args);
  const concurrency = Number(option(args, 'concurrency') ?? 8);
  const until = Date.now() + Number(option(args, 'seconds') ?? 60) * 1000;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const total = { ok: 0, failed: 0 };
  const errors: Record<string, number> = {};
  const versions: Record<string, { first: number; last: number; count: number }> = {};
  // Each second's answers, with when each version was first and last seen in it, and its failures
  // by kind, so a rollout's moments can be placed to the millisecond.
  const newSecond = () => ({
    ok: 0,
    failed: 0,
    versions: {} as Record<string, number>,
    seen: {} as Record<string, [number, number]>,
    errors: {} as Record<string, number>,
  });
  let second = newSecond();
  const tick = setInterval(() => {
    console.log(JSON.stringify({ t: Date.now(), ...second }));
    second = newSecond();
  }, 1000);
  const worker = async () => {
    while (Date.now() < until) {
      let outcome: string;
      try {
        const answer = await send('POST', url, headers, body, agent);
        if (answer.status === 200) {
          const v = versionOf(answer);
          const now = Date.now();
          const seen = versions[v] ?? { first: now, last: now, count: 0 };
          versions[v] = seen;
          seen.last = now;
          seen.count++;
          second.versions[v] = (second.versions[v] ?? 0) + 1;
          const inSecond = second.seen[v] ?? [now, now];
          inSecond[1] = now;
          second.seen[v] = inSecond;
          total.ok++;
          second.ok++;
          continue;
        }
        outcome = `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
      } catch (error) {
        outcome = errorOf(error);
      }
      total.failed++;
      second.failed++;
      errors[outcome] = (errors[outcome] ?? 0) + 1;
      second.errors[outcome] = (second.errors[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearInterval(tick);
  // The last, partial second, so the lines add up to the summary.
  console.log(JSON.stringify({ t: Date.now(), ...second }));
  agent.destroy();
  console.log(JSON.stringify({ summary: true, ...total, errors, versions }));
}

async function connections(args: string[]): Promise<void> {
  const url = new URL(args[0] ?? '');
  const { body, headers } = requestBody(args);
  let left = Number(option(args, 'count') ?? 2000);
  const versions: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let failed = 0;
  const worker = async () => {
    while (left-- > 0) {
      try {
        const answer = await send('POST', url, headers, body, false);
        if (answer.status !== 200) throw new Error(`HTTP ${answer.status}`);
        const v = versionOf(answer);
        versions[v] = (versions[v] ?? 0) + 1;
      } catch (error) {
        failed++;
        errors[errorOf(error)] = (errors[errorOf(error)] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Number(option(args, 'concurrency') ?? 4) }, worker));
  console.log(JSON.stringify({ versions, failed, errors }));
}

const fail = (error: unknown) => {
  console.error(errorOf(error));
  process.exit(1);
};
const [command, ...rest] = process.argv.slice(2);
if (command === 'request') once(rest).catch(fail);
else if (command === 'requests') each(rest).catch(fail);
else if (command === 'load') load(rest).catch(fail);
else if (command === 'connections') connections(rest).catch(fail);
else {
  console.error(`unknown command ${command ?? '(none)'}: use request, requests, load or connections`);
  process.exit(2);
}
