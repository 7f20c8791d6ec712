// Runs the verifier in this process as its Job does, then writes its peak resident memory (bytes)
// to a file, so a test can hold the verifier to a memory bound.
//   node measure-verifier.ts <termination log> <usage file>   (environment: the verifier's)
import { writeFileSync } from 'node:fs';
import { runVerifier } from '../../../operator/verifier/main.ts';

const [terminationLog, usageFile] = process.argv.slice(2) as [string, string];
const code = await runVerifier(process.env, terminationLog);
writeFileSync(usageFile, String(process.resourceUsage().maxRSS * 1024));
process.exitCode = code;
