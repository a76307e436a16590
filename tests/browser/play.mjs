#!/usr/bin/env node
// play.mjs — check that an HTTP-FLV URL actually plays in headless Chromium.
//
//   node tests/browser/play.mjs URL [--seconds N] [--expect-width W]
//        [--expect-height H] [--screenshot FILE] [--verbose]
//
// Serves a minimal page plus mpegts.js from a throwaway HTTP server on
// 127.0.0.1 (port 0), loads it in Debian's Chromium through playwright-core,
// and plays URL with mpegts.js (type flv, isLive, liveBufferLatencyChasing).
// Passes once the video has a size and its currentTime has advanced by at
// least 2 s; fails fast on a player or media error; gives up after N seconds
// (default 15).  Prints one JSON line on stdout in every case where the page
// got that far, and a one-line verdict on stderr.
//
// Exit status: 0 playing (and the size matches, if asked); 1 playback check
// failed (timeout, player error, wrong size); 2 usage error; 3 setup error
// (no node_modules, Chromium will not start, ...); 128+signo on a signal.
//
// Environment: NYON_CHROMIUM overrides the browser (default /usr/bin/chromium).

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const MIN_ADVANCE = 2.0;            // seconds of currentTime progress required
const POLL_MS = 100;
const LAUNCH_TIMEOUT_MS = 30000;
const CLOSE_GRACE_MS = 5000;
const CHROMIUM = process.env.NYON_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
	'--autoplay-policy=no-user-gesture-required',
];

const EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_SETUP = 3;

function usage(msg) {
	if (msg)
		process.stderr.write(`play.mjs: ${msg}\n`);
	process.stderr.write('usage: node play.mjs URL [--seconds N] ' +
	    '[--expect-width W] [--expect-height H] [--screenshot FILE] ' +
	    '[--verbose]\n');
	process.exit(EXIT_USAGE);
}

