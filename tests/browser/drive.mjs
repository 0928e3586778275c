// Loads one page in Debian's headless Chromium and prints, as one line of JSON on stdout, what
// happened: every request and response (from the DevTools protocol, so with the headers Chromium
// really sent, CORS preflights included), console messages, page errors, the source of every
// script the page ran, and the page's text at the end. Run by tests/browser.rs (`browse`):
//
//   node tests/browser/drive.mjs '{"url": "http://127.0.0.1:PORT/", "until": UNTIL,
//     "timeout_ms": 30000, "chromium": "/usr/bin/chromium", "node_modules": "DIR"}'
//
// UNTIL is {"traces_exported": "http://COLLECTOR"}: until a POST to COLLECTOR/v1/traces has been
// answered (or has failed), or {"elapsed_ms": N}: N ms after the page's load event. "reached"
// says whether that happened before timeout_ms; the output is printed either way. node_modules
// holds puppeteer-core (tests/browser/package.json); nothing is installed next to this file.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const options = JSON.parse(process.argv[2] ?? '{}');
for (const key of ['url', 'until', 'timeout_ms', 'chromium', 'node_modules']) {
  if (options[key] === undefined) {
    console.error(`drive.mjs: missing option ${key}`);
    process.exit(2);
  }
}
const require = createRequire(path.join(options.node_modules, 'package.json'));
const puppeteer = (await import(pathToFileURL(require.resolve('puppeteer-core')).href)).default;

const started = Date.now();
const elapsed = () => Date.now() - started;

/** Header names in lower case, as HTTP/2 and the receivers' records spell them. */
function lower(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const key = name.toLowerCase();
    out[key] = key in out ? `${out[key]}, ${value}` : String(value);
  }
  return out;
}

const browser = await puppeteer.launch({
  executablePath: options.chromium,
  headless: true,
  timeout: options.timeout_ms,
  args: [
    // Tests run as root, where Chromium's sandbox cannot start.
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    // Nothing but the test's own loopback servers: no calls home, which this machine refuses.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
  ],
});

const requests = new Map(); // requestId -> the request's record (the last hop after redirects)
const order = []; // every request record, in the order they were sent
const extraRequestHeaders = new Map(); // requestId -> the headers on the wire
const responses = [];
const extraResponseHeaders = new Map();
const postDataFetches = [];
const scripts = [];
const consoleMessages = [];
const pageErrors = [];
let reached = false;
let wake = () => {};

const until = options.until;
const tracesUrl = until.traces_exported
  ? `${until.traces_exported.replace(/\/+$/, '')}/v1/traces`
  : null;

function isExport(record) {
  return tracesUrl !== null && record.method === 'POST' && record.url === tracesUrl;
}

function decodeBase64(text) {
  return Buffer.from(text, 'base64').toString('utf8');
}

try {
  const page = await browser.newPage();
  const cdp = await page.createCDPSession();

  cdp.on('Network.requestWillBeSent', (event) => {
    const record = {
      id: event.requestId,
      url: event.request.url,
      method: event.request.method,
      resource_type: event.type ?? null,
      initiator: event.initiator?.type ?? null,
      headers: lower(event.request.headers),
      post_data: null,
      failure: null,
      finished: false,
    };
    if (event.request.postData !== undefined) {
      record.post_data = event.request.postData;
    } else if (event.request.postDataEntries?.length) {
      record.post_data = event.request.postDataEntries.map((e) => decodeBase64(e.bytes ?? '')).join('');
    } else if (event.request.hasPostData) {
      postDataFetches.push(
        cdp
          .send('Network.getRequestPostData', { requestId: event.requestId })
          .then((r) => {
            record.post_data = r.base64Encoded ? decodeBase64(r.postData) : r.postData;
          })
          .catch((e) => {
            record.post_data = `<drive.mjs could not read the body: ${e.message}>`;
          }),
      );
    }
    requests.set(event.requestId, record);
    order.push(record);
  });
  cdp.on('Network.requestWillBeSentExtraInfo', (event) => {
    extraRequestHeaders.set(event.requestId, lower(event.headers));
  });
  cdp.on('Network.responseReceived', (event) => {
    responses.push({
      id: event.requestId,
      url: event.response.url,
      status: event.response.status,
      headers: lower(event.response.headers),
    });
  });
  cdp.on('Network.responseReceivedExtraInfo', (event) => {
    extraResponseHeaders.set(event.requestId, lower(event.headers));
  });
  const settle = (failure) => (event) => {
    const record = requests.get(event.requestId);
    if (!record) return;
    record.finished = true;
    if (failure) {
      const cors = event.corsErrorStatus?.corsError;
      record.failure = [event.errorText, event.blockedReason, cors].filter(Boolean).join(' ');
    }
    if (isExport(record)) {
      reached = true;
      wake();
    }
  };
  cdp.on('Network.loadingFinished', settle(false));
  cdp.on('Network.loadingFailed', settle(true));
  cdp.on('Debugger.scriptParsed', (event) => {
    // puppeteer's own evaluations are marked with a pptr: source URL; they are not the page's.
    if (event.url.startsWith('pptr:')) return;
    scripts.push(
      cdp
        .send('Debugger.getScriptSource', { scriptId: event.scriptId })
        .then((r) => ({ url: event.url, text: r.scriptSource }))
        .catch((e) => ({ url: event.url, text: `<drive.mjs could not read it: ${e.message}>` })),
    );
  });
  await cdp.send('Network.enable');
  await cdp.send('Debugger.enable');

  page.on('console', (message) => {
    consoleMessages.push({
      type: message.type(),
      text: message.text(),
      url: message.location()?.url ?? null,
    });
  });
  page.on('pageerror', (error) => pageErrors.push(String(error?.stack ?? error)));

  const deadline = started + options.timeout_ms;
  const waitUntilDeadline = (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, Math.min(ms, deadline - Date.now())));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  let loadError = null;
  try {
    await page.goto(options.url, { waitUntil: 'load', timeout: options.timeout_ms });
  } catch (e) {
    loadError = String(e.message ?? e);
  }
  if (loadError === null) {
    if (until.elapsed_ms !== undefined) {
      const end = Date.now() + until.elapsed_ms;
      await waitUntilDeadline(until.elapsed_ms);
      reached = end <= deadline;
    } else {
      while (!reached && Date.now() < deadline) {
        await waitUntilDeadline(deadline - Date.now());
      }
    }
  }

  const bodyText = await page
    .evaluate(() => document.body?.innerText ?? '')
    .catch((e) => `<drive.mjs could not read the page: ${e.message}>`);
  await Promise.all(postDataFetches);
  const scriptTexts = await Promise.all(scripts);
  for (const record of order) {
    if (extraRequestHeaders.has(record.id)) {
      record.headers = { ...record.headers, ...extraRequestHeaders.get(record.id) };
    }
  }
  for (const response of responses) {
    if (extraResponseHeaders.has(response.id)) {
      response.headers = { ...response.headers, ...extraResponseHeaders.get(response.id) };
    }
  }
  process.stdout.write(
    JSON.stringify({
      url: options.url,
      reached,
      load_error: loadError,
      elapsed_ms: elapsed(),
      requests: order,
      responses,
      console: consoleMessages,
      page_errors: pageErrors,
      scripts: scriptTexts,
      body_text: bodyText,
    }) + '\n',
  );
} finally {
  await browser.close();
}
