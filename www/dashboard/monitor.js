// Monitoring: alerts, graphs of the last hours (SVG drawn here, no chart
// library), today's viewers per stream and the latest viewer sessions.
// Everything comes from /api/history, /api/config/health and /api/viewers.
import { get } from './api.js';
import { h, fmtBytes, fmtDuration } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 520, H = 150, PAD = { l: 44, r: 8, t: 8, b: 20 };
const COLORS = ['#2563eb', '#e5484d', '#1b873f', '#d97706', '#7c3aed', '#0891b2'];

function s(tag, attrs, ...kids) {
	const el = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {}))
		el.setAttribute(k, v);
	for (const k of kids)
		el.append(k instanceof Node ? k : document.createTextNode(String(k)));
	return el;
}

// A round upper bound for an axis: 1, 2, 5 times a power of ten.
function niceMax(v) {
	if (!(v > 0))
		return 1;
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	for (const m of [1, 2, 5, 10])
		if (v <= m * p)
			return m * p;
	return 10 * p;
}

// One graph: series is [{ name, points: [[t, v], ...] }]; null v is a gap.
export function lineChart(title, unit, series, from, to, fixedMax) {
	const vals = series.flatMap((x) => x.points.map((p) => p[1])).filter((v) => v !== null);
	const max = fixedMax || niceMax(Math.max(0, ...vals));
	const iw = W - PAD.l - PAD.r, ih = H - PAD.t - PAD.b;
	const X = (t) => PAD.l + (to > from ? (t - from) / (to - from) : 0) * iw;
	const Y = (v) => PAD.t + ih - Math.min(v, max) / max * ih;
	const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img',
	    'aria-label': title, 'data-series': series.length, 'data-points': vals.length });
	for (let i = 0; i <= 4; i++) {
		const v = max * i / 4, y = Y(v);
		svg.append(s('line', { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: 'grid' }),
		    s('text', { x: PAD.l - 4, y: y + 4, 'text-anchor': 'end', class: 'axis' },
		        Math.round(v * 10) / 10));
	}
	const span = to - from;
	const fmt = span > 2 * 86400 ? { month: 'short', day: 'numeric', hour: '2-digit' } :
	    span < 600 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' };
	for (const t of [from, (from + to) / 2, to]) {
		const d = new Date(t * 1000);
		svg.append(s('text', { x: X(t), y: H - 4, 'text-anchor': t === from ? 'start' : t === to ? 'end' : 'middle',
		    class: 'axis' }, span > 2 * 86400 ? d.toLocaleString([], fmt) : d.toLocaleTimeString([], fmt)));
	}
	series.forEach((x, i) => {
		const color = COLORS[i % COLORS.length], pts = x.points;
		let d = '';
		pts.forEach(([t, v], k) => {
			if (v === null)
				return;
			const pen = k > 0 && pts[k - 1][1] !== null;
			d += `${pen ? 'L' : 'M'}${X(t).toFixed(1)},${Y(v).toFixed(1)} `;
			// a sample between gaps has no line: a dot shows it
			if (!pen && (k === pts.length - 1 || pts[k + 1][1] === null))
				svg.append(s('circle', { cx: X(t).toFixed(1), cy: Y(v).toFixed(1), r: 2.2, fill: color }));
		});
		if (d)
			svg.append(s('path', { d, fill: 'none', stroke: color, 'stroke-width': 1.6, 'data-name': x.name }));
	});
	const legend = h('div', { class: 'legend' }, series.map((x, i) =>
	    h('span', {}, h('i', { style: `background:${COLORS[i % COLORS.length]}` }), x.name)));
	return h('figure', { class: 'card graph', 'data-testid': 'graph', 'data-title': title },
	    h('figcaption', {}, title, unit ? h('span', { class: 'muted' }, ` (${unit})`) : null), svg, legend);
}

const col = (rows, i) => rows.map((r) => [r[0], r[i]]);

function graphs(hist) {
	const box = hist.box || [], to = hist.to;
	const streams = Object.entries(hist.streams || {});
	// a history younger than the range is drawn across the whole width
	const first = Math.min(...box.map((r) => r[0]), ...streams.flatMap(([, rows]) => rows.map((r) => r[0])));
	const from = Number.isFinite(first) ? Math.max(hist.from, first - hist.step) : hist.from;
	const per = (i) => streams.map(([name, rows]) => ({ name, points: col(rows, i) }));
	const out = [
	    lineChart('Bitrate in', 'kb/s', per(1), from, to),
	    lineChart('Viewers', '', per(2), from, to),
	    lineChart('Bandwidth out', 'kb/s', per(3), from, to),
	    lineChart('CPU and memory', '%', [{ name: 'CPU', points: col(box, 1) },
	        { name: 'memory', points: col(box, 2) }], from, to, 100),
	    lineChart('Network', 'kb/s', [{ name: 'in', points: col(box, 5) },
	        { name: 'out', points: col(box, 6) }], from, to),
	    lineChart('Load', '', [{ name: 'load (1 min)', points: col(box, 4) }], from, to),
	];
	if (box.some((r) => r[3] !== null))
		out.push(lineChart('Temperature', '°C', [{ name: 'SoC', points: col(box, 3) }], from, to));
	return out;
}

