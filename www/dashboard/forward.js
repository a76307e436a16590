// A stream's forwarding destinations (fwdd): where it is pushed while it is
// live, each with its state as fwdd reports it.  URLs come masked; "Show
// key" asks for one whole.  The panel keeps its own DOM across the stream
// list's refreshes, so a half-typed URL survives them.
import { get, post, put, del } from './api.js';
import { h, field, showError, clearError, banner, toast, confirmDialog, fmtBytes } from './ui.js';

// badge colours: live red as elsewhere, trouble as 'off', the rest plain
const stateClass = { live: 'live', failing: 'off', retrying: 'off', disabled: 'off',
    connecting: 'on', handshake: 'on', starting: 'on' };

export function destinationsPanel(stream) {
	let list = [], fwd = [], revealed = new Map();
	const body = h('div', { 'data-testid': 'destinations' }, h('p', { class: 'muted' }, 'Loading…'));
	const url = h('input', { name: 'url', autocomplete: 'off', spellcheck: false,
	    placeholder: 'rtmp://a.rtmp.youtube.com/live2/KEY' });
	const verify = h('input', { type: 'checkbox', name: 'tls_verify', checked: true });
	const form = h('form', { class: 'stack', novalidate: true, 'data-testid': 'forward-form' },
	    field('Push to', url, 'rtmp://, rtmps:// or srt://HOST:PORT?streamid=…; the key stays secret.'),
	    h('label', { class: 'check' }, verify, ' Check the server’s certificate (RTMPS)'),
	    h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, 'Add destination')));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearError(form);
		try {
			await post(`/api/streams/${stream.id}/destinations`, { url: url.value.trim(), tls_verify: verify.checked });
			url.value = '';
			toast('Destination added');
			await load();
		} catch (e) {
			showError(form, e);
		}
	});
	const el = h('div', { class: 'forwarding' }, h('h3', {}, 'Forwarding'), body, form);

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

	function row(d) {
		const st = fwd.find((f) => f.id === d.id);
		const state = !d.is_enabled ? 'disabled' : st ? st.state : (stream.is_live ? 'waiting' : 'idle');
		return h('tr', { 'data-destination': String(d.id) },
		    h('td', {}, h('code', { 'data-testid': 'destination-url' }, revealed.get(d.id) || d.url),
		        !d.tls_verify && d.protocol === 'rtmps' ? h('small', { class: 'hint' }, ' certificate not checked') : null,
		        st && st.last_error ? h('div', { class: 'field-error', 'data-testid': 'last-error' }, st.last_error) : null),
		    h('td', { 'data-testid': 'destination-state' }, h('span', { class: 'badge ' + (stateClass[state] || '') }, state)),
		    h('td', { class: 'num hide-narrow' }, st && st.state === 'live' ? `${Math.round(st.kbps)} kbps` : '—',
		        st && st.bytes_out ? h('div', { class: 'hint' }, fmtBytes(st.bytes_out) + ' sent') : null),
		    h('td', { class: 'num hide-narrow' }, st ? String(st.reconnects) : '—'),
		    h('td', {}, h('div', { class: 'actions' },
		        h('button', { type: 'button', class: 'small', onclick: () => act(async () => {
		            if (revealed.has(d.id))
		                revealed.delete(d.id);
		            else
		                revealed.set(d.id, (await get(`/api/destinations/${d.id}?reveal=true`)).url);
		        }) }, revealed.has(d.id) ? 'Hide key' : 'Show key'),
		        h('button', { type: 'button', class: 'small', onclick: () => act(() => put(`/api/destinations/${d.id}`,
		            { is_enabled: !d.is_enabled }), d.is_enabled ? 'Disabled' : 'Enabled') }, d.is_enabled ? 'Disable' : 'Enable'),
		        h('button', { type: 'button', class: 'small danger', onclick: async () => {
		            if (await confirmDialog(`Stop pushing ${stream.name} to ${d.host || 'this destination'}?`, 'Remove'))
		                act(() => del(`/api/destinations/${d.id}`), 'Removed');
		        } }, 'Remove'))));
	}

	function render() {
		if (list.length === 0) {
			body.replaceChildren(h('p', { class: 'muted' },
			    'Not pushed anywhere. Add YouTube, Twitch, another Nyon or a cluster below: while the stream is live, Nyon sends it there too.'));
			return;
		}
		body.replaceChildren(h('div', { class: 'table-wrap' }, h('table', {},
		    h('thead', {}, h('tr', {}, h('th', {}, 'Destination'), h('th', {}, 'State'),
		        h('th', { class: 'hide-narrow' }, 'Out'), h('th', { class: 'hide-narrow' }, 'Reconnects'), h('th', {}))),
		    h('tbody', {}, list.map(row)))));
	}

	async function load() {
		try {
			list = await get(`/api/streams/${stream.id}/destinations`);
			render();
		} catch (e) {
			body.replaceChildren(h('div', { class: 'alert error' }, e.message));
		}
	}
	load();
	return {
		el,
		// fwdd's states, from /api/config/health; null when fwdd is down
		update(forwarding, s) {
			stream = s || stream;
			fwd = Array.isArray(forwarding) ? forwarding.filter((f) => f.stream === stream.name) : [];
			render();
		},
		reload: load,
	};
}
