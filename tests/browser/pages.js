/*
 * pages.js: browser tests of anomalyd's pages (SPEC §5, §8) in headless
 * Chromium, driven over the DevTools protocol on a pipe (--remote-
 * debugging-pipe: NUL-separated JSON on file descriptors 3 and 4), with
 * nothing but node's standard library.  Prints TAP.  tests/browser/pages.sh
 * starts the server and the clients and passes, in the environment:
 *   BASE     http://127.0.0.1:PORT
 *   SHOTS    directory for the screenshots
 *   STEADY   a client with stored points, anomalies and alerts
 *   STREAM   a client streaming while the tests run
 *   HOSTILE  a client whose timestamps are HTML
 *   QUOTED   a client id with quotes and markup (put in the database)
 *   FEED     a command that sends one more hostile point to HOSTILE
 *   SPIKE    a command that sends STEADY one more point, an anomaly
 * With LOGIN (tests/browser/login.sh: a server with --read-token-file,
 * LOGIN its read token, STEADY one of its clients) it runs only the
 * login test: the login page, its form, and the index live with the
 * cookie.
 * Every wait polls a condition with a deadline; nothing sleeps blindly.
 */
'use strict';

const { spawn, execSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const env = process.env;
const BASE = env.BASE;
const CHROMIUM = env.CHROMIUM || 'chromium';
let n = 0, failed = 0;
const dialogs = [];	/* alert(), confirm(): must stay empty */
const problems = [];	/* CSP violations, exceptions, console errors */

/* A live events row: n, timestamp, value, verdict, detectors. */
function document_rows_ok(cells) {
	return Array.isArray(cells) && cells.length === 5;
}

function ok(cond, what, diag) {
	n++;
	if (cond) {
		console.log(`ok ${n} - ${what}`);
		return;
	}
	failed++;
	console.log(`not ok ${n} - ${what}`);
	if (diag !== undefined)
		String(typeof diag === 'string' ? diag : JSON.stringify(diag))
		    .split('\n').slice(0, 20)
		    .forEach((l) => console.log(`# ${l}`));
}

/* ------------------------------------------------ DevTools over a pipe */

class Browser {
	constructor() {
		/* the profile: in pages.sh's directory, removed with it */
		this.dir = env.PROFILE ||
		    fs.mkdtempSync(path.join(os.tmpdir(), 'chr-'));
		this.proc = spawn(CHROMIUM, ['--headless=new', '--no-sandbox',
		    '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
		    '--no-default-browser-check', '--disable-extensions',
		    '--hide-scrollbars', '--mute-audio',
		    '--remote-debugging-pipe', `--user-data-dir=${this.dir}`,
		    'about:blank'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe',
		    'pipe'] });
		this.proc.stderr.on('data', () => {});
		this.to = this.proc.stdio[3];
		this.from = this.proc.stdio[4];
		this.id = 0;
		this.waiting = new Map();
		this.handlers = [];
		let buf = Buffer.alloc(0);
		this.from.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			let i;
			while ((i = buf.indexOf(0)) >= 0) {
				const msg = JSON.parse(buf.subarray(0, i).toString());
				buf = buf.subarray(i + 1);
				this.dispatch(msg);
			}
		});
		this.proc.on('exit', () => {
			for (const [, w] of this.waiting)
				w.reject(new Error('chromium exited'));
			this.waiting.clear();
		});
	}

	dispatch(msg) {
		if (msg.id !== undefined) {
			const w = this.waiting.get(msg.id);
			if (!w)
				return;
			this.waiting.delete(msg.id);
			if (msg.error)
				w.reject(new Error(`${w.method}: ${msg.error.message}`));
			else
				w.resolve(msg.result);
			return;
		}
		for (const h of this.handlers)
			h(msg);
	}

	send(method, params = {}, sessionId) {
		const id = ++this.id;
		const msg = { id, method, params };
		if (sessionId)
			msg.sessionId = sessionId;
		return new Promise((resolve, reject) => {
			this.waiting.set(id, { resolve, reject, method });
			this.to.write(JSON.stringify(msg) + '\0');
		});
	}

	async page() {
		const { targetId } = await this.send('Target.createTarget',
		    { url: 'about:blank' });
		const { sessionId } = await this.send('Target.attachToTarget',
		    { targetId, flatten: true });
		return new Page(this, sessionId);
	}

	/* asks Chromium to quit, and waits until it has (3 s at most) */
	close() {
		return new Promise((resolve) => {
			if (this.proc.exitCode !== null ||
			    this.proc.signalCode !== null)
				return resolve();
			const t = setTimeout(() => {
				this.proc.kill('SIGKILL');
			}, 3000);
			this.proc.on('exit', () => {
				clearTimeout(t);
				resolve();
			});
			this.send('Browser.close').catch(() => {});
		});
	}
}

