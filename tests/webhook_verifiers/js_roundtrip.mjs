// Reads JSON texts, one per line, on stdin and writes JSON.stringify(JSON.parse(line))
// for each: what the DocuRift spec's Node verifier hashes after express.json().
import { readFileSync } from 'node:fs';

const lines = readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0);
process.stdout.write(lines.map((l) => JSON.stringify(JSON.parse(l))).join('\n') + '\n');
