import { describe, expect, it } from 'vitest';
import { nodeFlags, parseFinalStage } from '../../cluster/dockerfile.ts';

const multiStage = `# syntax=docker/dockerfile:1
FROM node:24-slim AS deps
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production \\
    GREETING="hello world"
COPY --from=deps /build/node_modules ./node_modules
COPY --chown=65532:65532 lib ./lib
COPY images/echo/server.ts images/echo/
USER 65532:65532
ENTRYPOINT ["node", "images/echo/server.ts"]
CMD ["--port", "8080"]
`;

describe('parseFinalStage', () => {
  it('reads the final stage only, resolving paths against WORKDIR', () => {
    const stage = parseFinalStage(multiStage);
    expect(stage).toEqual({
      workdir: '/app',
      user: '65532:65532',
      entrypoint: ['node', 'images/echo/server.ts'],
      cmd: ['--port', '8080'],
      env: { NODE_ENV: 'production', GREETING: 'hello world' },
      copies: [
        { sources: ['lib'], destination: '/app/lib', intoDirectory: false },
        { sources: ['images/echo/server.ts'], destination: '/app/images/echo', intoDirectory: true },
      ],
    });
  });

  it('rejects the shell form, since the images have no shell', () => {
    expect(() => parseFinalStage('FROM x\nENTRYPOINT node main.ts\n')).toThrow(/exec \(JSON\) form/);
  });

  it('rejects instructions before FROM and files without FROM', () => {
    expect(() => parseFinalStage('WORKDIR /app\nFROM x\n')).toThrow(/before FROM/);
    expect(() => parseFinalStage('# nothing\n')).toThrow(/no FROM/);
  });
});

describe('nodeFlags', () => {
  it("gives the options before a node entry point's script, and none for other programs", () => {
    const flags = parseFinalStage(
      'FROM x\nENTRYPOINT ["node", "--max-semi-space-size=4", "--jitless", "main.ts", "--port"]\n',
    );
    expect(nodeFlags(flags)).toEqual(['--max-semi-space-size=4', '--jitless']);
    expect(nodeFlags(parseFinalStage('FROM x\nENTRYPOINT ["node", "main.ts"]\n'))).toEqual([]);
    expect(nodeFlags(parseFinalStage('FROM x\nENTRYPOINT ["python", "-u", "main.py"]\n'))).toEqual([]);
  });
});