class Page {
	constructor(browser, sessionId) {
		this.b = browser;
		this.s = sessionId;
		browser.handlers.push((m) => {
			if (m.sessionId !== sessionId)
				return;
			if (m.method === 'Page.javascriptDialogOpening') {
				dialogs.push(m.params.message);
				this.send('Page.handleJavaScriptDialog',
				    { accept: true }).catch(() => {});
			} else if (m.method === 'Runtime.exceptionThrown') {
				problems.push('exception: ' + JSON.stringify(
				    m.params.exceptionDetails).slice(0, 300));
			} else if (m.method === 'Log.entryAdded') {
				const e = m.params.entry;
				if (e.level === 'error' || e.source === 'security')
					problems.push(`${e.source}: ${e.text} ${e.url || ''}`);
			} else if (m.method === 'Runtime.consoleAPICalled' &&
			    (m.params.type === 'error' || m.params.type === 'warning')) {
				problems.push('console: ' + JSON.stringify(
				    m.params.args.map((a) => a.value)));
			}
		});
	}

	send(method, params) {
		return this.b.send(method, params, this.s);
	}

	async init(width, height, js = true) {
		await this.send('Page.enable');
		await this.send('Runtime.enable');
		await this.send('Log.enable');
		await this.size(width, height);
		await this.send('Emulation.setScriptExecutionDisabled',
		    { value: !js });
	}

	size(width, height) {
		return this.send('Emulation.setDeviceMetricsOverride', { width,
		    height, deviceScaleFactor: 1, mobile: width < 600 });
	}

	/* navigates and waits (5 s at most) for the load event */
	async go(url) {
		const loaded = new Promise((resolve) => {
			const h = (m) => {
				if (m.sessionId === this.s &&
				    m.method === 'Page.loadEventFired') {
					this.b.handlers.splice(this.b.handlers.indexOf(h), 1);
					resolve(true);
				}
			};
			this.b.handlers.push(h);
			setTimeout(() => resolve(false), 5000);
		});
		const r = await this.send('Page.navigate', { url });
		if (r.errorText)
			throw new Error(`${url}: ${r.errorText}`);
		return loaded;
	}

	/* the value of a JavaScript expression (the DevTools protocol runs
	 * it even when the page's own scripts are disabled) */
	async eval(expr) {
		const r = await this.send('Runtime.evaluate', { expression: expr,
		    returnByValue: true, awaitPromise: true });
		if (r.exceptionDetails)
			throw new Error(`${expr}: ${r.exceptionDetails.text} ` +
			    JSON.stringify(r.exceptionDetails.exception || {}));
		return r.result.value;
	}

	/* polls expr every 100 ms until it is truthy; its value, or the
	 * last value seen when ms pass (the caller's test then fails) */
	async until(expr, ms = 5000) {
		const end = Date.now() + ms;
		let v;
		for (;;) {
			try {
				v = await this.eval(expr);
			} catch (e) {
				v = undefined;
			}
			if (v || Date.now() > end)
				return v;
			await new Promise((r) => setTimeout(r, 100));
		}
	}

	async shot(file) {
		const r = await this.send('Page.captureScreenshot',
		    { format: 'png' });
		fs.writeFileSync(file, Buffer.from(r.data, 'base64'));
		return fs.statSync(file).size;
	}

	async mouse(type, x, y) {
		await this.send('Input.dispatchMouseEvent', { type, x, y,
		    button: 'left', buttons: type === 'mouseReleased' ? 0 : 1,
		    clickCount: 1 });
	}
}

/* ---------------------------------------------------------- the tests */

const api = (p) => fetch(BASE + p, { cache: 'no-store' }).then((r) => r.json());
const url = (id) => `${BASE}/client/${encodeURIComponent(id)}`;
const J = JSON.stringify;

