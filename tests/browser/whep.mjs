#!/usr/bin/env node
// whep.mjs — WebRTC playback checks in headless Chromium.
//
//   node tests/browser/whep.mjs --whep URL [--seconds N] [--stamp]
//        [--delete] [--relay HOST:PORT] [--no-rtx] [--verbose]
//   node tests/browser/whep.mjs --page URL [--seconds N] [--stamp]
//        [--join N] [--verbose]
//
// --whep: a plain RTCPeerConnection (recvonly video and audio) POSTs its
// offer to the WHEP URL and plays what comes back in a <video>.  --page:
// loads a page (the watch page) and watches its first <video>.  For N
// seconds (default 10) it samples getStats (--whep) and the video; with
// --stamp it reads, off each displayed frame (requestVideoFrameCallback
// drawn into a canvas), the time stamp tests/bench/stamp.py put there,
// and compares it with the clock of this machine: glass-to-glass latency.
// --join N loads the page N times in a row (a fresh page each time) and
// reports each join.  --delete ends the session with DELETE at the end and
// waits for the connection to close.  --relay sends the media through
// HOST:PORT instead of the answer's candidates (a lossy path for NACK
// tests: tests/integration/udp-lossy.py): each candidate's address and
// port are replaced with it.  --no-rtx POSTs the offer without its rtx
// codecs (a client without RFC 4588).
//
// Prints one JSON line on stdout: {"ok", "status" (of the POST), "error",
// "firstFrameMs" (from the POST), "framesDecoded", "freezeCount",
// "videoPackets": [per second], "audioPackets": [...], "latency": {"n",
// "p50", "p99", "min", "max"}, "joins": [...], "answerLines" (the
// answer's extmap, ssrc-group and rtx lines), "deleteStatus",
// "closedAfterDelete", "endedState", ...}.  Exit 0 when the page played
// (frames decoded), 1 when not, 2 usage, 3 setup.
//
// Chromium is Debian's (/usr/bin/chromium or $NYON_CHROMIUM), with
// loopback allowed for WebRTC (tests use 127.0.0.1 only).

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const CHROMIUM = process.env.NYON_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
	'--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
	'--autoplay-policy=no-user-gesture-required',
	'--allow-loopback-in-peer-connection',
];

function usage(msg) {
	if (msg)
		process.stderr.write(`whep.mjs: ${msg}\n`);
	process.stderr.write('usage: node whep.mjs (--whep URL | --page URL) ' +
	    '[--seconds N] [--stamp] [--join N] [--delete] [--relay HOST:PORT] ' +
	    '[--no-rtx] [--verbose]\n');
	process.exit(2);
}

function parseArgs(argv) {
	const o = { whep: null, page: null, seconds: 10, stamp: false,
	    del: false, verbose: false, join: 1, relay: null, noRtx: false };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const val = () => {
			if (argv[i + 1] === undefined)
				usage(`${a} needs a value`);
			return argv[++i];
		};
		switch (a) {
		case '--whep': o.whep = val(); break;
		case '--page': o.page = val(); break;
		case '--seconds': o.seconds = Number(val()); break;
		case '--join': o.join = Number(val()); break;
		case '--stamp': o.stamp = true; break;
		case '--delete': o.del = true; break;
		case '--relay': o.relay = val(); break;
		case '--no-rtx': o.noRtx = true; break;
		case '--verbose': case '-v': o.verbose = true; break;
		default: usage(`unknown argument ${a}`);
		}
	}
	if (!o.whep === !o.page)
		usage('one of --whep and --page');
	if (!(o.seconds > 0) || !(o.join >= 1))
		usage('bad --seconds or --join');
	if (o.relay !== null && !/^[0-9.]+:[0-9]+$/.test(o.relay))
		usage('--relay wants IPV4:PORT');
	return o;
}

