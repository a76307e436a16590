// Server health and the live streams, refreshed every 5 s, with a preview
// player for one stream at a time.
import { get } from './api.js';
import { h, banner, fmtDuration, fmtBytes } from './ui.js';
import { netInfo, previewUrl, previewWhep, thumbUrl } from './net.js';
import * as player from './player.js';

const REFRESH_MS = 5000;

// Health fields may be plain numbers or small objects; take what is there.
const pick = (o, ...keys) => {
	for (const k of keys)
		if (o && o[k] !== undefined && o[k] !== null)
			return o[k];
	return undefined;
};

function statCard(label, value, sub, pct) {
	return h('div', { class: 'card stat' },
	    h('div', { class: 'label' }, label),
	    h('div', { class: 'value' }, value),
	    sub ? h('div', { class: 'muted' }, sub) : null,
	    pct === undefined ? null : h('div', { class: 'bar' },
	        h('div', { style: `width:${Math.min(100, Math.max(0, pct)).toFixed(0)}%` })));
}

function healthCards(hl) {
	const cpu = typeof hl.cpu === 'object' ? hl.cpu : { percent: hl.cpu };
	const cpuPct = pick(cpu, 'percent', 'usage', 'usage_percent');
	const load = pick(hl, 'load') || pick(cpu, 'load');
	const temp = pick(cpu, 'temperature_c');
	const mem = hl.memory || {};
	const total = pick(mem, 'total', 'total_bytes'), used = pick(mem, 'used', 'used_bytes');
	const memPct = pick(mem, 'percent', 'usage_percent') ?? (total ? used / total * 100 : undefined);
	const up = typeof hl.uptime === 'object' ? pick(hl.uptime, 'system', 'seconds', 'process') : hl.uptime;
	const live = liveStreams(hl);
	return h('div', { class: 'grid', 'data-testid': 'health' },
	    statCard('CPU', cpuPct === undefined ? '—' : `${Number(cpuPct).toFixed(0)}%`,
	        [Array.isArray(load) && load.length ? 'load ' + load.map((x) => Number(x).toFixed(2)).join(' ') : '',
	            temp === undefined ? '' : `${Number(temp).toFixed(0)} °C`].filter(Boolean).join(' · '), cpuPct),
	    statCard('Memory', memPct === undefined ? '—' : `${Number(memPct).toFixed(0)}%`,
	        total ? `${fmtBytes(used || 0)} of ${fmtBytes(total)}` : null, memPct),
	    statCard('Uptime', up === undefined ? '—' : fmtDuration(up),
	        hl.daemons ? Object.entries(hl.daemons).map(([d, st]) => `${d} ${st}`).join(' · ') : null),
	    statCard('Live streams', String(live.length),
	        `${live.reduce((a, s) => a + (Number(pick(s, 'viewers')) || 0), 0)} viewers`));
}

function liveStreams(hl) {
	const l = pick(hl, 'live_streams', 'streams', 'live') || [];
	return Array.isArray(l) ? l : [];
}