function alertsBox(health) {
	const al = (health && health.alerts) || [];
	if (al.length === 0)
		return h('div', { class: 'alert info', 'data-testid': 'alerts' }, 'No alerts.');
	return h('div', { class: 'alert error', 'data-testid': 'alerts' }, h('strong', {}, 'Alerts'),
	    h('ul', {}, al.map((a) => h('li', {}, (a.stream ? `${a.stream}: ` : '') + a.message))));
}

function statsTable(st) {
	const rows = (st && st.streams) || [];
	if (rows.length === 0)
		return h('p', { class: 'muted' }, 'Nobody has watched today.');
	return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'viewer-stats' },
	    h('thead', {}, h('tr', {}, ['Stream', 'Unique viewers', 'Peak', 'Watching', 'Sessions', 'Sent']
	        .map((t) => h('th', {}, t)))),
	    h('tbody', {}, rows.map((r) => h('tr', {}, h('td', {}, h('strong', {}, r.stream)),
	        h('td', {}, r.unique_viewers), h('td', {}, r.peak_viewers), h('td', {}, r.live),
	        h('td', {}, r.sessions), h('td', {}, fmtBytes(r.bytes)))))));
}

function sessionsTable(list) {
	if (!list || list.length === 0)
		return h('p', { class: 'muted' }, 'No viewer sessions yet.');
	return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'viewer-sessions' },
	    h('thead', {}, h('tr', {}, ['Stream', 'Output', 'Address', 'Started', 'For', 'Sent', 'Player']
	        .map((t) => h('th', {}, t)))),
	    h('tbody', {}, list.map((v) => h('tr', {}, h('td', {}, v.stream), h('td', {}, v.output),
	        h('td', {}, v.address), h('td', {}, new Date(v.started * 1000).toLocaleString()),
	        h('td', {}, fmtDuration(v.duration) + (v.live ? ' (watching)' : '')),
	        h('td', {}, v.live ? '—' : fmtBytes(v.bytes)),
	        h('td', { class: 'muted' }, (v.user_agent || '').slice(0, 60)))))));
}

export function monitorView(root) {
	let gone = false, timer = 0, range = '1h';
	const alerts = h('div', {});
	const pick = h('select', { 'aria-label': 'Range', class: 'range', onchange: () => { range = pick.value; load(); } },
	    ['15m', '1h', '6h', '24h', '7d', '30d'].map((r) => h('option', { value: r, selected: r === range }, r)));
	const graphBox = h('div', { class: 'graphs' }, h('p', { class: 'muted' }, 'Loading…'));
	const statsBox = h('div', { class: 'card' });
	const sessBox = h('div', { class: 'card' });
	root.append(h('h1', {}, 'Monitor ', pick), alerts, graphBox,
	    h('h2', {}, 'Viewers today (UTC)'), statsBox, h('h2', {}, 'Latest viewer sessions'), sessBox);

	async function load() {
		clearTimeout(timer);
		const [hist, health, st, list] = await Promise.allSettled([
		    get('/api/history?range=' + range), get('/api/config/health'),
		    get('/api/viewers/stats'), get('/api/viewers?limit=50')]);
		if (gone)
			return;
		alerts.replaceChildren(health.status === 'fulfilled' ? alertsBox(health.value) :
		    h('div', { class: 'alert error' }, health.reason.message));
		graphBox.replaceChildren(...(hist.status === 'fulfilled' ? graphs(hist.value) :
		    [h('div', { class: 'alert error' }, hist.reason.message)]));
		statsBox.replaceChildren(st.status === 'fulfilled' ? statsTable(st.value) :
		    h('div', { class: 'alert error' }, st.reason.message));
		sessBox.replaceChildren(list.status === 'fulfilled' ? sessionsTable(list.value) :
		    h('div', { class: 'alert error' }, list.reason.message));
		timer = setTimeout(load, 10000);
	}
	load();
	return () => { gone = true; clearTimeout(timer); };
}
