#!/usr/bin/env node
// graphs.mjs — the dashboard's Monitor page in headless Chromium: signed in
// with an API token the test made, it waits for the graphs the page draws
// from /api/history (hand-drawn SVG) and the viewer tables, checks that the
// bitrate graph has a line with points for each stream named, and saves a
// screenshot.
//
//   node tests/browser/graphs.mjs --api URL --token JWT --streams a,b --screenshot FILE
//
// Prints "ok - WHAT" / "not ok - WHAT" lines for the TAP test that runs it.
// Exit status: 0 all passed, 1 a check failed, 2 usage, 3 setup.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.NYON_CHROMIUM || '/usr/bin/chromium';
const opt = { api: null, token: null, streams: [], shot: null };
for (let i = 2; i < process.argv.length; i++) {
	const a = process.argv[i], v = process.argv[++i];
	if (v === undefined)
		usage(`${a} needs a value`);
	if (a === '--api') opt.api = v.replace(/\/$/, '');
	else if (a === '--token') opt.token = v;
	else if (a === '--streams') opt.streams = v.split(',');
	else if (a === '--screenshot') opt.shot = v;
	else usage(`unknown argument ${a}`);
}
if (!opt.api || !opt.token || !opt.shot)
	usage('--api, --token and --screenshot are needed');

function usage(msg) {
	process.stderr.write(`graphs.mjs: ${msg}\n`);
	process.exit(2);
}

let failed = 0;
function report(ok, what) {
	console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);
	if (!ok)
		failed++;
}

const timer = setTimeout(() => { console.log('not ok - graphs.mjs gave up after 90 s'); process.exit(1); }, 90000);
let chromium;
try {
	({ chromium } = require('playwright-core'));
} catch (e) {
	process.stderr.write('graphs.mjs: playwright-core missing: run tests/browser/setup.sh\n');
	process.exit(3);
}
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 30000,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
const errors = [];
let page;
try {
	page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
	page.on('pageerror', (e) => errors.push(e.message));
	page.setDefaultTimeout(20000);
	// the token as the login form would have left it
	await page.goto(opt.api + '/', { waitUntil: 'load' });
	await page.evaluate((t) => {
		localStorage.setItem('nyon.token', t);
		localStorage.setItem('nyon.mustChange', '0');
	}, opt.token);
	// a new document, so that api.js reads the token
	await page.goto(opt.api + '/#/monitor', { waitUntil: 'load' });
	await page.reload({ waitUntil: 'load' });
	await page.waitForSelector('figure[data-testid=graph] svg path');
	const graphs = await page.$$eval('figure[data-testid=graph]', (fs) => fs.map((f) => ({
	    title: f.getAttribute('data-title'),
	    points: Number(f.querySelector('svg').getAttribute('data-points')),
	    lines: [...f.querySelectorAll('svg path')].map((p) => ({ name: p.getAttribute('data-name'),
	        segs: (p.getAttribute('d').match(/[ML]/g) || []).length })) })));
	report(graphs.length >= 6, `the Monitor page draws ${graphs.length} graphs`);
	const bitrate = graphs.find((g) => g.title === 'Bitrate in');
	for (const name of opt.streams) {
		const line = bitrate && bitrate.lines.find((l) => l.name === name);
		report(line && line.segs >= 2, `the bitrate graph has a line for ${name} (${line ? line.segs : 0} points)`);
	}
	const cpu = graphs.find((g) => g.title === 'CPU and memory');
	report(cpu && cpu.points >= 2, `the CPU and memory graph has points (${cpu ? cpu.points : 0})`);
	await page.waitForSelector('[data-testid=viewer-stats] tbody tr');
	const stats = await page.$$eval('[data-testid=viewer-stats] tbody tr td:first-child', (t) => t.map((x) => x.textContent));
	report(opt.streams.every((s) => stats.includes(s)), `today's viewers are listed per stream (${stats.join(', ')})`);
	report(await page.$('[data-testid=viewer-sessions] tbody tr') !== null, 'viewer sessions are listed');
	fs.mkdirSync(path.dirname(opt.shot), { recursive: true });
	await page.screenshot({ path: opt.shot, fullPage: true });
	report(fs.statSync(opt.shot).size > 10000, `screenshot saved in ${opt.shot}`);
	report(errors.length === 0, `no page errors${errors.length ? ': ' + errors.join('; ') : ''}`);
} catch (e) {
	report(false, `the Monitor page: ${e.message.split('\n')[0]}`);
	for (const m of errors)
		process.stderr.write(`graphs.mjs: page error: ${m}\n`);
	const text = await page.textContent('#view').catch(() => '');
	process.stderr.write(`graphs.mjs: the page said: ${text.slice(-600)}\n`);
	await page.screenshot({ path: opt.shot, fullPage: true }).catch(() => {});
} finally {
	clearTimeout(timer);
	await browser.close();
}
process.exit(failed ? 1 : 0);
