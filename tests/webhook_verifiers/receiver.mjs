// A real HTTP receiver that runs the specs' Node verification code as written.
//
// Between the "spec, verbatim" markers:
//  - the DocuRift spec's "JavaScript (with Webhook)" example, unchanged except
//    for its last line `app.listen(3000);`, which the wiring below replaces
//    (it needs a free port and a request log);
//  - the Veryfi spec's `createSignature` and its two checking lines, placed in
//    an express route (the route is wiring; the lines are the spec's).
// Wiring, through environment variables:
//   DOCURIFT_WEBHOOK_SECRET  read by the spec's code
//   VERYFI_CLIENT_SECRET     the Veryfi client secret
//   PORT                     default 0 (any free port)
//   RESULTS_FILE             optional: one JSON line per request {path, status, headers, receivedAt}
//   FAIL_FIRST               answer 503 to the first N requests without looking at them
// Prints one line on start: {"port": N}. Routes: POST /webhooks/docurift (spec),
// POST /webhook/veryfi (Veryfi check: 200 {"valid": true} or 401).

// ======================= spec, verbatim: DocuRift "JavaScript (with Webhook)"
import crypto from 'crypto';
import express from 'express';
const app = express();
app.use(express.json());
const WEBHOOK_SECRET = process.env.DOCURIFT_WEBHOOK_SECRET;
function verifyWebhookSignature(payload, signature) {
const expectedSignature = crypto
.createHmac('sha256', WEBHOOK_SECRET)
.update(JSON.stringify(payload))
.digest('hex');
return crypto.timingSafeEqual(
Buffer.from(signature),
Buffer.from(expectedSignature)
);
}
app.post('/webhooks/docurift', (req, res) => {
const signature = req.headers['x-docurift-signature'];
// Verify webhook authenticity
if (!verifyWebhookSignature(req.body, signature)) {
return res.status(401).json({ error: 'Invalid signature' });
}
const { event, data } = req.body;
switch (event) {
case 'document.completed':
console.log('Document processed:', data.id);
console.log('Extracted data:', data.extractedData);
// Process the extracted data
break;
case 'document.failed':
console.error('Processing failed:', data.id, data.error);
// Handle failure
break;
}
res.json({ received: true });
});
// ======================= end of spec (its `app.listen(3000);` is replaced below)

// ======================= spec, verbatim: Veryfi "JavaScript"
function createSignature(payload, clientSecret) {
return crypto
.createHmac("sha256", clientSecret)
.update(
JSON.stringify(payload.data)
.replace(/,/g, ", ")
.replace(/":/g, '": ')
.replace(/"/g, "'")
)
.digest("base64");
}
// ======================= end of spec

// ---------------------------------------------------------------- wiring
import http from 'node:http';
import { appendFileSync } from 'node:fs';

app.post('/webhook/veryfi', (req, res) => {
  const payload = req.body;
  const clientSecret = process.env.VERYFI_CLIENT_SECRET;
  const validationSignature = req.headers['x-veryfi-signature'];
  // spec, verbatim:
  const generatedSignature = createSignature(payload, clientSecret);
  const isValid = generatedSignature === validationSignature;
  // end of spec
  res.status(isValid ? 200 : 401).json({ valid: isValid });
});

// The spec's handler throws (500) when the signature header is missing or of
// another length (timingSafeEqual); that is a refusal too.
app.use((err, req, res, next) => res.status(err.status && err.status < 500 ? err.status : 500).json({ error: String(err.message) }));

let failFirst = Number(process.env.FAIL_FIRST || 0);
const server = http.createServer((req, res) => {
  const receivedAt = Date.now();
  res.on('finish', () => {
    if (process.env.RESULTS_FILE) {
      appendFileSync(process.env.RESULTS_FILE,
        JSON.stringify({ path: req.url, status: res.statusCode, headers: req.headers, receivedAt }) + '\n');
    }
  });
  if (failFirst > 0) {
    failFirst -= 1;
    res.writeHead(503, { 'content-type': 'application/json' });
    return res.end('{"error":"failing on purpose"}');
  }
  app(req, res);
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
