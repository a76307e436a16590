#!/usr/bin/env node
// seek.mjs — check that a recording plays and seeks in headless Chromium.
//
//   node tests/browser/seek.mjs URL [--seek SECONDS] [--timeout SECONDS]
//
// Loads a page holding <video src=URL muted> (the file is fetched by the
// browser's own media stack, with HTTP range requests), waits for its
// metadata, plays it until currentTime passes 1 s with frames decoded,
// then sets currentTime to SECONDS (default: three quarters of the
// duration), waits for 'seeked', and plays on from there until
// currentTime advances and more frames are decoded.  Prints one JSON line
// on stdout and a verdict on stderr.
//
// Exit status: 0 plays and seeks; 1 the check failed; 2 usage; 3 setup
// (no node_modules, Chromium will not start).
//
// Environment: NYON_CHROMIUM overrides the browser (default /usr/bin/chromium).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.NYON_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
	'--autoplay-policy=no-user-gesture-required'];

function usage(msg) {
	if (msg)
		process.stderr.write(`seek.mjs: ${msg}\n`);
	process.stderr.write('usage: node seek.mjs URL [--seek S] [--timeout S]\n');
	process.exit(2);
}

const o = { url: null, seek: null, timeout: 40 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
	if (argv[i] === '--seek')
		o.seek = Number(argv[++i]);
	else if (argv[i] === '--timeout')
		o.timeout = Number(argv[++i]);
	else if (argv[i].startsWith('-'))
		usage(`unknown option ${argv[i]}`);
	else
		o.url = argv[i];
}
if (!o.url || (o.seek !== null && !Number.isFinite(o.seek)) ||
    !Number.isFinite(o.timeout))
	usage();

let chromium;
try {
	({ chromium } = require('playwright-core'));
} catch (e) {
	process.stderr.write('seek.mjs: playwright-core missing: run tests/browser/setup.sh\n');
	process.exit(3);
}

let browser = null;
const out = { ok: false, url: o.url, failure: null };
const deadline = setTimeout(async () => {
	out.failure = out.failure || `timed out after ${o.timeout} s`;
	await finish(1);
}, o.timeout * 1000);

async function finish(code) {
	clearTimeout(deadline);
	process.stdout.write(JSON.stringify(out) + '\n');
	process.stderr.write(`seek.mjs: ${code === 0 ? 'OK' : 'FAIL'}: ` +
	    (out.failure || `seeked to ${out.seekedTo} of ${out.duration} s`) + '\n');
	if (browser)
		await Promise.race([browser.close().catch(() => {}),
		    new Promise((r) => setTimeout(r, 5000).unref())]);
	process.exit(code);
}

try {
	browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS,
	    timeout: 30000 });
} catch (e) {
	process.stderr.write(`seek.mjs: cannot start ${CHROMIUM}: ${e.message}\n`);
	process.exit(3);
}

try {
	const page = await browser.newPage();
	await page.setContent('<!doctype html><video id="v" muted playsinline preload="auto"></video>');
	const r = await page.evaluate(async ({ url, seek }) => {
		const v = document.getElementById('v');
		const frames = () => v.getVideoPlaybackQuality().totalVideoFrames;
		const until = (ev) => new Promise((res, rej) => {
			v.addEventListener(ev, res, { once: true });
			v.addEventListener('error', () => rej(new Error('media error ' +
			    (v.error ? v.error.code + ' ' + v.error.message : ''))), { once: true });
		});
		const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
		const res = {};
		v.src = url;
		await until('loadedmetadata');
		res.duration = v.duration;
		res.width = v.videoWidth;
		res.height = v.videoHeight;
		await v.play();
		for (let i = 0; i < 100 && v.currentTime < 1; i++)
			await sleep(100);
		res.playedTo = v.currentTime;
		res.framesBefore = frames();
		const target = seek === null ? v.duration * 0.75 : seek;
		const seeked = until('seeked');
		v.currentTime = target;
		await seeked;
		res.seekedTo = v.currentTime;
		const f0 = frames(), t0 = v.currentTime;
		for (let i = 0; i < 50 && (v.currentTime < t0 + 1 || frames() <= f0); i++)
			await sleep(100);
		res.after = v.currentTime;
		res.framesAfter = frames();
		res.target = target;
		res.error = v.error ? v.error.code : null;
		return res;
	}, { url: o.url, seek: o.seek });
	Object.assign(out, r);
	if (!(r.duration > 0))
		out.failure = 'no duration';
	else if (!(r.playedTo >= 1) || !(r.framesBefore > 0))
		out.failure = `did not play (currentTime ${r.playedTo}, ${r.framesBefore} frames)`;
	else if (Math.abs(r.seekedTo - r.target) > 1.5)
		out.failure = `seeked to ${r.seekedTo}, not ${r.target}`;
	else if (!(r.after > r.seekedTo + 0.5) || !(r.framesAfter > r.framesBefore))
		out.failure = `no playback after the seek (${r.seekedTo} -> ${r.after})`;
	out.ok = out.failure === null;
	await finish(out.ok ? 0 : 1);
} catch (e) {
	out.failure = e.message;
	await finish(1);
}
