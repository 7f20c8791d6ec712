// The commands of an example's README, read so that a test can run them: each `## ` heading with
// `sh` code blocks under it is a step, each line of those blocks a command, split into words the
// way a POSIX shell splits them. Only plain commands are accepted (quotes, backslashes, a
// trailing `&`); anything a test could not run as written (pipes, redirections, variables,
// command substitution) is refused, so the README cannot say more than the test runs.

export interface ReadmeCommand {
  /** The command's words, quotes removed. */
  words: string[];
  /** Started in the background (a trailing `&`). */
  background: boolean;
  /** The line as the README has it. */
  line: string;
}

export interface ReadmeStep {
  title: string;
  commands: ReadmeCommand[];
}

const UNSUPPORTED = new Set(['|', ';', '<', '>', '$', '`', '(', ')', '*', '?', '{', '}', '~']);

/** Splits one shell line into words; throws on syntax a test could not run as written. */
export function shellWords(line: string): { words: string[]; background: boolean } {
  const words: string[] = [];
  let word: string | undefined;
  let background = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (background && !/\s/.test(c)) throw new Error(`'&' must end the command: ${line}`);
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else if (c === '&') {
      if (word !== undefined) words.push(word);
      word = undefined;
      background = true;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        const d = line[i] as string;
        if (d === '$' || d === '`') throw new Error(`expansion inside "…" is not supported: ${line}`);
        if (d === '\\' && /["\\$`]/.test(line[i + 1] ?? '')) text += line[++i];
        else text += d;
      }
      if (i >= line.length) throw new Error(`unterminated " in: ${line}`);
      word = (word ?? '') + text;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error(`a trailing backslash in: ${line}`);
      word = (word ?? '') + line[++i];
    } else if (UNSUPPORTED.has(c)) {
      throw new Error(`shell syntax '${c}' is not supported: ${line}`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return { words, background };
}

/** The steps of a README: every `## ` heading whose section has `sh` blocks, in order. */
export function readmeSteps(markdown: string): ReadmeStep[] {
  const steps: ReadmeStep[] = [];
  let title: string | undefined;
  let fence: string | undefined;
  let pending = '';
  for (const raw of markdown.split('\n')) {
    if (fence !== undefined) {
      if (raw.trim() === '```') {
        if (pending) throw new Error(`a continued line ends its block: ${pending}`);
        fence = undefined;
        continue;
      }
      if (fence !== 'sh') continue;
      const line = pending + raw;
      if (line.endsWith('\\')) {
        pending = `${line.slice(0, -1)} `;
        continue;
      }
      pending = '';
      const { words, background } = shellWords(line);
      if (words.length === 0) continue;
      if (title === undefined) throw new Error(`a command before the first step: ${line}`);
      let step = steps[steps.length - 1];
      if (step?.title !== title) {
        step = { title, commands: [] };
        steps.push(step);
      }
      step.commands.push({ words, background, line: line.trim() });
      continue;
    }
    const open = /^```(\S*)\s*$/.exec(raw);
    if (open) fence = open[1] ?? '';
    else if (raw.startsWith('## ')) title = raw.slice(3).trim();
  }
  if (fence !== undefined) throw new Error('a code block is not closed');
  return steps;
}

/** `text` with every occurrence of each `from` replaced by its `to`, in order. */
export function localize(text: string, replacements: readonly (readonly [string, string])[]): string {
  return replacements.reduce((s, [from, to]) => s.replaceAll(from, to), text);
}