/* counts the canvas pixels near colour [r, g, b] */
const PIXELS = `(function (rgb) {
	var c = document.querySelector('#chart canvas');
	if (!c || !c.width) return -1;
	var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
	var k = 0;
	for (var i = 0; i < d.length; i += 4)
		if (d[i + 3] > 200 && Math.abs(d[i] - rgb[0]) < 40 &&
		    Math.abs(d[i + 1] - rgb[1]) < 40 && Math.abs(d[i + 2] - rgb[2]) < 40)
			k++;
	return k;
})`;
const BLUE = [26, 115, 232], RED = [217, 48, 37];

async function tests(b) {
	const t0 = Date.now();
	const p = await b.page();
	await p.init(1280, 800);

	/* the index, live */
	await p.go(BASE + '/');
	let v = await p.until(`document.body.getAttribute('data-polls') >= 1 &&
	    document.getElementById('live').textContent`);
	const rows = await p.eval(`Array.from(document.querySelectorAll(
	    '#active tbody tr, #inactive tbody tr')).map(r => r.cells[0].textContent)`);
	ok(v === 'live' && rows.includes(env.STEADY) && rows.includes(env.STREAM),
	    'index: polls the API, shows "live" and the clients', { v, rows });

	const before = await p.eval(`(window.__mark = 'same page',
	    Number(document.querySelector('#active a[href="/client/${env.STREAM}"]')
	    .closest('tr').cells[2].textContent))`);
	v = await p.until(`window.__mark === 'same page' &&
	    Number(document.querySelector('#active a[href="/client/${env.STREAM}"]')
	    .closest('tr').cells[2].textContent) > ${before} &&
	    document.querySelector('#active a[href="/client/${env.STREAM}"]')
	    .closest('tr').cells[6].textContent`, 8000);
	ok(typeof v === 'string' && /ago|just now/.test(v),
	    `index: the streaming client's points grow without a reload (from ${before})`,
	    { v });
	await p.shot(`${env.SHOTS}/index-1280x800.png`);

	/* the chart holds the stored points */
	const stored = await api(`/api/clients/${env.STEADY}/points?limit=100000`);
	await p.go(url(env.STEADY));
	v = await p.until(`document.body.getAttribute('data-chart') === 'uplot' &&
	    document.querySelector('#chart canvas') &&
	    document.getElementById('chart').getAttribute('data-points')`);
	const blue = await p.eval(`${PIXELS}(${J(BLUE)})`);
	const red = await p.eval(`${PIXELS}(${J(RED)})`);
	const anomalies = stored.filter((q) => q.anomaly).length;
	ok(Number(v) === stored.length && blue > 300 && anomalies > 0 && red > 20,
	    `chart: uPlot canvas drawn with the ${stored.length} stored points ` +
	    `(${blue} line pixels, ${red} red pixels for ${anomalies} anomalies)`,
	    { v, stored: stored.length, blue, red, anomalies });

	v = await p.eval(`[document.querySelectorAll('#points tr').length,
	    document.querySelector('#points tr td').textContent,
	    document.querySelector('[data-stat="points"]').textContent]`);
	ok(v[0] === Math.min(100, stored.length) &&
	    Number(v[1]) === stored[stored.length - 1].n &&
	    Number(v[2]) === stored.length,
	    'client page: stats and the latest points, newest first', v);

	await p.shot(`${env.SHOTS}/steady-1280x800.png`);

	/* drag to zoom */
	const box = await p.eval(`(function () {
		var r = document.querySelector('#chart .u-over').getBoundingClientRect();
		return [r.left, r.top, r.width, r.height];
	})()`);
	const y = box[1] + box[3] / 2;
	await p.mouse('mouseMoved', box[0] + box[2] * 0.3, y);
	await p.mouse('mousePressed', box[0] + box[2] * 0.3, y);
	await p.mouse('mouseMoved', box[0] + box[2] * 0.5, y);
	await p.mouse('mouseMoved', box[0] + box[2] * 0.6, y);
	await p.mouse('mouseReleased', box[0] + box[2] * 0.6, y);
	v = await p.until(`document.getElementById('chart')
	    .getAttribute('data-zoomed') === '1' && document.getElementById('chart')
	    .getAttribute('data-range')`, 3000);
	await p.shot(`${env.SHOTS}/steady-zoomed-1280x800.png`);
	const r = typeof v === 'string' ? v.split(' ').map(Number) : [];
	ok(r.length === 4 && r[0] > r[2] && r[1] < r[3],
	    'chart: a drag zooms in on the x axis', { v, box });

	/* the anomalies and alerts list: server-rendered, new ones on top */
	await p.go(url(env.STEADY));
	await p.until(`document.body.getAttribute('data-polls') >= 1`);
	const evs = stored.filter((q) => q.anomaly || q.alert).reverse()
	    .slice(0, 50).map((q) => q.n);
	v = await p.eval(`Array.from(document.querySelectorAll('#events-rows tr'))
	    .map(r => Number(r.cells[0].textContent))`);
	ok(evs.length > 0 && J(v) === J(evs),
	    `events list: the ${evs.length} anomalies and alerts, newest first`,
	    { v, evs });
	execSync(env.SPIKE);
	v = await p.until(`document.querySelector('#events-rows tr') &&
	    Number(document.querySelector('#events-rows tr').cells[0].textContent)
	        === ${stored.length + 1} &&
	    Array.from(document.querySelector('#events-rows tr').cells)
	    .map(c => c.textContent)`, 5000);
	ok(v && /anomaly/.test(v[3]) && /zscore/.test(v[4]) &&
	    document_rows_ok(v),
	    'events list: a new anomaly goes on top without a reload, with ' +
	    'the detectors that voted', v);
	await p.shot(`${env.SHOTS}/events-1280x800.png`);

	/* the streaming client's page updates itself */
	await p.go(url(env.STREAM));
	const first = await p.until(`document.getElementById('chart') &&
	    document.getElementById('chart').getAttribute('data-points') &&
	    (window.__mark = 'same page', [
	    Number(document.querySelector('[data-stat="points"]').textContent),
	    Number(document.querySelector('#points tr td').textContent),
	    Number(document.getElementById('chart').getAttribute('data-points'))])`);
	v = await p.until(`window.__mark === 'same page' &&
	    Number(document.querySelector('[data-stat="points"]').textContent) >
	        ${first[0]} + 2 &&
	    Number(document.querySelector('#points tr td').textContent) >
	        ${first[1]} + 2 &&
	    Number(document.getElementById('chart').getAttribute('data-points')) >
	        ${first[2]} + 2 &&
	    document.querySelector('[data-stat="points"]').textContent`, 8000);
	ok(v && first[0] > 0, `client page: a streaming client's stats, table and ` +
	    `chart grow without a reload (${first[0]} -> ${v} points)`, { first, v });
	await p.shot(`${env.SHOTS}/client-1280x800.png`);

	/* hostile strings show as text, run nothing */
	await p.go(url(env.HOSTILE));
	await p.until(`document.body.getAttribute('data-polls') >= 1`);
	execSync(env.FEED);
	v = await p.until(`document.querySelectorAll('#points tr').length === 4 &&
	    Array.from(document.querySelectorAll('#points tr'))
	    .map(r => r.cells[1].textContent)`, 5000);
	const want = ['<img src=x onerror=alert(4)>', '</script><script>alert(3)</script>',
	    '"\'><img src=x onerror=alert(2)>', '<img src=x onerror=alert(1)>'];
	const imgs = await p.eval(`document.querySelectorAll('img, iframe, object').length +
	    document.querySelectorAll('script:not([src]):not([type="application/json"])').length`);
	ok(J(v) === J(want) && imgs === 0 && dialogs.length === 0,
	    'hostile timestamps (server-rendered and added live) show as text, run nothing',
	    { v, imgs, dialogs });

	await p.go(BASE + '/');
	await p.until(`document.body.getAttribute('data-polls') >= 2`);
	v = await p.eval(`(function () {
		var a = Array.from(document.querySelectorAll('tbody a'))
		    .filter(a => a.textContent === ${J(env.QUOTED)});
		return a.length === 1 && [a[0].textContent, a[0].getAttribute('href'),
		    document.querySelectorAll('img').length];
	})()`);
	ok(v && v[1] === '/client/' + encodeURIComponent(env.QUOTED) &&
	    v[2] === 0 && dialogs.length === 0,
	    'a client id with quotes and markup shows as text, its link encoded',
	    { v, dialogs });

	/* phone width: no sideways scrolling of the page */
	await p.size(390, 844);
	await p.go(BASE + '/');
	await p.until(`document.body.getAttribute('data-polls') >= 1`);
	v = await p.eval(`[document.documentElement.scrollWidth, innerWidth]`);
	await p.shot(`${env.SHOTS}/index-390x844.png`);
	await p.go(url(env.STEADY));
	await p.until(`document.querySelector('#chart canvas')`);
	const w2 = await p.eval(`[document.documentElement.scrollWidth, innerWidth,
	    document.querySelector('#chart canvas').getBoundingClientRect().right]`);
	await p.shot(`${env.SHOTS}/client-390x844.png`);
	await p.go(url(env.STREAM));
	await p.until(`document.body.getAttribute('data-polls') >= 2`);
	await p.shot(`${env.SHOTS}/stream-390x844.png`);
	ok(v[0] <= 390 && w2[0] <= 390 && w2[2] <= 390,
	    'phone width 390: pages and chart fit, no sideways scrolling',
	    { index: v, client: w2 });

	/* without JavaScript */
	const q = await b.page();
	await q.init(1280, 800, false);
	await q.go(BASE + '/');
	const idx = await q.eval(`[document.body.hasAttribute('data-polls'),
	    document.getElementById('live').hidden,
	    Array.from(document.querySelectorAll('tbody a')).map(a => a.textContent)]`);
	await q.go(url(env.STEADY));
	const cl = await q.eval(`[document.body.hasAttribute('data-chart'),
	    !!document.querySelector('#chart svg.static-chart polyline'),
	    document.querySelectorAll('#chart svg circle.anomaly').length,
	    document.querySelectorAll('#points tr').length,
	    document.querySelector('[data-stat="points"]').textContent,
	    document.querySelectorAll('#events-rows tr').length]`);
	await q.shot(`${env.SHOTS}/client-nojs-1280x800.png`);
	/* stored, and the anomaly SPIKE added */
	ok(!idx[0] && idx[1] && idx[2].includes(env.STEADY) && !cl[0] && cl[1] &&
	    cl[2] > 0 && cl[3] > 0 && Number(cl[4]) === stored.length + 1 &&
	    cl[5] === evs.length + 1,
	    'JavaScript off: both pages are complete server-rendered HTML ' +
	    '(static SVG chart, stats, table, anomalies and alerts)',
	    { idx, cl });

	ok(problems.length === 0 && dialogs.length === 0,
	    'no CSP violation, script error or dialog on any page',
	    problems.concat(dialogs));
	console.log(`# browser tests took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/* --read-token-file: / is the login page; its form, given the token,
 * leads to the index, whose script then polls the API with the cookie. */
async function login(b) {
	const p = await b.page();
	await p.init(1280, 800);
	await p.go(BASE + '/');
	let v = await p.eval(`[document.body.getAttribute('data-page'),
	    !!document.querySelector('form[action="/login"] input[name="token"]'),
	    document.querySelectorAll('tbody tr').length]`);
	ok(v[0] === 'login' && v[1] && v[2] === 0,
	    'read token: / without it is the login form, no client shown', v);
	await p.shot(`${env.SHOTS}/login-1280x800.png`);
	await p.eval(`document.getElementById('token').value = ${J(env.LOGIN)},
	    document.querySelector('form').submit(), true`);
	v = await p.until(`document.body.getAttribute('data-page') === 'index' &&
	    document.body.getAttribute('data-polls') >= 2 &&
	    document.getElementById('live').textContent === 'live' &&
	    Array.from(document.querySelectorAll('#active tbody tr, ' +
	    '#inactive tbody tr')).map(r => r.cells[0].textContent)`, 10000);
	const cookie = await p.eval('document.cookie');
	ok(Array.isArray(v) && v.includes(env.STEADY) && cookie === '',
	    'read token: the form logs in, the index lists the clients and ' +
	    'its script polls the API with the cookie (HttpOnly: not in ' +
	    'document.cookie)', { v, cookie });
	await p.shot(`${env.SHOTS}/login-index-1280x800.png`);
	/* the one 401 expected: / before logging in */
	const other = problems.filter((e) => !(e.includes('status of 401') &&
	    e.endsWith(` ${BASE}/`)));
	ok(problems.length === 1 && other.length === 0 && dialogs.length === 0,
	    'read token: no CSP violation, script error or dialog (the first ' +
	    '/ is a 401)', problems.concat(dialogs));
}

(async () => {
	const b = new Browser();
	const guard = setTimeout(() => {
		console.log('Bail out! browser tests over 90 s');
		b.proc.kill('SIGKILL');
		process.exit(1);
	}, 90000);
	console.log(env.LOGIN ? '1..3' : '1..13');
	try {
		await (env.LOGIN ? login(b) : tests(b));
	} catch (e) {
		ok(false, 'browser tests ran to the end', e.stack);
	}
	clearTimeout(guard);
	await b.close();
	process.exit(failed ? 1 : 0);
})();
