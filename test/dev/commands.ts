// Commands as data: what `make dev` runs (kubectl, helm, kind, docker) is built as a list first, so
// a dry run can print every command it would run, and a real run executes the same list.
import { spawn } from 'node:child_process';

export interface Command {
  program: string;
  args: string[];
  /** Written to the command's standard input (a manifest for `kubectl apply -f -`). */
  input?: string;
  /** What the command is for, printed above it in a dry run. */
  why?: string;
}

const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`);

/** The command as a person would type it into a shell; a manifest on stdin as a here-document. */
export function render(command: Command): string {
  const line = [command.program, ...command.args].map(quote).join(' ');
  const withInput = command.input === undefined ? line : `${line} <<'EOF'\n${command.input.trimEnd()}\nEOF`;
  return command.why ? `# ${command.why}\n${withInput}` : withInput;
}

/** Runs the command; resolves with its stdout, rejects with its stderr's last lines. */
export function execute(command: Command, options: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.program, command.args, {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (error) => reject(new Error(`${command.program}: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString());
      else {
        const tail = Buffer.concat(err).toString().trim().split('\n').slice(-8).join('\n');
        reject(
          new Error(
            `${command.program} ${command.args.slice(0, 3).join(' ')} failed (exit ${code}): ${tail}`,
          ),
        );
      }
    });
    child.stdin.end(command.input ?? '');
  });
}
