// Drives the GraphiQL page at `/` in headless Chromium as a newcomer would:
// Docs pane, register without a token, token bar, a live messageReceived
// subscription fed from outside the page, and a subscription without a token
// that must end in an error instead of an endless spinner.
//
// Usage: node graphiql.test.mjs <base url> [screenshot dir]
// Needs a running server and /usr/bin/chromium (see run.sh). Prints one line
// per check and, last, "N passed, N failed". Exits non-zero on any failure.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASE = (process.argv[2] || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SHOTS = process.argv[3] || mkdtempSync(join(tmpdir(), 'imgql-graphiql-shots-'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 20_000; // every single wait in the page
const TOTAL = 100_000; // the whole test

let passed = 0;
let failed = 0;
let shot = 0;

// Unique names so that the test can run against a server that already has users.
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const newcomer = `nc${run}`;
const sender = `sd${run}`;

/** POST a GraphQL request to the server from outside the page. */
async function gql(query, token) {
  const res = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(WAIT),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, `GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function screenshot(page, name) {
  shot += 1;
  const path = join(SHOTS, `${String(shot).padStart(2, '0')}-${name.replace(/[^A-Za-z0-9]+/g, '-')}.png`);
  await page.screenshot({ path }).catch(() => {});
  return path;
}

/** Run the checks of one flow in order; after a failure the rest of that flow cannot run. */
async function flow(name, page, checks) {
  for (let i = 0; i < checks.length; i += 1) {
    const [label, fn] = checks[i];
    try {
      await fn();
      passed += 1;
      console.log(`ok   ${name}: ${label}`);
    } catch (err) {
      failed += 1;
      console.log(`FAIL ${name}: ${label}\n     ${String(err && err.stack ? err.stack : err).split('\n').slice(0, 6).join('\n     ')}`);
      console.log(`     screenshot: ${await screenshot(page, `fail-${name}`)}`);
      const rest = checks.length - i - 1;
      if (rest > 0) {
        failed += rest;
        console.log(`FAIL ${name}: ${rest} later check(s) not run`);
      }
      return;
    }
  }
}

// --- page helpers (GraphiQL 4: CodeMirror 5 editors) ---

/** Replace the query editor's text as a paste would (no auto-closed brackets). */
async function typeQuery(page, text) {
  await page.locator('.graphiql-query-editor .CodeMirror').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  const value = await page.evaluate(() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue());
  assert.equal(value, text, 'the query editor holds the typed text');
  // GraphiQL parses the editor's text after a short debounce and picks the
  // transport (HTTP or WebSocket) from that parse; a click before it would run
  // the previous operation's kind. A person is never that fast: wait for it.
  await page.waitForFunction(
    (t) => {
      const cm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;
      return Boolean(cm.documentAST && cm.documentAST.loc && cm.documentAST.loc.source.body === t);
    },
    text,
    { timeout: WAIT, polling: 50 },
  );
}

/** Text of the result pane. */
function resultText(page) {
  return page.evaluate(() => {
    const cm = document.querySelector('.graphiql-response .CodeMirror');
    return cm && cm.CodeMirror ? cm.CodeMirror.getValue() : '';
  });
}

/** Wait until the result pane's text satisfies `test` (a string to contain or a predicate). */
async function waitForResult(page, test, timeout = WAIT) {
  const needle = typeof test === 'string' ? test : null;
  await page
    .waitForFunction(
      (n) => {
        const cm = document.querySelector('.graphiql-response .CodeMirror');
        const text = cm && cm.CodeMirror ? cm.CodeMirror.getValue() : '';
        return n === null ? text.trim().length > 0 : text.includes(n);
      },
      needle,
      { timeout, polling: 100 },
    )
    .catch(async (err) => {
      throw new Error(`result pane never showed ${needle === null ? 'anything' : JSON.stringify(needle)}; it shows: ${JSON.stringify(await resultText(page))} (${err.message.split('\n')[0]})`);
    });
  const text = await resultText(page);
  if (typeof test === 'function') assert.ok(test(text), `unexpected result: ${text}`);
  return text;
}

async function runQuery(page) {
  await page.getByRole('button', { name: /Execute query/ }).click();
}

async function openPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.setDefaultNavigationTimeout(WAIT);
  page.on('pageerror', (err) => console.log(`     page error: ${err.message}`));
  if (process.env.DEBUG) {
    page.on('console', (m) => console.log(`     console.${m.type()}: ${m.text()}`));
    page.on('request', (r) => console.log(`     request: ${r.method()} ${r.url()} ${r.postData() || ''}`.slice(0, 300)));
  }
  await page.goto(`${BASE}/`);
  await page.locator('.graphiql-container').waitFor();
  return page;
}

// --- the test ---

const profile = mkdtempSync(join(tmpdir(), 'imgql-chromium-profile-'));
const guard = setTimeout(() => {
  console.log(`FAIL the whole test took longer than ${TOTAL / 1000} s`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, TOTAL);

// One fresh profile (--user-data-dir) for the whole run: the no-token flow
// runs first, before the newcomer's token is saved in localStorage.
const browser = await chromium
  .launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: WAIT,
    viewport: { width: 1600, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  .catch((err) => {
    console.log(`FAIL launching ${CHROMIUM}: ${err.message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  });

