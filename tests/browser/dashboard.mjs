#!/usr/bin/env node
// dashboard.mjs — the web UI end to end in headless Chromium, against real
// daemons: sign in, change the initial password, create a stream, publish
// to it with ffmpeg using the key the UI shows, see it live on the
// dashboard with its thumbnail, play its public watch page, disable it and
// see the watch page go offline; then find its recording (recd records it)
// on the Recordings page, play and keep it.  Screenshots of every page go to --screenshots DIR.
//
//   node tests/browser/dashboard.mjs --api http://127.0.0.1:PORT \
//        --flv http://127.0.0.1:PORT --rtmp-port PORT --password INITIAL \
//        [--new-password PW] [--stream NAME] [--relay-key KEY] [--screenshots DIR] [--verbose]
//
// With --relay-key, the key of another stream of the same Nyon, the live
// stream is also forwarded (fwdd) to that stream, and to a key Nyon refuses:
// the streams page shows each destination's state, rate, reconnections and
// the server's reason.
//
// Prints "ok - WHAT" / "not ok - WHAT" lines on stdout (for the TAP test
// that runs it) and "# ..." notes.  Stops at the first failure that later
// steps depend on.  Exit status: 0 all passed, 1 a check failed, 2 usage,
// 3 setup (node modules, Chromium), 128+n on signal n.
// Environment: NYON_CHROMIUM overrides the browser (default /usr/bin/chromium).

import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.NYON_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
	'--autoplay-policy=no-user-gesture-required',
];
const HARD_TIMEOUT_MS = 180000;

function usage(msg) {
	process.stderr.write(`dashboard.mjs: ${msg}\nusage: node dashboard.mjs --api URL --flv URL ` +
	    '--rtmp-port PORT --password PW [--new-password PW] [--stream NAME] ' +
	    '[--relay-key KEY] [--screenshots DIR] [--verbose]\n');
	process.exit(2);
}

const opt = { api: null, flv: null, rtmpPort: null, password: null,
    newPassword: 'a-new-Passw0rd', stream: 'field-cam', shots: 'build/screenshots',
    relayKey: null, verbose: false };
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i], v = () => {
		if (process.argv[i + 1] === undefined)
			usage(`${a} needs a value`);
		return process.argv[++i];
	};
	switch (a) {
	case '--api': opt.api = v().replace(/\/$/, ''); break;
	case '--flv': opt.flv = v().replace(/\/$/, ''); break;
	case '--rtmp-port': opt.rtmpPort = Number(v()); break;
	case '--password': opt.password = v(); break;
	case '--new-password': opt.newPassword = v(); break;
	case '--stream': opt.stream = v(); break;
	case '--relay-key': opt.relayKey = v(); break;
	case '--screenshots': opt.shots = v(); break;
	case '--verbose': case '-v': opt.verbose = true; break;
	default: usage(`unknown argument ${a}`);
	}
}
if (!opt.api || !opt.flv || !opt.rtmpPort || !opt.password)
	usage('--api, --flv, --rtmp-port and --password are required');

let browser = null, ffmpeg = null, failures = 0, exiting = false;
const note = (m) => process.stdout.write(`# ${m}\n`);
const vlog = (m) => { if (opt.verbose) note(m); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ok(what) {
	process.stdout.write(`ok - ${what}\n`);
}
function notOk(what, why) {
	failures++;
	process.stdout.write(`not ok - ${what}\n`);
	if (why)
		note(String(why).split('\n')[0]);
}
// check(WHAT, fn): fn throws (or returns false) to fail
async function check(what, fn) {
	try {
		const r = await fn();
		if (r === false)
			throw new Error('false');
		ok(what);
		return true;
	} catch (e) {
		notOk(what, e && e.message);
		return false;
	}
}
// must(WHAT, fn): as check, but later steps need it
async function must(what, fn) {
	if (!await check(what, fn))
		await finish(1);
}

async function finish(code) {
	if (exiting)
		return new Promise(() => {});
	exiting = true;
	if (ffmpeg && ffmpeg.exitCode === null)
		ffmpeg.kill('SIGINT');
	if (browser)
		await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
	process.exit(code || (failures ? 1 : 0));
}
for (const [sig, no] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1]])
	process.on(sig, () => { note(`interrupted by ${sig}`); finish(128 + no); });
