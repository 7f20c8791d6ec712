import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { localize, readmeSteps, shellWords } from '../../e2e/readme-commands.ts';

describe('shellWords', () => {
  it('splits on blanks and removes quotes as a shell does', () => {
    expect(shellWords(`kubectl patch bmv v1 --type merge -p '{"spec":{"stage":"dev"}}'`)).toEqual({
      words: ['kubectl', 'patch', 'bmv', 'v1', '--type', 'merge', '-p', '{"spec":{"stage":"dev"}}'],
      background: false,
    });
    expect(shellWords(`wait --for=jsonpath='{.status.x}'=1 "a \\"b\\"" c\\ d`).words).toEqual([
      'wait',
      '--for=jsonpath={.status.x}=1',
      'a "b"',
      'c d',
    ]);
  });

  it('reads a trailing & as a background command and # as a comment', () => {
    expect(shellWords('kubectl port-forward svc/iris 18080:8080 &')).toEqual({
      words: ['kubectl', 'port-forward', 'svc/iris', '18080:8080'],
      background: true,
    });
    expect(shellWords('kill %1  # stop it').words).toEqual(['kill', '%1']);
    expect(shellWords("echo 'a # b'").words).toEqual(['echo', 'a # b']);
  });

  it('refuses what a test could not run as written', () => {
    for (const line of [
      'kubectl get pods | head',
      'a; b',
      'echo $HOME',
      'echo "$HOME"',
      'echo $(date)',
      'curl x > out',
      'a & b',
      "echo 'open",
      'echo "open',
    ])
      expect(() => shellWords(line), line).toThrow();
  });
});

describe('readmeSteps', () => {
  const readme = [
    '# Title',
    '```sh',
    '```',
    '## 1. First',
    'Some text.',
    '```sh',
    'kubectl apply -f a.yaml',
    '',
    'kubectl wait \\',
    '  --for=condition=Ready x',
    '```',
    '```text',
    'kubectl delete everything',
    '```',
    '## Notes',
    '```yaml',
    'kind: Pod',
    '```',
    '## 2. Second',
    '```sh',
    'curl -s http://127.0.0.1:1/ &',
    '```',
  ].join('\n');

  it('makes a step of each heading with sh blocks, a command of each line', () => {
    expect(readmeSteps(readme)).toEqual([
      {
        title: '1. First',
        commands: [
          { words: ['kubectl', 'apply', '-f', 'a.yaml'], background: false, line: 'kubectl apply -f a.yaml' },
          {
            words: ['kubectl', 'wait', '--for=condition=Ready', 'x'],
            background: false,
            line: 'kubectl wait    --for=condition=Ready x',
          },
        ],
      },
      {
        title: '2. Second',
        commands: [
          {
            words: ['curl', '-s', 'http://127.0.0.1:1/'],
            background: true,
            line: 'curl -s http://127.0.0.1:1/ &',
          },
        ],
      },
    ]);
  });

  it('refuses a command before any step and an unclosed block', () => {
    expect(() => readmeSteps('```sh\nls\n```')).toThrow(/before the first step/);
    expect(() => readmeSteps('## 1\n```sh\nls\n')).toThrow(/not closed/);
  });

  it("reads the iris example's README into its six steps", () => {
    const steps = readmeSteps(readFileSync('examples/iris-stages/README.md', 'utf8'));
    expect(steps).toHaveLength(6);
    expect(steps.flatMap((s) => s.commands).every((c) => c.words.length > 0)).toBe(true);
  });
});

describe('localize', () => {
  it('replaces every occurrence, in order', () => {
    expect(
      localize('s3://bosun/imports/bosun-demo/ -n bosun-demo', [
        ['s3://bosun/', 's3://b2/'],
        ['bosun-demo', 'ns-1'],
      ]),
    ).toBe('s3://b2/imports/ns-1/ -n ns-1');
  });
});
