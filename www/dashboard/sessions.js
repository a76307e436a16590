// Publishing sessions: who is publishing now (with a kick) and who did.
import { get, del } from './api.js';
import { h, banner, toast, confirmDialog, fmtTime, fmtDuration } from './ui.js';

const asList = (d) => Array.isArray(d) ? d : (d && (d.sessions || d.items)) || [];

export function sessionsView(root) {
	let gone = false, timer = 0;
	const activeBox = h('div', { class: 'card' }, h('p', { class: 'muted' }, 'Loading…'));
	const recentBox = h('div', { class: 'card' });
	root.append(h('h1', {}, 'Sessions'), activeBox, recentBox);

	function table(rows, active) {
		if (rows.length === 0)
			return h('p', { class: 'muted' }, active ? 'Nobody is publishing.' : 'No sessions yet.');
		return h('div', { class: 'table-wrap' }, h('table', {},
		    h('thead', {}, h('tr', {}, ['Stream', 'Protocol', 'Address', 'Started', active ? 'For' : 'Ended'].map((t) => h('th', {}, t)),
		        active ? h('th', {}) : h('th', {}, 'Why'))),
		    h('tbody', {}, rows.map((s) => h('tr', {},
		        h('td', {}, h('strong', {}, s.stream_name || `#${s.stream_id}`)),
		        h('td', {}, s.protocol || '—'),
		        h('td', {}, s.ip_address || '—'),
		        h('td', {}, fmtTime(s.started_at)),
		        h('td', {}, active ? fmtDuration((Date.now() - new Date(s.started_at)) / 1000) : fmtTime(s.ended_at)),
		        active ? h('td', {}, h('button', { type: 'button', class: 'small danger', onclick: () => kick(s) }, 'Kick')) :
		            h('td', { 'data-testid': 'end-reason' }, s.end_reason || '—'))))));
	}

	async function kick(s) {
		if (!await confirmDialog(`Disconnect the publisher of ${s.stream_name}? It may reconnect unless you also disable the stream or change its key.`, 'Kick'))
			return;
		try {
			await del(`/api/sessions/${s.id}`);
			toast('Kicked');
		} catch (e) {
			banner(e);
		}
		load();
	}

	async function load() {
		clearTimeout(timer);
		try {
			const all = asList(await get('/api/sessions'));
			if (gone)
				return;
			const active = all.filter((s) => !s.ended_at);
			const recent = all.filter((s) => s.ended_at).slice(0, 50);
			activeBox.replaceChildren(h('h2', {}, `Active (${active.length})`), table(active, true));
			recentBox.replaceChildren(h('h2', {}, 'Recent'), table(recent, false));
		} catch (e) {
			if (!gone)
				activeBox.replaceChildren(h('div', { class: 'alert error' }, e.message));
		}
		if (!gone)
			timer = setTimeout(load, 5000);
	}
	load();
	return () => { gone = true; clearTimeout(timer); };
}