try {
  // Flow 1: a subscription without a token ends with an error, not a spinner.
  {
    const page = await openPage(browser);
    let sockets = 0;
    page.on('websocket', () => { sockets += 1; });
    await flow('no token', page, [
      ['a subscription without a token shows the refusal in the result pane', async () => {
        assert.equal(await page.locator('#imgql-status').innerText(), 'no token');
        await typeQuery(page, 'subscription { messageReceived { ID from payload { ... on TextElem { text } } } }\n');
        await runQuery(page);
        const text = await waitForResult(page, '"errors"');
        await screenshot(page, 'no-token-error');
        const body = JSON.parse(text);
        assert.match(body.errors[0].message, /4403/);
        assert.equal(body.errors[0].extensions.closeCode, 4403);
      }],
      ['the refused connection is not retried and nothing keeps spinning', async () => {
        // The execute button turns back from "stop" into "run" once the operation ended.
        await page.getByRole('button', { name: /Execute query/ }).waitFor();
        assert.equal(await page.locator('.graphiql-response .graphiql-spinner').count(), 0, 'no spinner');
        assert.equal(sockets, 1, `one WebSocket was opened (saw ${sockets})`);
        // A retrying client would open a new socket within ~1-4 s; watch for 3 s.
        const again = await page.waitForEvent('websocket', { timeout: 3_000 }).then(() => true, () => false);
        assert.equal(again, false, 'no new WebSocket after the refusal');
      }],
    ]);
    await page.close();
  }
  // Flow 2: the newcomer.
  {
    const page = await openPage(browser);
    let token = '';
    // Resolves when the page sends a "subscribe" message on a WebSocket.
    const subscribed = new Promise((resolve) => {
      page.on('websocket', (ws) => {
        ws.on('framesent', (frame) => {
          if (typeof frame.payload === 'string' && frame.payload.includes('"type":"subscribe"')) resolve(true);
        });
      });
    });

    await flow('newcomer', page, [
      ['the page loads GraphiQL with the token bar', async () => {
        await page.locator('#imgql-token').waitFor();
        assert.equal(await page.locator('#imgql-status').innerText(), 'no token');
        await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
      }],
      ['the Docs pane lists the operations (introspection worked)', async () => {
        await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
        const docs = page.locator('.graphiql-doc-explorer');
        await docs.getByText('Root Types').waitFor();
        await screenshot(page, 'docs-root-types');
        for (const [root, field] of [['Query', 'getMessageList'], ['Mutation', 'sendMessage'], ['Subscription', 'messageReceived']]) {
          await docs.getByRole('link', { name: root, exact: true }).first().click();
          await docs.locator('.graphiql-doc-explorer-title', { hasText: root }).waitFor();
          await docs.locator('a.graphiql-doc-explorer-field-name', { hasText: new RegExp(`^${field}$`) }).waitFor();
          if (root === 'Query') await screenshot(page, 'docs-query-fields');
          await docs.getByRole('link', { name: 'Go back to Docs' }).click();
          await docs.getByText('Root Types').waitFor();
        }
      }],
      ['register without a token; the token is in the result pane', async () => {
        await typeQuery(
          page,
          `mutation {\n  register(email: "${newcomer}@example.com", username: "${newcomer}", password: "correct horse") {\n    token\n    userinfo { userID }\n  }\n}\n`,
        );
        await runQuery(page);
        const text = await waitForResult(page, '"token"');
        await screenshot(page, 'register-result');
        const body = JSON.parse(text);
        token = body.data.register.token;
        assert.equal(body.data.register.userinfo.userID, newcomer);
        assert.ok(typeof token === 'string' && token.length > 20, `a token: ${text}`);
      }],
      ['the token is saved in the token bar', async () => {
        await page.locator('#imgql-token').fill(token);
        await page.getByRole('button', { name: 'Save' }).click();
        await page.locator('#imgql-status', { hasText: `token set (${token.length} chars)` }).waitFor();
        assert.equal(await page.evaluate(() => localStorage.getItem('imgql.token')), token);
      }],
      ['a messageReceived subscription shows a C2C message sent from outside', async () => {
        await typeQuery(page, 'subscription { messageReceived { ID from payload { ... on TextElem { text } } } }\n');
        await runQuery(page);
        // The subscription is live once the page has sent "subscribe" and the
        // server has started it; the server gives no signal for the latter, so
        // probe: send a message and wait a little for it, a bounded number of times.
        const didSubscribe = await Promise.race([subscribed, new Promise((r) => setTimeout(r, WAIT, false))]);
        assert.ok(didSubscribe, 'the page sent a subscribe message on its WebSocket');
        const senderToken = (await gql(`mutation { register(email: "${sender}@example.com", username: "${sender}", password: "correct horse") { token } }`)).register.token;
        let seen = null;
        for (let attempt = 1; attempt <= 8 && !seen; attempt += 1) {
          const text = `hello from outside ${run} #${attempt}`;
          const sent = await gql(
            `mutation { sendMessage(message: { to: "${newcomer}", conversationType: C2C, payload: { text: { text: "${text}" } } }) { ID } }`,
            senderToken,
          );
          try {
            const shown = await waitForResult(page, text, 2_000);
            seen = { attempt, text, id: sent.sendMessage.ID, shown };
          } catch {
            /* not live yet: the next attempt sends another message */
          }
        }
        await screenshot(page, 'subscription-event');
        assert.ok(seen, `no message reached the result pane; it shows: ${await resultText(page)}`);
        const event = JSON.parse(seen.shown).data.messageReceived;
        assert.equal(event.ID, seen.id);
        assert.equal(event.from, sender);
        assert.equal(event.payload.text, seen.text);
        if (seen.attempt > 1) console.log(`     (the subscription became live after ${seen.attempt - 1} earlier message(s))`);
      }],
    ]);
    await page.close();
  }

} finally {
  clearTimeout(guard);
  await browser.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

console.log(`screenshots: ${SHOTS}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