// The in-page part: a WHEP client, and the stamp reader.
const CLIENT = `
"use strict";
window.nyonTest = (function () {
	const st = { status: null, error: null, t0: 0, firstFrame: null,
	    lat: [], location: null, frames: 0, badStamps: 0, pc: null,
	    states: [] };
	const canvas = document.createElement('canvas');
	const ctx = canvas.getContext('2d', { willReadFrequently: true });
	function readStamp(video) {
		const w = video.videoWidth, h = video.videoHeight;
		if (w < 640 || h < 32)
			return null;
		if (canvas.width !== w) { canvas.width = w; canvas.height = 16; }
		ctx.drawImage(video, 0, 0, w, 16, 0, 0, w, 16);
		const px = ctx.getImageData(0, 8, 640, 1).data;
		let v = 0n;
		for (let i = 0; i < 40; i++)
			v = (v << 1n) | (px[(i * 16 + 8) * 4] > 128 ? 1n : 0n);
		const ms = Number(v >> 8n), check = Number(v & 255n);
		const sum = ((ms >>> 24) + ((ms >>> 16) & 255) +
		    ((ms >>> 8) & 255) + (ms & 255)) & 255;
		return sum === check ? ms : null;
	}
	function watch(video, stamp) {
		const cb = (now, meta) => {
			st.frames++;
			if (st.firstFrame === null)
				st.firstFrame = now - st.t0;
			if (stamp) {
				const ms = readStamp(video);
				if (ms === null)
					st.badStamps++;
				else {
					const shown = (performance.timeOrigin +
					    meta.expectedDisplayTime) % 4294967296;
					let d = shown - ms;
					if (d < -2147483648) d += 4294967296;
					// a misread that passed the check sum
					if (d < -1000 || d > 60000)
						st.badStamps++;
					else
						st.lat.push(d);
				}
			}
			video.requestVideoFrameCallback(cb);
		};
		video.requestVideoFrameCallback(cb);
	}
	async function whep(url, stamp, relay, noRtx) {
		const video = document.getElementById('v');
		const pc = new RTCPeerConnection();
		st.pc = pc;
		pc.addTransceiver('video', { direction: 'recvonly' });
		pc.addTransceiver('audio', { direction: 'recvonly' });
		const ms = new MediaStream();
		pc.ontrack = (e) => { ms.addTrack(e.track); video.srcObject = ms; };
		pc.onconnectionstatechange = () =>
		    st.states.push([Math.round(performance.now() - st.t0), pc.connectionState]);
		watch(video, stamp);
		await pc.setLocalDescription(await pc.createOffer());
		st.t0 = performance.now();
		let offer = pc.localDescription.sdp;
		// an offer as from a client without RTX: its rtx codecs unnamed
		if (noRtx)
			offer = offer.replace(/^a=rtpmap:\\d+ rtx\\/.*\\r?\\n/gm, '');
		let r;
		try {
			r = await fetch(url, { method: 'POST', body: offer,
			    headers: { 'Content-Type': 'application/sdp' } });
		} catch (e) {
			st.error = 'fetch: ' + e.message;
			return;
		}
		st.status = r.status;
		const body = await r.text();
		if (r.status !== 201) {
			st.error = body;
			return;
		}
		st.location = new URL(r.headers.get('Location'), url).href;
		st.answer = body;
		let sdp = body;
		if (relay) {
			const [ip, port] = relay.split(':');
			// in this template: \\ is one backslash in the page
			sdp = sdp.replace(/^(a=candidate:\\S+ \\d+ udp \\d+) \\S+ \\d+ /gm,
			    '$1 ' + ip + ' ' + port + ' ');
		}
		await pc.setRemoteDescription({ type: 'answer', sdp });
	}
	async function stats() {
		const out = { video: null, audio: null, state: st.pc ? st.pc.connectionState : null };
		if (!st.pc)
			return out;
		const r = await st.pc.getStats();
		r.forEach((s) => {
			if (s.type === 'inbound-rtp')
				out[s.kind] = { packetsReceived: s.packetsReceived,
				    packetsLost: s.packetsLost, framesDecoded: s.framesDecoded,
				    framesDropped: s.framesDropped, freezeCount: s.freezeCount,
				    totalFreezesDuration: s.totalFreezesDuration,
				    jitter: s.jitter, nackCount: s.nackCount,
				    pliCount: s.pliCount,
				    retransmittedPacketsReceived: s.retransmittedPacketsReceived,
				    retransmittedBytesReceived: s.retransmittedBytesReceived,
				    ssrc: s.ssrc, rtxSsrc: s.rtxSsrc,
				    totalSamplesReceived: s.totalSamplesReceived,
				    jitterBufferDelay: s.jitterBufferDelay,
				    jitterBufferTargetDelay: s.jitterBufferTargetDelay,
				    jitterBufferMinimumDelay: s.jitterBufferMinimumDelay,
				    jitterBufferEmittedCount: s.jitterBufferEmittedCount,
				    concealedSamples: s.concealedSamples,
				    silentConcealedSamples: s.silentConcealedSamples,
				    concealmentEvents: s.concealmentEvents,
				    insertedSamplesForDeceleration: s.insertedSamplesForDeceleration,
				    removedSamplesForAcceleration: s.removedSamplesForAcceleration,
				    totalAudioEnergy: s.totalAudioEnergy,
				    framesReceived: s.framesReceived,
				    totalInterFrameDelay: s.totalInterFrameDelay,
				    estimatedPlayoutTimestamp: s.estimatedPlayoutTimestamp };
		});
		// estimatedPlayoutTimestamp is the sender's NTP time (the
		// sender reports' clock) of what plays now: against this
		// clock, how far behind each track plays, and the two apart
		out.now = performance.timeOrigin + performance.now();
		return out;
	}
	async function del() {
		if (!st.location)
			return null;
		const r = await fetch(st.location, { method: 'DELETE' });
		return r.status;
	}
	return { st, whep, stats, del, watch };
})();
`;
const PAGE = `<!doctype html><html><head><meta charset="utf-8"></head>
<body style="margin:0;background:#000"><video id="v" muted autoplay playsinline
style="width:640px;height:360px"></video><script>${CLIENT}</script></body></html>`;

