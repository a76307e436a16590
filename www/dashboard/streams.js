// Streams: list, create, edit, enable/disable, new key, delete; and for
// each the URLs to copy into OBS, an SRT camera or a player, with a QR
// code of its watch page.
import { get, post, put, del } from './api.js';
import { h, field, showError, clearError, banner, toast, copyRow, confirmDialog } from './ui.js';
import { netInfo, streamUrls } from './net.js';
import { destinationsPanel } from './forward.js';
import qrcode from '/vendor/qrcode.mjs';

const asList = (d) => Array.isArray(d) ? d : (d && (d.streams || d.items)) || [];

function qrImage(text) {
	const qr = qrcode(0, 'M');
	qr.addData(text);
	qr.make();
	return h('img', { src: qr.createDataURL(4, 2), alt: 'QR code of ' + text, width: 160, height: 160 });
}

// The create and edit form; on submit, save(body) returns a promise.
function streamForm(s, save, cancel) {
	const editing = !!s;
	s = s || { protocol: 'both', max_bitrate: 5000 };
	const form = h('form', { class: 'stack', novalidate: true, 'data-testid': editing ? 'edit-form' : 'create-form' },
	    h('h2', {}, editing ? `Edit ${s.name}` : 'New stream'),
	    field('Name', h('input', { name: 'name', required: true, maxlength: 100, value: s.name || '', placeholder: 'drone1' }),
	        'Public: it is in the play and watch URLs.'),
	    field('Stream key', h('input', { name: 'stream_key', value: editing ? s.stream_key || '' : '', autocomplete: 'off',
	        placeholder: editing ? '' : 'leave empty to generate one' }),
	        'Secret: whoever has it can publish.'),
	    field('Description', h('input', { name: 'description', value: s.description || '' })),
	    field('Protocol', h('select', { name: 'protocol' },
	        ['both', 'rtmp', 'srt'].map((p) => h('option', { value: p, selected: s.protocol === p }, p === 'both' ? 'RTMP and SRT' : p.toUpperCase())))),
	    field('Max bitrate (kbps)', h('input', { name: 'max_bitrate', type: 'number', min: 100, max: 50000, step: 100, value: s.max_bitrate })),
	    field('Record', h('select', { name: 'record' },
	        h('option', { value: 'default', selected: s.record_setting === null || s.record_setting === undefined }, 'The server default'),
	        h('option', { value: 'on', selected: s.record_setting === true }, 'On: record every publish'),
	        h('option', { value: 'off', selected: s.record_setting === false }, 'Off')),
	        'Recordings are on the Recordings page; a change applies at once, also to a live stream.'),
	    h('div', { class: 'actions' },
	        h('button', { class: 'primary', type: 'submit' }, editing ? 'Save' : 'Create stream'),
	        h('button', { type: 'button', onclick: cancel }, 'Cancel')));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearError(form);
		const e = form.elements;
		const body = { name: e.name.value.trim(), description: e.description.value, protocol: e.protocol.value,
		    record: e.record.value === 'default' ? null : e.record.value === 'on' };
		if (e.max_bitrate.value !== '')
			body.max_bitrate = Number(e.max_bitrate.value);
		const key = e.stream_key.value.trim();
		if (key || !editing)
			body.stream_key = key;
		const btn = form.querySelector('button[type=submit]');
		btn.disabled = true;
		try {
			await save(body);
		} catch (err) {
			showError(form, err);
		} finally {
			btn.disabled = false;
		}
	});
	return form;
}

