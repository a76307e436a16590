// The dashboard: a hash router over a few views, and the login flow
// (forced password change included).  No framework: each view is a
// function that fills #view and may return a cleanup function.
import * as api from './api.js';
import { h, $, field, showError, clearError } from './ui.js';
import { dashboardView } from './dashboard.js';
import { streamsView } from './streams.js';
import { sessionsView } from './sessions.js';
import { monitorView } from './monitor.js';
import { recordingsView } from './recordings.js';
import { settingsView, passwordForm } from './settings.js';
import { helpView, aboutView } from './help.js';

const routes = {
	'': dashboardView, monitor: monitorView, streams: streamsView, sessions: sessionsView, recordings: recordingsView,
	settings: settingsView, help: helpView, about: aboutView,
};
let cleanup = null;
let mustChange = localStorage.getItem('nyon.mustChange') === '1';
let username = localStorage.getItem('nyon.user') || '';

function setMustChange(v) {
	mustChange = v;
	localStorage.setItem('nyon.mustChange', v ? '1' : '0');
}

function show(node, chrome) {
	if (cleanup) {
		try { cleanup(); } catch (e) { /* a view's teardown must not block the next */ }
		cleanup = null;
	}
	$('#top').hidden = !chrome;
	$('#view').replaceChildren(...[node].flat());
}

function loginView() {
	const form = h('form', { class: 'stack card login', novalidate: true },
	    h('h1', {}, 'Nyon'),
	    h('p', { class: 'muted' }, 'Sign in to manage your streams.'),
	    field('Username', h('input', { name: 'username', autocomplete: 'username', required: true, value: username || 'admin' })),
	    field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
	    h('button', { class: 'primary', type: 'submit' }, 'Sign in'));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		clearError(form);
		const btn = form.querySelector('button');
		btn.disabled = true;
		try {
			const u = form.elements.username.value.trim();
			const d = await api.post('/api/auth/login', { username: u, password: form.elements.password.value });
			api.setToken(d.token);
			username = (d.user && d.user.username) || u;
			localStorage.setItem('nyon.user', username);
			setMustChange(!!(d.user ? d.user.must_change_password : d.must_change_password));
			route();
		} catch (e) {
			showError(form, e);
		} finally {
			btn.disabled = false;
		}
	});
	show(form, false);
	form.elements.password.focus();
}

function forcedChangeView() {
	const form = passwordForm(async (data) => {
		if (data && data.token)
			api.setToken(data.token);
		setMustChange(false);
		route();
	}, 'Choose a new password');
	form.classList.add('card', 'login');
	form.prepend(h('div', { class: 'alert info' },
	    'This is the first sign-in with the initial password: choose your own before going on.'));
	show(form, false);
}

function route() {
	if (!api.hasToken())
		return loginView();
	if (mustChange)
		return forcedChangeView();
	const page = location.hash.replace(/^#\/?/, '').split('/')[0];
	const view = routes[page] || dashboardView;
	document.querySelectorAll('#nav a').forEach((a) =>
	    a.classList.toggle('active', a.getAttribute('href') === '#/' + page));
	show([], true);
	cleanup = view($('#view')) || null;
}

async function logout() {
	try {
		await api.post('/api/auth/logout');
	} catch (e) {
		/* the token is dropped here either way */
	}
	api.setToken('');
	setMustChange(false);
	route();
}

api.on('unauthorized', () => { api.setToken(''); route(); });
api.on('mustChange', () => { setMustChange(true); route(); });
$('#logout').addEventListener('click', logout);
window.addEventListener('hashchange', route);
route();