let server = null, browser = null, exiting = false;

async function finish(code) {
	if (exiting)
		return;
	exiting = true;
	const tasks = [];
	if (browser)
		tasks.push(browser.close().catch(() => {}));
	if (server) {
		tasks.push(new Promise((r) => server.close(() => r())));
		if (server.closeAllConnections)
			server.closeAllConnections();
	}
	await Promise.race([Promise.all(tasks), new Promise((r) => setTimeout(r, 5000).unref())]);
	process.exit(code);
}
for (const [sig, no] of [['SIGTERM', 15], ['SIGINT', 2]])
	process.on(sig, () => finish(128 + no));

function pct(a, p) {
	if (!a.length)
		return null;
	const s = [...a].sort((x, y) => x - y);
	return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]);
}
function summary(lat) {
	return { n: lat.length, p50: pct(lat, 0.5), p99: pct(lat, 0.99),
	    min: pct(lat, 0), max: pct(lat, 1) };
}

async function runWhep(opt, page, say) {
	const out = { ok: false, mode: 'whep', url: opt.whep };
	await page.evaluate(([u, s, r, n]) => window.nyonTest.whep(u, s, r, n),
	    [opt.whep, opt.stamp, opt.relay, opt.noRtx]);
	let st = await page.evaluate(() => {
		const s = window.nyonTest.st;
		return { status: s.status, error: s.error, location: s.location,
		    answer: s.answer };
	});
	// what the answer negotiated beyond codecs: extensions, RTX
	out.answerLines = (st.answer || '').split(/\r?\n/).filter((l) =>
	    /^a=(extmap:|ssrc-group:|rtpmap:\d+ rtx\/|fmtp:\d+ apt=)/.test(l));
	delete st.answer;
	Object.assign(out, st);
	if (st.status !== 201)
		return out;
	out.videoPackets = [];
	out.audioPackets = [];
	// each second's jitter buffers (ms a sample or frame waited in it),
	// and what the audio's did to keep its level: concealed (ran dry),
	// stretched (decelerated) or squeezed (accelerated) samples
	out.buffers = [];
	const jb = (a, b) => {
		if (!a || !b)
			return null;
		const n = b.jitterBufferEmittedCount - a.jitterBufferEmittedCount;
		return n > 0 ? Math.round(1000 * (b.jitterBufferDelay - a.jitterBufferDelay) / n) : null;
	};
	const NTP_UNIX_MS = 2208988800000;
	const behind = (s, t) => {
		if (!t || !t.estimatedPlayoutTimestamp)
			return null;
		let e = t.estimatedPlayoutTimestamp;
		if (e > NTP_UNIX_MS)
			e -= NTP_UNIX_MS;
		return Math.round(s.now - e);
	};
	const dif = (a, b, k) => (a && b && b[k] !== undefined ? b[k] - a[k] : null);
	// the first frame, then the measured span
	const t0 = Date.now();
	let prev = null;
	for (let i = 0; Date.now() - t0 < opt.seconds * 1000; i++) {
		await new Promise((r) => setTimeout(r, 1000));
		const s = await page.evaluate(() => window.nyonTest.stats());
		out.videoPackets.push(s.video ? s.video.packetsReceived : 0);
		out.audioPackets.push(s.audio ? s.audio.packetsReceived : 0);
		if (prev)
			out.buffers.push({ audio: jb(prev.audio, s.audio),
			    audioBehind: behind(s, s.audio), videoBehind: behind(s, s.video),
			    video: jb(prev.video, s.video),
			    concealed: dif(prev.audio, s.audio, 'concealedSamples'),
			    stretched: dif(prev.audio, s.audio, 'insertedSamplesForDeceleration'),
			    squeezed: dif(prev.audio, s.audio, 'removedSamplesForAcceleration') });
		prev = s;
		out.last = s;
		say(`t=${i + 1}s state=${s.state} video=${JSON.stringify(s.video)} audio packets=${s.audio && s.audio.packetsReceived}`);
	}
	st = await page.evaluate(() => {
		const s = window.nyonTest.st;
		return { firstFrame: s.firstFrame, lat: s.lat, frames: s.frames,
		    badStamps: s.badStamps, states: s.states };
	});
	out.firstFrameMs = st.firstFrame === null ? null : Math.round(st.firstFrame);
	out.framesShown = st.frames;
	out.badStamps = st.badStamps;
	out.latency = summary(st.lat);
	// the median of each second's frames: does the delay drift?
	out.latencySeries = [];
	for (let i = 0; i < st.lat.length; i += 30)
		out.latencySeries.push(pct(st.lat.slice(i, i + 30), 0.5));
	out.states = st.states;
	const v = out.last.video || {};
	out.framesDecoded = v.framesDecoded ?? 0;
	out.freezeCount = v.freezeCount ?? null;
	out.totalFreezesDuration = v.totalFreezesDuration ?? null;
	out.audioSamples = out.last.audio ? out.last.audio.totalSamplesReceived : 0;
	if (opt.del) {
		out.deleteStatus = await page.evaluate(() => window.nyonTest.del());
		let closed = false;
		for (let i = 0; i < 50 && !closed; i++) {
			await new Promise((r) => setTimeout(r, 100));
			const s = await page.evaluate(() => window.nyonTest.stats());
			closed = s.state === 'closed' || s.state === 'failed' ||
			    s.state === 'disconnected';
			out.endedState = s.state;
		}
		// and no more packets come
		const a = await page.evaluate(() => window.nyonTest.stats());
		await new Promise((r) => setTimeout(r, 1500));
		const b = await page.evaluate(() => window.nyonTest.stats());
		out.packetsAfterDelete = (b.video ? b.video.packetsReceived : 0) -
		    (a.video ? a.video.packetsReceived : 0);
	}
	out.ok = out.framesDecoded > 0;
	return out;
}

