// The check a table file passes before it enters a tabular batch: UTF-8 text the trainer can read,
// a CSV with a header row or JSON lines of one object each. What is not is left out as corrupt.

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why the file cannot be read as a table; undefined when it can. */
export function tableFileProblem(bytes: Buffer, name: string): string | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return 'not UTF-8 text';
  }
  if (text.trim() === '') return 'empty';
  if (name.toLowerCase().endsWith('.jsonl')) {
    const lines = text.split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        return `line ${i + 1} is not JSON`;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return `line ${i + 1} is not a JSON object`;
    }
    return undefined;
  }
  const header = text.slice(0, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')).trim();
  return header === '' ? 'the first line (the header row) is empty' : undefined;
}
