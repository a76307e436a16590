// Recordings: what recd kept of the recorded streams, newest first, with a
// thumbnail each; play in the page (the signed URL lets the <video>
// element fetch it with range requests, so it seeks), download, keep
// (exempt from retention) and delete.
import { get, put, del } from './api.js';
import { h, banner, toast, confirmDialog, fmtTime, fmtDuration, fmtBytes } from './ui.js';

export function recordingsView(root) {
	let gone = false, timer = 0, playing = null;
	const warnBox = h('div', {});
	const player = h('video', { controls: true, playsInline: true, preload: 'metadata' });
	const playerTitle = h('h2', {}, 'Recording');
	const playerCard = h('div', { class: 'card', hidden: true, 'data-testid': 'recording-player' },
	    playerTitle, h('div', { class: 'preview' }, player),
	    h('div', { class: 'actions', style: 'margin-top:.6rem' },
	        h('button', { type: 'button', class: 'small', onclick: () => stop() }, 'Close')));
	const list = h('div', { class: 'card' }, h('p', { class: 'muted' }, 'Loading…'));
	root.append(h('h1', {}, 'Recordings'), warnBox, playerCard, list);

	function stop() {
		player.pause();
		player.removeAttribute('src');
		player.load();
		playing = null;
		playerCard.hidden = true;
	}
	function play(r) {
		playing = r.id;
		playerTitle.textContent = `${r.stream} · ${fmtTime(r.started_at)}`;
		player.src = r.url;
		playerCard.hidden = false;
		player.play().catch(() => { /* the controls are there */ });
		playerCard.scrollIntoView({ block: 'nearest' });
	}
	async function act(fn, done) {
		try {
			await fn();
			toast(done);
		} catch (e) {
			banner(e);
		}
		load();
	}

	function render(d) {
		warnBox.replaceChildren(d.paused ? h('div', { class: 'alert error', role: 'alert', 'data-testid': 'recording-paused' },
		    d.warning || 'Recording is paused: the disk is nearly full.') : '');
		const recs = d.recordings || [];
		if (recs.length === 0) {
			list.replaceChildren(h('p', { class: 'muted' },
			    'No recordings. Turn recording on for a stream (Streams, Edit), and its next publish is kept here.'));
			return;
		}
		list.replaceChildren(h('div', { class: 'table-wrap' }, h('table', {},
		    h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'Stream'), h('th', {}, 'Started'),
		        h('th', { class: 'num' }, 'Duration'), h('th', { class: 'num hide-narrow' }, 'Size'),
		        h('th', { class: 'hide-narrow' }, 'Codecs'), h('th', {}))),
		    h('tbody', {}, recs.map((r) => h('tr', { 'data-recording': r.id },
		        h('td', {}, r.thumbnail_url ? h('img', { class: 'thumb', src: r.thumbnail_url, alt: '', loading: 'lazy' }) : ''),
		        h('td', {}, h('strong', {}, r.stream), ' ',
		            r.recording ? h('span', { class: 'badge live' }, 'recording') : '',
		            r.keep ? h('span', { class: 'badge on' }, 'kept') : ''),
		        h('td', {}, fmtTime(r.started_at)),
		        h('td', { class: 'num' }, fmtDuration(r.duration)),
		        h('td', { class: 'num hide-narrow' }, fmtBytes(r.size)),
		        h('td', { class: 'hide-narrow' }, h('code', {}, r.codecs || ''),
		            r.width ? ` ${r.width}×${r.height}` : ''),
		        h('td', {}, h('div', { class: 'actions' },
		            h('button', { type: 'button', class: 'small', onclick: () => play(r) }, 'Play'),
		            h('a', { class: 'button small', href: r.url + '&download=1', download: r.file }, 'Download'),
		            h('button', { type: 'button', class: 'small', 'data-testid': 'keep',
		                onclick: () => act(() => put(`/api/recordings/${r.id}`, { keep: !r.keep }), r.keep ? 'No longer kept' : 'Kept') },
		                r.keep ? 'Unkeep' : 'Keep'),
		            h('button', { type: 'button', class: 'small danger', disabled: r.recording, onclick: async () => {
		                if (await confirmDialog(`Delete the recording of ${r.stream} from ${fmtTime(r.started_at)}?`)) {
		                    if (playing === r.id)
		                        stop();
		                    act(() => del(`/api/recordings/${r.id}`), 'Deleted');
		                }
		            } }, 'Delete')))))))));
	}

	async function load() {
		clearTimeout(timer);
		try {
			const d = await get('/api/recordings');
			if (!gone)
				render(d);
		} catch (e) {
			if (!gone)
				list.replaceChildren(h('div', { class: 'alert error' }, e.message));
		}
		if (!gone)
			timer = setTimeout(load, 10000);
	}
	load();
	return () => { gone = true; clearTimeout(timer); stop(); };
}
