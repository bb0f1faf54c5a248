// The graphql-http conformance audit (every MUST and SHOULD) against a running
// server: `node audit.mjs http://127.0.0.1:PORT/graphql`. Exits non-zero unless
// every audit passes.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}
const results = await auditServer({ url });
let failed = 0;
for (const result of results) {
  if (result.status !== 'ok') {
    failed += 1;
    console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}: ${result.reason}`);
  }
}
const passed = results.length - failed;
console.log(`graphql-http audit: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
