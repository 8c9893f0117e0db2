// Posts every delivery of a fixture directory (written by
// `cargo test -p folio-core --test webhook_verifiers`) to receiver.mjs, one
// receiver per secret case, and checks the spec's Node verifiers accepted each
// one and refused tampered copies. Usage: node post_fixtures.mjs DIR
// Exit status 0 when everything passed; one line per check on stdout.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const dir = process.argv[2];
const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8'));
const here = dirname(fileURLToPath(import.meta.url));
let failures = 0;

function startReceiver(c) {
  const child = spawn(process.execPath, [join(here, 'receiver.mjs')], {
    env: { ...process.env, DOCURIFT_WEBHOOK_SECRET: c.secret, VERYFI_CLIENT_SECRET: c.secret, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (l) => resolve({ child, port: JSON.parse(l).port }));
    child.once('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
}

async function post(port, path, headers, body) {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body, redirect: 'manual' });
  return { status: r.status, text: await r.text() };
}

// The body with its last digit changed (still valid JSON).
function tamper(body) {
  const t = Buffer.from(body);
  let at = t.length - 1;
  while (at >= 0 && !(t[at] >= 0x30 && t[at] <= 0x39)) at -= 1;
  t[at] = t[at] === 0x31 ? 0x32 : 0x31;
  return t;
}

function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures += 1;
}

for (const c of cases) {
  const { child, port } = await startReceiver(c);
  try {
    for (const d of c.deliveries) {
      const body = readFileSync(join(dir, d.bodyFile));
      const path = d.profile === 'docurift' ? '/webhooks/docurift' : '/webhook/veryfi';
      const r = await post(port, path, d.headers, body);
      if (d.nodeMustRefuse) {
        check(r.status === 401, `${c.name}/${d.name}: a body that is not JSON.stringify's own form is refused (${r.status})`);
        continue;
      }
      const want = d.profile === 'docurift' ? '{"received":true}' : '{"valid":true}';
      check(r.status === 200 && r.text === want, `${c.name}/${d.name}: spec's Node verifier accepts (${r.status} ${r.text})`);
      // The verifier can fail: the same delivery with one byte changed is refused.
      const tampered = tamper(body);
      const t = await post(port, path, d.headers, tampered);
      check(t.status === 401, `${c.name}/${d.name}: tampered copy refused (${t.status})`);
    }
  } finally {
    child.kill();
  }
}
console.log(failures === 0 ? 'all node checks passed' : `${failures} node checks failed`);
process.exit(failures === 0 ? 0 : 1);