export function dashboardView(root) {
	let timer = 0, stopPlayer = null, previewing = null, net = null, gone = false;
	const healthBox = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
	const liveBox = h('div', { class: 'card' }, h('h2', {}, 'Live now'), h('p', { class: 'muted' }, 'Loading…'));
	const video = h('video', { muted: true, autoplay: true, playsInline: true });
	const note = h('div', { class: 'note' });
	const previewTitle = h('h2', {}, 'Preview');
	const previewCard = h('div', { class: 'card', hidden: true, 'data-testid': 'preview' },
	    previewTitle, h('div', { class: 'preview' }, video, note),
	    h('div', { class: 'actions', style: 'margin-top:.6rem' },
	        h('button', { type: 'button', class: 'small', onclick: () => stopPreview() }, 'Close preview')));
	const warnBox = h('div', {});
	root.append(h('h1', {}, 'Dashboard'), warnBox, healthBox, liveBox, previewCard);

	function stopPreview() {
		if (stopPlayer)
			stopPlayer();
		stopPlayer = null;
		previewing = null;
		previewCard.hidden = true;
	}
	function preview(name) {
		stopPreview();
		const ended = (why) => {
			note.textContent = 'Stopped: ' + why;
			stopPlayer = null;
		};
		const flv = (why) => {
			if (!player.canPlay()) {
				banner(new Error('This browser cannot play HTTP-FLV (no Media Source Extensions).'));
				return;
			}
			previewTitle.textContent = `Preview: ${name} (HTTP-FLV${why ? ': ' + why : ''})`;
			stopPlayer = player.play(video, previewUrl(net, name), ended);
		};
		previewing = name;
		previewTitle.textContent = 'Preview: ' + name + ' (WebRTC)';
		previewCard.hidden = false;
		note.textContent = '';
		if (typeof RTCPeerConnection === 'undefined')
			flv('no WebRTC in this browser');
		else
			stopPlayer = player.playWebRTC(video, previewWhep(net, name), ended, flv);
		previewCard.scrollIntoView({ block: 'nearest' });
	}

	function resolution(s) {
		const w = pick(s, 'width'), ht = pick(s, 'height');
		if (w && ht)
			return `${w}×${ht}`;
		if (previewing === s.name && video.videoWidth)
			return `${video.videoWidth}×${video.videoHeight}`;
		return '—';
	}

	// WebRTC viewers and the worst of their receiver reports
	function webrtcCell(s) {
		const v = Array.isArray(s.webrtc) ? s.webrtc : [];
		if (v.length === 0)
			return String(pick(s, 'webrtc_viewers') ?? 0);
		const worst = (k) => Math.max(...v.map((x) => Number(x[k]) || 0));
		return `${v.length} · loss ${worst('loss_pct').toFixed(1)}% · ` +
		    `jitter ${worst('jitter_ms').toFixed(0)} ms · RTT ${worst('rtt_ms').toFixed(0)} ms`;
	}

	function renderLive(list) {
		const rows = list.map((s) => {
			const kbps = pick(s, 'bitrate_kbps', 'kbps', 'bitrate');
			const fps = pick(s, 'fps');
			// a new picture every refresh; a stream without one yet shows none
			const img = h('img', { class: 'thumb', alt: '', src: thumbUrl(net, s.name, Math.floor(Date.now() / REFRESH_MS)),
			    onerror: (ev) => { ev.target.style.visibility = 'hidden'; } });
			// ingestd's warning while a publisher is over its max_bitrate
			const over = s.bitrate_warning ?
			    h('span', { class: 'badge warn', title: s.bitrate_warning, 'data-testid': 'bitrate-warning' }, 'over max') : null;
			return h('tr', { 'data-stream': s.name },
			    h('td', {}, img),
			    h('td', {}, h('span', { class: 'badge live' }, 'live'), ' ', h('strong', {}, s.name)),
			    h('td', { class: 'num' }, kbps === undefined ? '—' : `${Math.round(kbps)} kbps`,
			        s.max_kbps ? h('span', { class: 'muted' }, ` / ${s.max_kbps}`) : null, over ? ' ' : null, over),
			    h('td', { class: 'num' }, fps === undefined ? '—' : Number(fps).toFixed(0)),
			    h('td', { class: 'num', 'data-testid': 'resolution' }, resolution(s)),
			    h('td', { class: 'num' }, String(pick(s, 'viewers') ?? 0)),
			    h('td', { class: 'num', 'data-testid': 'webrtc' }, webrtcCell(s)),
			    h('td', { class: 'num hide-narrow' }, s.protocol || ''),
			    h('td', {}, h('button', { type: 'button', class: 'small', onclick: () => preview(s.name) }, 'Preview')));
		});
		liveBox.replaceChildren(h('h2', {}, 'Live now'), list.length === 0 ?
		    h('p', { class: 'muted' }, 'Nothing is live. Publishers connect with the URLs on the ', h('a', { href: '#/streams' }, 'Streams'), ' page.') :
		    h('div', { class: 'table-wrap' }, h('table', {},
		        h('thead', {}, h('tr', {}, ['', 'Stream', 'Bitrate', 'FPS', 'Resolution', 'Viewers', 'WebRTC'].map((t) => h('th', {}, t)),
		            h('th', { class: 'hide-narrow' }, 'Protocol'), h('th', {}))),
		        h('tbody', {}, rows))));
	}

	async function refresh() {
		try {
			if (!net)
				net = await netInfo();
			const hl = await get('/api/config/health');
			if (gone)
				return;
			healthBox.replaceChildren(healthCards(hl));
			const rec = hl.recording;
			warnBox.replaceChildren(rec && rec.paused ? h('div', { class: 'alert error', role: 'alert', 'data-testid': 'recording-paused' },
			    rec.warning || 'Recording is paused: the disk is nearly full.') : '');
			const live = liveStreams(hl);
			renderLive(live);
			if (previewing && !live.some((s) => s.name === previewing) && !stopPlayer)
				stopPreview();
		} catch (e) {
			if (!gone)
				healthBox.replaceChildren(h('div', { class: 'alert error' }, e.message));
		}
		if (!gone)
			timer = setTimeout(refresh, REFRESH_MS);
	}
	refresh();
	// the resolution column fills in once the preview knows the size
	video.addEventListener('resize', () => {
		const td = liveBox.querySelector(`tr[data-stream="${CSS.escape(previewing || '')}"] [data-testid=resolution]`);
		if (td && video.videoWidth)
			td.textContent = `${video.videoWidth}×${video.videoHeight}`;
	});
	return () => {
		gone = true;
		clearTimeout(timer);
		stopPreview();
	};
}