function parseArgs(argv) {
	const o = { url: null, seconds: 15, width: null, height: null,
	    screenshot: null, verbose: false };
	const num = (name, v, min) => {
		if (v === undefined)
			usage(`${name} needs a value`);
		const n = Number(v);
		if (!Number.isFinite(n) || n < min)
			usage(`${name}: bad value '${v}'`);
		return n;
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		switch (a) {
		case '--seconds': o.seconds = num(a, argv[++i], 1); break;
		case '--expect-width':
			o.width = num(a, argv[++i], 1); break;
		case '--expect-height':
			o.height = num(a, argv[++i], 1); break;
		case '--screenshot':
			if (argv[i + 1] === undefined)
				usage(`${a} needs a file`);
			o.screenshot = path.resolve(argv[++i]);
			break;
		case '--verbose': case '-v': o.verbose = true; break;
		case '--help': case '-h': usage();
		// falls through (usage exits)
		default:
			if (a.startsWith('-'))
				usage(`unknown option ${a}`);
			if (o.url !== null)
				usage('only one URL');
			o.url = a;
		}
	}
	if (o.url === null)
		usage('missing URL');
	try {
		const u = new URL(o.url);
		if (u.protocol !== 'http:' && u.protocol !== 'https:')
			usage(`URL must be http(s): ${o.url}`);
	} catch {
		usage(`bad URL: ${o.url}`);
	}
	return o;
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>nyon play check</title>
<style>html,body{margin:0;height:100%;background:#000;overflow:hidden}
video{display:block;width:100vw;height:100vh;object-fit:contain;background:#000}</style>
</head><body>
<video id="v" muted autoplay playsinline></video>
<script src="/mpegts.js"></script>
<script>
"use strict";
window.nyon = (function () {
	const video = document.getElementById('v');
	const st = { errors: [], started: false, player: null };
	function err(source, type, detail, info) {
		st.errors.push({ source, type: String(type),
		    detail: detail === undefined ? null : String(detail),
		    info: info === undefined ? null : info,
		    at: Math.round(performance.now()) / 1000 });
	}
	const mediaErr = ['', 'MEDIA_ERR_ABORTED', 'MEDIA_ERR_NETWORK',
	    'MEDIA_ERR_DECODE', 'MEDIA_ERR_SRC_NOT_SUPPORTED'];
	video.addEventListener('error', () => {
		const e = video.error;
		err('video', e ? (mediaErr[e.code] || e.code) : 'error',
		    e ? e.message : null);
	});
	window.addEventListener('error', (ev) => err('page', 'exception', ev.message));
	window.addEventListener('unhandledrejection', (ev) =>
	    err('page', 'unhandledrejection', ev.reason && ev.reason.message || ev.reason));
	function start(url) {
		if (typeof mpegts === 'undefined') {
			err('page', 'setup', 'mpegts.js did not load');
			return;
		}
		const f = mpegts.getFeatureList();
		if (!f.mseLivePlayback) {
			err('mpegts', 'unsupported',
			    'browser lacks MSE live playback', f);
			return;
		}
		mpegts.LoggingControl.enableVerbose = false;
		const p = mpegts.createPlayer(
		    { type: 'flv', isLive: true, url: url },
		    { isLive: true, liveBufferLatencyChasing: true,
		      enableStashBuffer: false });
		st.player = p;
		p.on(mpegts.Events.ERROR, (type, detail, info) =>
		    err('mpegts', type, detail, info === undefined ? null :
		        JSON.parse(JSON.stringify(info))));
		p.attachMediaElement(video);
		p.load();
		const r = p.play();
		if (r && r.catch)
			r.catch((e) => err('video', 'play()', e && (e.name + ': ' + e.message)));
		st.started = true;
	}
	function state() {
		const q = video.getVideoPlaybackQuality ?
		    video.getVideoPlaybackQuality() : null;
		const b = video.buffered;
		const bufEnd = b.length ? b.end(b.length - 1) : null;
		return {
			videoWidth: video.videoWidth,
			videoHeight: video.videoHeight,
			currentTime: video.currentTime,
			paused: video.paused,
			readyState: video.readyState,
			decodedFrames: q ? q.totalVideoFrames : null,
			droppedFrames: q ? q.droppedVideoFrames : null,
			latency: bufEnd === null ? null : bufEnd - video.currentTime,
			errors: st.errors.slice(),
		};
	}
	function stop() {
		if (st.player) {
			try { st.player.pause(); } catch (e) {}
			try { st.player.unload(); } catch (e) {}
			try { st.player.detachMediaElement(); } catch (e) {}
			try { st.player.destroy(); } catch (e) {}
			st.player = null;
		}
	}
	return { start, state, stop };
})();
</script>
</body></html>
`;

// ---- resources that must always be released --------------------------------

let server = null;
let browser = null;
let exiting = false;

function closeServer() {
	if (!server)
		return Promise.resolve();
	const s = server;
	server = null;
	return new Promise((resolve) => {
		s.close(() => resolve());
		if (s.closeAllConnections)
			s.closeAllConnections();
	});
}

async function cleanup() {
	const b = browser;
	browser = null;
	const tasks = [closeServer()];
	if (b)
		tasks.push(b.close().catch(() => {}));
	// Never hang here: playwright kills the browser on process exit anyway.
	await Promise.race([Promise.all(tasks),
	    new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
}

async function finish(code) {
	if (exiting)
		return;
	exiting = true;
	await cleanup();
	process.exit(code);
}

for (const [sig, no] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1]]) {
	process.on(sig, () => {
		process.stderr.write(`play.mjs: FAIL: interrupted by ${sig}\n`);
		finish(128 + no);
	});
}

// ---- main ------------------------------------------------------------------

function startServer(mpegtsPath) {
	const js = fs.readFileSync(mpegtsPath);
	const srv = http.createServer((req, res) => {
		const p = new URL(req.url, 'http://x').pathname;
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			res.writeHead(405, { 'Content-Length': 0 });
			res.end();
		} else if (p === '/' || p === '/index.html') {
			res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8',
			    'Cache-Control': 'no-store' });
			res.end(req.method === 'HEAD' ? undefined : PAGE);
		} else if (p === '/mpegts.js') {
			res.writeHead(200, {
			    'Content-Type': 'text/javascript; charset=utf-8',
			    'Content-Length': js.length });
			res.end(req.method === 'HEAD' ? undefined : js);
		} else if (p === '/favicon.ico') {
			res.writeHead(204);
			res.end();
		} else {
			res.writeHead(404, { 'Content-Type': 'text/plain',
			    'Content-Length': 10 });
			res.end(req.method === 'HEAD' ? undefined : 'not found\n');
		}
	});
	return new Promise((resolve, reject) => {
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => resolve(srv));
	});
}

function describeError(e) {
	let s = `${e.source} ${e.type}`;
	if (e.detail)
		s += `: ${e.detail}`;
	if (e.info && typeof e.info === 'object') {
		const i = e.info;
		if (i.code !== undefined || i.msg !== undefined)
			s += ` (${[i.code, i.msg].filter((x) => x !== undefined &&
			    x !== '').join(' ')})`;
	}
	return s;
}

async function main() {
	const opt = parseArgs(process.argv.slice(2));
	const t0 = Date.now();
	const say = (m) => process.stderr.write(`play.mjs: ${m}\n`);
	const vlog = opt.verbose ? say : () => {};

	let chromium, mpegtsPath;
	try {
		({ chromium } = require('playwright-core'));
		mpegtsPath = require.resolve('mpegts.js/dist/mpegts.js');
	} catch (e) {
		say(`SETUP: node modules missing (${e.code || e.message}); ` +
		    `run ${path.join(HERE, 'setup.sh')}`);
		return finish(EXIT_SETUP);
	}
	if (!fs.existsSync(CHROMIUM)) {
		say(`SETUP: no browser at ${CHROMIUM} (set NYON_CHROMIUM)`);
		return finish(EXIT_SETUP);
	}

	// Hard bound on the whole run, whatever hangs.
	const hardMs = (opt.seconds * 1000) + LAUNCH_TIMEOUT_MS + 15000;
	setTimeout(() => {
		say(`FAIL: hard timeout after ${hardMs} ms`);
		finish(EXIT_FAIL);
	}, hardMs).unref();

	try {
		server = await startServer(mpegtsPath);
	} catch (e) {
		say(`SETUP: cannot start local HTTP server: ${e.message}`);
		return finish(EXIT_SETUP);
	}
	const pageUrl = `http://127.0.0.1:${server.address().port}/`;
	vlog(`page server at ${pageUrl}`);

	try {
		// chromium.launch makes a fresh temporary user-data-dir and
		// removes it on close (and on process exit).
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			headless: true,
			args: CHROMIUM_ARGS,
			timeout: LAUNCH_TIMEOUT_MS,
			handleSIGINT: false, handleSIGTERM: false,
			handleSIGHUP: false,
		});
	} catch (e) {
		say(`SETUP: cannot launch ${CHROMIUM}: ` +
		    `${String(e.message).split('\n')[0]}`);
		return finish(EXIT_SETUP);
	}
	if (exiting)
		return;
	vlog(`browser ${browser.version()} up after ${Date.now() - t0} ms`);

	const vw = Math.min(opt.width || 640, 1920);
	const vh = Math.min(opt.height || 360, 1080);
	const page = await browser.newPage({ viewport: { width: vw, height: vh } });
	page.on('console', (m) => vlog(`console.${m.type()}: ${m.text()}`));
	page.on('pageerror', (e) => vlog(`pageerror: ${e.message}`));
	await page.goto(pageUrl, { waitUntil: 'load', timeout: 10000 });
	await page.evaluate((u) => window.nyon.start(u), opt.url);

	const deadline = Date.now() + opt.seconds * 1000;
	let st = null, tStart = null, reason = null;
	for (;;) {
		st = await page.evaluate(() => window.nyon.state());
		if (st.errors.length) {
			reason = 'player error: ' + st.errors.map(describeError).join('; ');
			break;
		}
		if (st.videoWidth > 0 && tStart === null && st.currentTime > 0) {
			tStart = st.currentTime;
			vlog(`video ${st.videoWidth}x${st.videoHeight} playing at ` +
			    `t=${tStart.toFixed(3)} after ${Date.now() - t0} ms`);
		}
		if (tStart !== null && st.currentTime - tStart >= MIN_ADVANCE)
			break;
		if (Date.now() >= deadline) {
			if (st.videoWidth === 0)
				reason = `timeout after ${opt.seconds} s: no video ` +
				    `(readyState ${st.readyState}, ` +
				    `currentTime ${st.currentTime.toFixed(3)})`;
			else
				reason = `timeout after ${opt.seconds} s: currentTime ` +
				    `advanced only ${(st.currentTime - (tStart ?? 0)).toFixed(3)} s ` +
				    `(need ${MIN_ADVANCE}; paused=${st.paused}, ` +
				    `readyState ${st.readyState})`;
			break;
		}
		await new Promise((r) => setTimeout(r, POLL_MS));
	}

	if (!reason && ((opt.width && st.videoWidth !== opt.width) ||
	    (opt.height && st.videoHeight !== opt.height)))
		reason = `wrong size: got ${st.videoWidth}x${st.videoHeight}, ` +
		    `expected ${opt.width ?? '*'}x${opt.height ?? '*'}`;

	if (opt.screenshot) {
		try {
			fs.mkdirSync(path.dirname(opt.screenshot), { recursive: true });
			await page.screenshot({ path: opt.screenshot, timeout: 10000 });
			vlog(`screenshot saved to ${opt.screenshot}`);
		} catch (e) {
			say(`warning: screenshot failed: ${e.message.split('\n')[0]}`);
		}
	}
	await page.evaluate(() => window.nyon.stop()).catch(() => {});

	const r3 = (x) => (x === null || x === undefined) ? null :
	    Math.round(x * 1000) / 1000;
	process.stdout.write(JSON.stringify({
		ok: !reason,
		url: opt.url,
		videoWidth: st.videoWidth,
		videoHeight: st.videoHeight,
		currentTimeStart: r3(tStart),
		currentTimeEnd: r3(st.currentTime),
		decodedFrames: st.decodedFrames,
		droppedFrames: st.droppedFrames,
		errors: st.errors,
		latency: r3(st.latency),
		elapsedMs: Date.now() - t0,
		failure: reason,
	}) + '\n');
	if (reason) {
		say(`FAIL: ${opt.url}: ${reason}`);
		return finish(EXIT_FAIL);
	}
	say(`OK: ${opt.url} playing ${st.videoWidth}x${st.videoHeight}, ` +
	    `currentTime ${tStart.toFixed(2)} -> ${st.currentTime.toFixed(2)}, ` +
	    `latency ${st.latency === null ? '?' : st.latency.toFixed(2)} s`);
	return finish(EXIT_OK);
}

main().catch((e) => {
	if (exiting)	// a signal or the hard timeout is already tearing down
		return;
	process.stderr.write(`play.mjs: FAIL: ${String(e && e.message || e).split('\n')[0]}\n`);
	finish(EXIT_FAIL);
});