setTimeout(() => { notOk('finishes within the time limit', `${HARD_TIMEOUT_MS} ms`); finish(1); },
    HARD_TIMEOUT_MS).unref();

async function shot(page, name) {
	const file = path.join(opt.shots, name + '.png');
	try {
		await page.screenshot({ path: file, fullPage: true, timeout: 10000 });
		note(`screenshot ${file}`);
	} catch (e) {
		note(`screenshot ${file} failed: ${e.message.split('\n')[0]}`);
	}
}

// Polls fn (in the test) until it returns truthy; returns that value.
async function until(what, fn, ms = 15000, every = 250) {
	const end = Date.now() + ms;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last)
				return last;
		} catch (e) {
			last = e.message;
		}
		if (Date.now() > end)
			throw new Error(`${what}: gave up after ${ms} ms (last: ${JSON.stringify(last)})`);
		await sleep(every);
	}
}

// The live stream pushed back into this Nyon: under a key it refuses, and
// under another stream's key (--relay-key), which takes it.
async function forwardingLive(page) {
	const nyon = `rtmp://127.0.0.1:${opt.rtmpPort}/live`;
	const row = (n) => `[data-testid=destinations] tbody tr:nth-child(${n})`;
	const cells = async (n) => page.$$eval(`${row(n)} td`, (tds) => tds.map((td) => td.textContent));
	await page.goto(opt.api + '/#/streams');
	await page.waitForSelector(`tr[data-stream="${opt.stream}"]`);
	if (!(await page.$('[data-testid=forward-form]')))
		await page.click(`tr[data-stream="${opt.stream}"] button[aria-expanded]`);
	await must('two destinations are added while the stream is live', async () => {
		for (const [n, u] of [[1, `${nyon}/refusedDashKey77`], [2, `${nyon}/${opt.relayKey}`]]) {
			await page.fill('[data-testid=forward-form] input[name=url]', u);
			await page.click('[data-testid=forward-form] button[type=submit]');
			await until(`destination ${n}`, () => page.$(row(n)), 8000);
		}
	});
	await check('the refused one shows its state, reconnections and the server\'s reason', async () => {
		const c = await until('refused', async () => {
			const t = await cells(1);
			return /retrying|failing/.test(t[1]) && Number(t[3]) >= 1 &&
			    /NetStream\.Publish\.BadName/.test(t[0]) ? t : null;
		}, 30000);
		note(`refused: ${c.slice(0, 4).join(' | ')}`);
		return !(await page.textContent('#view')).includes('refusedDashKey77');
	});
	await check('the accepting one is live with its rate and the bytes sent', async () => {
		const c = await until('live', async () => {
			const t = await cells(2);
			const kbps = /(\d+) kbps/.exec(t[2]);
			return t[1] === 'live' && kbps && Number(kbps[1]) > 0 && /sent/.test(t[2]) ? t : null;
		}, 30000);
		note(`relay: ${c.slice(0, 4).join(' | ')}`);
		return !(await page.textContent('#view')).includes(opt.relayKey);
	});
	await shot(page, '05-forwarding-live');
	await check('both are removed', async () => {
		for (const n of [2, 1]) {
			await page.click(`${row(1)} button:has-text("Remove")`);
			await page.click('dialog.confirm button[value=ok]');
			await until(`${n - 1} left`, async () => (await page.$$('[data-testid=destinations] tbody tr')).length === n - 1, 8000);
		}
	});
}

function publish(key) {
	const url = `rtmp://127.0.0.1:${opt.rtmpPort}/live/${key}`;
	ffmpeg = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-re',
	    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
	    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
	    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency',
	    '-pix_fmt', 'yuv420p', '-g', '25', '-b:v', '800k',
	    '-c:a', 'aac', '-b:a', '64k', '-t', '120', '-f', 'flv', url],
	    { stdio: ['ignore', 'ignore', 'pipe'] });
	ffmpeg.stderr.on('data', (d) => vlog(`ffmpeg: ${String(d).trim()}`));
	ffmpeg.on('exit', (c, s) => vlog(`ffmpeg exited (${c ?? s})`));
}