async function runPage(opt, browser, say) {
	const out = { ok: false, mode: 'page', url: opt.page, joins: [] };
	for (let j = 0; j < opt.join; j++) {
		const page = await browser.newPage({ viewport: { width: 960, height: 600 } });
		page.on('console', (m) => say(`console.${m.type()}: ${m.text()}`));
		await page.goto(opt.page, { waitUntil: 'load', timeout: 15000 });
		await page.addScriptTag({ content: CLIENT });
		const t0 = Date.now();
		await page.evaluate((s) => {
			const v = document.querySelector('video');
			window.nyonTest.st.t0 = performance.now();
			window.nyonTest.watch(v, s);
		}, opt.stamp);
		await new Promise((r) => setTimeout(r, opt.seconds * 1000));
		const st = await page.evaluate(() => {
			const s = window.nyonTest.st;
			const w = window.nyonWatch ? window.nyonWatch.state() : {};
			return { firstFrame: s.firstFrame, lat: s.lat, frames: s.frames,
			    badStamps: s.badStamps, watch: w };
		});
		const join = { firstFrameMs: st.firstFrame === null ? null : Math.round(st.firstFrame),
		    frames: st.frames, badStamps: st.badStamps,
		    latency: summary(st.lat), watch: st.watch, ms: Date.now() - t0 };
		out.joins.push(join);
		say(`join ${j + 1}: ${JSON.stringify(join)}`);
		await page.close();
	}
	out.ok = out.joins.every((j) => j.frames > 0);
	return out;
}

async function main() {
	const opt = parseArgs(process.argv.slice(2));
	const say = opt.verbose ? (m) => process.stderr.write(`whep.mjs: ${m}\n`) : () => {};
	let chromium;
	try {
		({ chromium } = require('playwright-core'));
	} catch (e) {
		process.stderr.write(`whep.mjs: SETUP: run ${path.join(HERE, 'setup.sh')}\n`);
		return finish(3);
	}
	const hardMs = (opt.seconds * opt.join + 60) * 1000;
	setTimeout(() => {
		process.stderr.write(`whep.mjs: FAIL: hard timeout after ${hardMs} ms\n`);
		finish(1);
	}, hardMs).unref();
	server = http.createServer((req, res) => {
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
		res.end(PAGE);
	});
	await new Promise((r) => server.listen(0, '127.0.0.1', r));
	try {
		browser = await chromium.launch({ executablePath: CHROMIUM,
		    headless: true, args: CHROMIUM_ARGS, timeout: 30000,
		    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
	} catch (e) {
		process.stderr.write(`whep.mjs: SETUP: cannot launch ${CHROMIUM}: ${String(e.message).split('\n')[0]}\n`);
		return finish(3);
	}
	let out;
	if (opt.whep) {
		const page = await browser.newPage({ viewport: { width: 800, height: 500 } });
		page.on('console', (m) => say(`console.${m.type()}: ${m.text()}`));
		await page.goto(`http://127.0.0.1:${server.address().port}/`);
		out = await runWhep(opt, page, say);
	} else
		out = await runPage(opt, browser, say);
	process.stdout.write(JSON.stringify(out) + '\n');
	return finish(out.ok ? 0 : 1);
}

main().catch((e) => {
	process.stderr.write(`whep.mjs: FAIL: ${String(e && e.message || e).split('\n')[0]}\n`);
	finish(1);
});
