// Settings: the run-time configuration, the network addresses shown in
// URLs, and the password.
import { get, put } from './api.js';
import { h, field, showError, clearError, toast } from './ui.js';

// The change-password form; onDone(data) after the server agreed.
export function passwordForm(onDone, title = 'Change password') {
	const form = h('form', { class: 'stack', novalidate: true, 'data-testid': 'password-form' },
	    h('h2', {}, title),
	    field('Current password', h('input', { name: 'current_password', type: 'password', autocomplete: 'current-password', required: true })),
	    field('New password', h('input', { name: 'new_password', type: 'password', autocomplete: 'new-password', required: true })),
	    field('New password again', h('input', { name: 'confirm', type: 'password', autocomplete: 'new-password', required: true })),
	    h('button', { class: 'primary', type: 'submit' }, 'Change password'));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearError(form);
		const e = form.elements;
		if (e.new_password.value !== e.confirm.value) {
			showError(form, { message: 'The new passwords differ.', details: [{ param: 'confirm', msg: 'does not match' }] });
			return;
		}
		const btn = form.querySelector('button');
		btn.disabled = true;
		try {
			const d = await put('/api/auth/change-password',
			    { current_password: e.current_password.value, new_password: e.new_password.value });
			form.reset();
			toast('Password changed');
			await onDone(d);
		} catch (err) {
			showError(form, err);
		} finally {
			btn.disabled = false;
		}
	});
	return form;
}

// A form of key/value settings; PUT sends only what changed.
function settingsForm(title, testid, entries, save) {
	const form = h('form', { class: 'stack', novalidate: true, 'data-testid': testid }, h('h2', {}, title),
	    entries.map((c) => field(c.key.replace(/_/g, ' '), h('input', { name: c.key, value: c.value ?? '' }), c.description)),
	    h('button', { class: 'primary', type: 'submit' }, 'Save'));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearError(form);
		const body = {};
		for (const c of entries) {
			const v = form.elements[c.key].value.trim();
			if (v !== String(c.value ?? ''))
				body[c.key] = typeof c.value === 'number' && v !== '' && !isNaN(v) ? Number(v) : v;
		}
		if (Object.keys(body).length === 0)
			return toast('Nothing changed');
		try {
			await save(body);
			for (const c of entries)
				if (c.key in body)
					c.value = body[c.key];
			toast('Saved');
		} catch (err) {
			showError(form, err);
		}
	});
	return form;
}

// {key: value} or [{key, value, description}] → entries
function entriesOf(d) {
	if (Array.isArray(d))
		return d.map((c) => ({ key: c.key, value: c.value, description: c.description }));
	return Object.entries(d || {}).filter(([, v]) => v === null || typeof v !== 'object')
	    .map(([key, value]) => ({ key, value }));
}

export function settingsView(root) {
	const cfgBox = h('div', { class: 'card' }, h('p', { class: 'muted' }, 'Loading…'));
	const netBox = h('div', { class: 'card' });
	root.append(h('h1', {}, 'Settings'), cfgBox, netBox, h('div', { class: 'card' }, passwordForm(() => {})));
	// the network keys live in the config table too: show them once
	Promise.allSettled([get('/api/config'), get('/api/network/config')]).then(([c, n]) => {
		const netKeys = n.status === 'fulfilled' ? entriesOf(n.value) : [];
		const skip = new Set(netKeys.map((e) => e.key));
		if (c.status === 'fulfilled')
			cfgBox.replaceChildren(settingsForm('Server', 'config-form',
			    entriesOf(c.value).filter((e) => !skip.has(e.key)), (b) => put('/api/config', b)));
		else
			cfgBox.replaceChildren(h('div', { class: 'alert error' }, c.reason.message));
		if (n.status === 'fulfilled')
			netBox.replaceChildren(settingsForm('Network', 'network-form', netKeys, (b) => put('/api/network/config', b)),
			    h('p', { class: 'hint' }, 'The addresses and ports shown in stream URLs; the daemons listen where nyon.conf says.'));
		else
			netBox.replaceChildren(h('div', { class: 'alert error' }, n.reason.message));
	});
}