export function streamsView(root) {
	let net = null, streams = [], live = new Set(), open = null, gone = false, timer = 0;
	let forwarding = null;
	const panels = new Map(); // stream id: its destinations panel
	const formBox = h('div', { class: 'card', hidden: true });
	const list = h('div', { class: 'card' }, h('p', { class: 'muted' }, 'Loading…'));
	root.append(
	    h('div', { class: 'actions', style: 'justify-content:space-between;align-items:center' },
	        h('h1', {}, 'Streams'),
	        h('button', { class: 'primary', type: 'button', 'data-testid': 'new-stream', onclick: () => edit(null) }, 'New stream')),
	    formBox, list);

	function edit(s) {
		formBox.hidden = false;
		formBox.replaceChildren(streamForm(s, async (body) => {
			const saved = s ? await put(`/api/streams/${s.id}`, body) : await post('/api/streams', body);
			formBox.hidden = true;
			toast(s ? 'Saved' : `Stream ${saved.name} created`);
			open = saved.id;
			await load();
		}, () => { formBox.hidden = true; }));
		formBox.querySelector('input').focus();
		formBox.scrollIntoView({ block: 'nearest' });
	}

	async function act(fn, done) {
		try {
			await fn();
			if (done)
				toast(done);
		} catch (e) {
			banner(e);
		}
		await load();
	}

	function forwardPanel(s) {
		let p = panels.get(s.id);
		if (!p) {
			p = destinationsPanel(s);
			panels.set(s.id, p);
		}
		p.update(forwarding, { ...s, is_live: s.is_live ?? live.has(s.name) });
		return p.el;
	}

	function details(s) {
		const u = streamUrls(net, s);
		return h('div', { class: 'details', 'data-testid': 'stream-details' },
		    h('div', {},
		        copyRow('OBS server', u.server, 'obs-server'),
		        copyRow('Stream key', u.key, 'stream-key'),
		        copyRow('SRT', u.srt, 'srt-url'),
		        copyRow('Play (VLC)', u.play, 'play-url'),
		        copyRow('Watch page', u.watch, 'watch-url'),
		        net.public ? h('p', { class: 'hint' }, `From the internet use ${net.public} instead of ${net.host}.`) : null,
		        s.description ? h('p', { class: 'muted' }, s.description) : null),
		    h('div', { class: 'qr' }, qrImage(u.watch), h('a', { href: u.watch, target: '_blank', rel: 'noopener' }, 'Open watch page')),
		    forwardPanel(s));
	}

	function render() {
		if (streams.length === 0) {
			list.replaceChildren(h('p', { class: 'muted' }, 'No streams yet: create one, then point OBS or ffmpeg at it.'));
			return;
		}
		const rows = [];
		for (const s of streams) {
			const state = !s.is_active ? h('span', { class: 'badge off' }, 'disabled') :
			    (s.is_live ?? live.has(s.name)) ? h('span', { class: 'badge live' }, 'live') : h('span', { class: 'badge on' }, 'ready');
			rows.push(h('tr', { 'data-stream': s.name },
			    h('td', {}, h('button', { type: 'button', class: 'small ghost', 'aria-expanded': String(open === s.id),
			        onclick: () => { open = open === s.id ? null : s.id; render(); } }, open === s.id ? '▾' : '▸'), ' ',
			        h('strong', {}, s.name)),
			    h('td', { 'data-testid': 'state' }, state, s.record ? h('span', { class: 'badge on', title: 'recorded' }, 'rec') : ''),
			    h('td', { class: 'hide-narrow' }, s.protocol),
			    h('td', { class: 'num hide-narrow' }, `${s.max_bitrate} kbps`),
			    h('td', {}, h('div', { class: 'actions' },
			        h('button', { type: 'button', class: 'small', onclick: () => edit(s) }, 'Edit'),
			        h('button', { type: 'button', class: 'small', 'data-testid': 'toggle',
			            onclick: () => act(() => post(`/api/streams/${s.id}/toggle`), s.is_active ? 'Disabled' : 'Enabled') },
			            s.is_active ? 'Disable' : 'Enable'),
			        h('button', { type: 'button', class: 'small', onclick: async () => {
			            if (await confirmDialog(`Give ${s.name} a new key? A publisher using the old one is cut off.`, 'New key'))
			                act(() => post(`/api/streams/${s.id}/regenerate-key`), 'New key made');
			        } }, 'New key'),
			        h('button', { type: 'button', class: 'small danger', onclick: async () => {
			            if (await confirmDialog(`Delete the stream ${s.name}? This cannot be undone.`))
			                act(() => del(`/api/streams/${s.id}`), 'Deleted');
			        } }, 'Delete')))));
			if (open === s.id)
				rows.push(h('tr', { class: 'open' }, h('td', { colspan: 5 }, details(s))));
		}
		list.replaceChildren(h('div', { class: 'table-wrap' }, h('table', {},
		    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'State'), h('th', { class: 'hide-narrow' }, 'Protocol'),
		        h('th', { class: 'hide-narrow' }, 'Max bitrate'), h('th', {}))),
		    h('tbody', {}, rows))));
	}

	async function load() {
		clearTimeout(timer);
		try {
			const [n, l, hl] = await Promise.all([net || netInfo(), get('/api/streams'),
			    get('/api/config/health').catch(() => null)]);
			net = n;
			streams = asList(l);
			const ls = hl && (hl.live_streams || hl.streams || hl.live);
			live = new Set(Array.isArray(ls) ? ls.map((s) => s.name) : []);
			forwarding = hl && hl.forwarding;
			if (!gone)
				render();
		} catch (e) {
			if (!gone)
				list.replaceChildren(h('div', { class: 'alert error' }, e.message));
		}
		if (!gone)
			timer = setTimeout(load, 5000);
	}
	load();
	return () => { gone = true; clearTimeout(timer); };
}