async function main() {
	let chromium;
	try {
		({ chromium } = require('playwright-core'));
	} catch (e) {
		process.stderr.write('dashboard.mjs: playwright-core missing: run tests/browser/setup.sh\n');
		process.exit(3);
	}
	fs.mkdirSync(opt.shots, { recursive: true });
	try {
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
		    args: CHROMIUM_ARGS, timeout: 30000,
		    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
	} catch (e) {
		process.stderr.write(`dashboard.mjs: cannot launch ${CHROMIUM}: ${e.message.split('\n')[0]}\n`);
		process.exit(3);
	}
	const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
	const page = await ctx.newPage();
	const pageErrors = [];
	page.on('pageerror', (e) => pageErrors.push(e.message));
	page.on('console', (m) => vlog(`dashboard console.${m.type()}: ${m.text()}`));
	page.setDefaultTimeout(10000);

	// --- sign in, forced password change
	await must('the dashboard loads with a login form', async () => {
		await page.goto(opt.api + '/', { waitUntil: 'load' });
		await page.waitForSelector('form.login input[name=password]');
	});
	await shot(page, '01-login');
	await check('a wrong password is refused with the server\'s message', async () => {
		await page.fill('input[name=username]', 'admin');
		await page.fill('input[name=password]', 'not-the-password');
		await page.click('button[type=submit]');
		const t = await page.textContent('form.login .alert.error');
		return t.length > 0;
	});
	await must('signing in with the initial password asks for a new one', async () => {
		await page.fill('input[name=password]', opt.password);
		await page.click('button[type=submit]');
		await page.waitForSelector('[data-testid=password-form]');
	});
	await shot(page, '02-change-password');
	await check('mismatched new passwords are shown next to the field', async () => {
		await page.fill('input[name=current_password]', opt.password);
		await page.fill('input[name=new_password]', opt.newPassword);
		await page.fill('input[name=confirm]', opt.newPassword + 'x');
		await page.click('[data-testid=password-form] button[type=submit]');
		await page.waitForSelector('input[name=confirm] ~ .field-error');
	});
	await must('the password change leads to the dashboard', async () => {
		await page.fill('input[name=confirm]', opt.newPassword);
		await page.click('[data-testid=password-form] button[type=submit]');
		await page.waitForSelector('#top:not([hidden]) >> text=Dashboard');
		await page.waitForSelector('[data-testid=health] .stat');
	});
	await check('the health cards show CPU, memory and uptime', () => until('health', async () => {
		// the CPU figure needs two samples: it may take one refresh
		const t = await page.textContent('[data-testid=health]');
		return /CPU\s*\d+%/.test(t) && /Memory\s*\d+%/.test(t) && /Uptime\s*\d/.test(t);
	}, 12000));
	await shot(page, '03-dashboard');

	// --- create a stream; errors are shown by their field
	await page.goto(opt.api + '/#/streams');
	await must('a stream can be created', async () => {
		await page.click('[data-testid=new-stream]');
		await page.fill('[data-testid=create-form] input[name=name]', opt.stream);
		await page.fill('[data-testid=create-form] input[name=description]', 'Test pattern from ffmpeg');
		await page.selectOption('[data-testid=create-form] select[name=protocol]', 'rtmp');
		await page.fill('[data-testid=create-form] input[name=max_bitrate]', '4000');
		await page.selectOption('[data-testid=create-form] select[name=record]', 'on');
		await page.click('[data-testid=create-form] button[type=submit]');
		await page.waitForSelector(`tr[data-stream="${opt.stream}"]`);
	});
	await check('a duplicate name is refused, the error next to the name', async () => {
		await page.click('[data-testid=new-stream]');
		await page.fill('[data-testid=create-form] input[name=name]', opt.stream);
		await page.click('[data-testid=create-form] button[type=submit]');
		await page.waitForSelector('[data-testid=create-form] .alert.error');
		const t = await page.textContent('[data-testid=create-form]');
		await page.click('[data-testid=create-form] button[type=button]');
		return /name/i.test(t);
	});
	let key = '';
	await must('the stream\'s details show its key, URLs and a QR code', async () => {
		await page.waitForSelector('[data-testid=stream-details]');
		key = (await page.textContent('[data-testid=stream-key]')).trim();
		const server = await page.textContent('[data-testid=obs-server]');
		const srt = await page.textContent('[data-testid=srt-url]');
		const play = await page.textContent('[data-testid=play-url]');
		const watch = await page.textContent('[data-testid=watch-url]');
		const qr = await page.$eval('[data-testid=stream-details] .qr img', (i) => i.naturalWidth);
		note(`key ${key}; ${server}; ${play}; ${watch}`);
		if (!key || !/^rtmp:\/\/.+:\d+\/live$/.test(server) ||
		    !srt.includes(`streamid=#!::r=live/${key},m=publish`) ||
		    !play.endsWith(`/live/${encodeURIComponent(opt.stream)}.flv`) ||
		    !watch.endsWith(`/watch/${encodeURIComponent(opt.stream)}`) || !(qr > 0))
			throw new Error(`bad details: ${key} ${server} ${srt} ${play} ${watch} qr ${qr}`);
	});
	await shot(page, '04-streams');

	// --- forwarding: a destination added, masked, revealed, removed
	await check('a bad destination URL is refused with the reason', async () => {
		await page.fill('[data-testid=forward-form] input[name=url]', 'http://example.org/live/x');
		await page.click('[data-testid=forward-form] button[type=submit]');
		await page.waitForSelector('[data-testid=forward-form] .alert.error');
		return /rtmp:\/\/, rtmps:\/\/ or srt:\/\//.test(await page.textContent('[data-testid=forward-form]'));
	});
	await check('a destination is added and listed with its key masked', async () => {
		await page.fill('[data-testid=forward-form] input[name=url]', 'rtmp://127.0.0.1:9/live/dashSecretKey42');
		await page.click('[data-testid=forward-form] button[type=submit]');
		const u = await until('destination row', async () => {
			const el = await page.$('[data-testid=destinations] [data-testid=destination-url]');
			return el && (await el.textContent());
		});
		note(`destination ${u}`);
		return u === 'rtmp://127.0.0.1:9/live/****' && !(await page.textContent('#view')).includes('dashSecretKey42');
	});
	await shot(page, '04-forwarding');
	await check('"Show key" shows it whole', async () => {
		await page.click('[data-testid=destinations] button:has-text("Show key")');
		return until('revealed', async () => (await page.textContent(
		    '[data-testid=destinations] [data-testid=destination-url]')).endsWith('/dashSecretKey42'));
	});
	await check('the destination is removed', async () => {
		await page.click('[data-testid=destinations] button:has-text("Remove")');
		await page.click('dialog.confirm button[value=ok]');
		return until('gone', async () => !(await page.$('[data-testid=destinations] [data-testid=destination-url]')));
	});

	// --- publish with the key from the UI; live on the dashboard
	publish(key);
	await page.goto(opt.api + '/#/');
	await must('the stream shows as live on the dashboard with bitrate and viewers', async () => {
		await until('live row', () => page.$(`tr[data-stream="${opt.stream}"]`), 20000);
	});
	await check('the preview player plays it and the resolution shows', async () => {
		await page.click(`tr[data-stream="${opt.stream}"] button`);
		await until('preview size', () => page.$eval('[data-testid=preview] video',
		    (v) => v.videoWidth > 0 && v.currentTime > 0.5), 15000);
		await until('resolution cell', async () => (await page.textContent(
		    `tr[data-stream="${opt.stream}"] [data-testid=resolution]`)).includes('640×360'), 8000);
	});
	await sleep(5500); // one refresh: bitrate and fps filled in
	await check('the live stream shows its thumbnail', () => until('thumbnail',
	    () => page.$eval(`tr[data-stream="${opt.stream}"] img.thumb`,
	        (i) => i.complete && i.naturalWidth === 640), 15000));
	await shot(page, '05-dashboard-live');

	// --- forwarding while live: fwdd's state of each destination
	if (opt.relayKey)
		await forwardingLive(page);

	// --- the public watch page
	const watch = await ctx.newPage();
	watch.on('pageerror', (e) => pageErrors.push('watch: ' + e.message));
	const watchUrl = `${opt.flv}/watch/${encodeURIComponent(opt.stream)}`;
	await must('the watch page loads from flvd', async () => {
		const r = await watch.goto(watchUrl, { waitUntil: 'load' });
		if (!r.ok())
			throw new Error(`HTTP ${r.status()}`);
		const title = await watch.textContent('#title');
		if (title !== opt.stream)
			throw new Error(`title ${title}`);
	});
	let st = null;
	await check('the watch page plays the stream (size, time advancing)', async () => {
		const t0 = await until('video', async () => {
			const s = await watch.evaluate(() => window.nyonWatch.state());
			return s.state === 'live' && s.videoWidth > 0 ? s : null;
		}, 15000);
		st = await until('currentTime advancing 2 s', async () => {
			const s = await watch.evaluate(() => window.nyonWatch.state());
			return s.currentTime - t0.currentTime >= 2 ? s : null;
		}, 10000);
		const poster = await watch.$eval('video', (v) => v.poster);
		if (!poster.endsWith(`/thumb/${encodeURIComponent(opt.stream)}.jpg`))
			throw new Error(`poster ${poster}`);
		note(`watch: ${st.videoWidth}x${st.videoHeight} t=${st.currentTime.toFixed(2)} ` +
		    `latency ${st.latency === null ? '?' : st.latency.toFixed(2)} s`);
		return st.videoWidth === 640 && st.videoHeight === 360;
	});
	await check('the watch page\'s latency is under 2 s', async () => {
		const s = await watch.evaluate(() => window.nyonWatch.state());
		if (!(s.latency !== null && s.latency < 2))
			throw new Error(`latency ${s.latency}`);
	});
	await shot(watch, '06-watch-live');

	// --- sessions, settings, help, about
	await page.goto(opt.api + '/#/sessions');
	await check('the sessions page lists the publisher as active', async () => {
		await until('active row', async () => (await page.textContent('#view')).includes(opt.stream), 8000);
		await page.waitForSelector('button:has-text("Kick")');
	});
	await shot(page, '07-sessions');
	await page.goto(opt.api + '/#/settings');
	await check('settings: a refused value shows the server\'s error', async () => {
		await page.waitForSelector('[data-testid=config-form] input[name=max_concurrent_streams]');
		await page.fill('[data-testid=config-form] input[name=max_concurrent_streams]', '100000');
		await page.click('[data-testid=config-form] button[type=submit]');
		await page.waitForSelector('[data-testid=config-form] .alert.error');
	});
	await check('settings: a good value is saved', async () => {
		await page.fill('[data-testid=config-form] input[name=max_concurrent_streams]', '5');
		await page.click('[data-testid=config-form] button[type=submit]');
		await until('saved', async () => {
			const r = await page.evaluate(async () => {
				const res = await fetch('/api/config', { headers: {
				    Authorization: 'Bearer ' + localStorage.getItem('nyon.token') } });
				return res.json();
			});
			const d = r.data;
			const v = Array.isArray(d) ? (d.find((c) => c.key === 'max_concurrent_streams') || {}).value : d.max_concurrent_streams;
			return String(v) === '5';
		}, 5000);
	});
	await shot(page, '08-settings');
	await page.goto(opt.api + '/#/help');
	await page.waitForSelector('text=OBS Studio');
	await shot(page, '09-help');
	await page.goto(opt.api + '/#/about');
	await page.waitForSelector('text=Third-party code');
	await shot(page, '10-about');

	// --- a phone-sized screen
	const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
	await phone.addInitScript((t) => { localStorage.setItem('nyon.token', t); },
	    await page.evaluate(() => localStorage.getItem('nyon.token')));
	const pp = await phone.newPage();
	pp.on('pageerror', (e) => pageErrors.push('phone: ' + e.message));
	await pp.goto(opt.api + '/#/streams');
	await check('on a phone screen the streams page fits the width', async () => {
		await pp.waitForSelector(`tr[data-stream="${opt.stream}"]`);
		const w = await pp.evaluate(() => document.documentElement.scrollWidth);
		if (w > 390)
			throw new Error(`page is ${w} px wide`);
	});
	await pp.click(`tr[data-stream="${opt.stream}"] button[aria-expanded]`);
	await shot(pp, '11-phone-streams');
	await pp.goto(opt.flv + '/watch/' + encodeURIComponent(opt.stream));
	await sleep(3000);
	await shot(pp, '12-phone-watch');
	await phone.close();

	// --- disable: the publisher is cut off, the watch page goes offline
	await page.goto(opt.api + '/#/streams');
	await must('the stream can be disabled', async () => {
		const row = `tr[data-stream="${opt.stream}"]`;
		await page.waitForSelector(`${row} [data-testid=toggle]:has-text("Disable")`);
		await page.click(`${row} [data-testid=toggle]`);
		await until('disabled badge', async () =>
		    (await page.textContent(`${row} [data-testid=state]`)).includes('disabled'), 8000);
	});
	await shot(page, '13-streams-disabled');
	await check('the publisher is disconnected', () => until('ffmpeg exit',
	    () => ffmpeg.exitCode !== null || ffmpeg.signalCode !== null, 15000));
	await check('the watch page shows offline', async () => {
		await until('offline', async () => (await watch.evaluate(() => window.nyonWatch.state())).state === 'offline', 30000);
		const badge = await watch.textContent('#badge');
		return /offline/i.test(badge);
	});
	await shot(watch, '14-watch-offline');

	// --- the recording of that publish: listed, played, kept
	await page.goto(opt.api + '/#/recordings');
	const rec = '[data-recording]';
	await check('the Recordings page lists the publish, with its thumbnail', async () => {
		await until('a recording', () => page.$(rec), 15000);
		const t = await page.textContent(rec);
		if (!t.includes(opt.stream))
			throw new Error(`row ${t}`);
		await until('its thumbnail', () => page.$eval(`${rec} img.thumb`,
		    (i) => i.complete && i.naturalWidth === 640), 10000);
	});
	await check('it plays in the page', async () => {
		await page.click(`${rec} button:has-text("Play")`);
		await until('playing', () => page.$eval('[data-testid=recording-player] video',
		    (v) => v.videoWidth === 640 && v.currentTime > 1), 15000);
	});
	await shot(page, '15-recordings');
	await check('it can be kept', async () => {
		await page.click(`${rec} [data-testid=keep]`);
		await until('kept', async () => (await page.textContent(rec)).includes('kept'), 8000);
	});
	await page.goto(opt.api + '/#/streams');

	// --- enable and publish again: the open watch page recovers by itself
	await check('after enabling and publishing again the watch page is live again', async () => {
		await page.click(`tr[data-stream="${opt.stream}"] [data-testid=toggle]`);
		await until('enabled', async () => !(await page.textContent(
		    `tr[data-stream="${opt.stream}"] [data-testid=state]`)).includes('disabled'), 8000);
		publish(key);
		await until('live again', async () => {
			const s = await watch.evaluate(() => window.nyonWatch.state());
			return s.state === 'live' && s.videoWidth > 0;
		}, 30000);
	});

	await check('log out returns to the login form', async () => {
		await page.click('#logout');
		await page.waitForSelector('form.login');
	});
	await check('no uncaught errors in the pages', () => {
		if (pageErrors.length)
			throw new Error(pageErrors.join('; '));
	});
	await finish(0);
}

main().catch((e) => {
	notOk('runs to the end', e && e.stack ? e.stack.split('\n').slice(0, 2).join(' ') : e);
	finish(1);
});
