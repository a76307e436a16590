// Small DOM helpers shared by the views.
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else if (k === 'class')
			el.className = v;
		else if (k in el && typeof v !== 'string')
			el[k] = v;
		else
			el.setAttribute(k, v === true ? '' : v);
	}
	for (const c of children.flat(Infinity))
		if (c !== null && c !== undefined && c !== false)
			el.append(c instanceof Node ? c : String(c));
	return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// A labelled input: h('label') around the text and the control, plus a
// slot where a field error goes (see showError).
export function field(label, input, hint) {
	return h('label', { class: 'field' }, h('span', {}, label), input,
	    hint ? h('small', { class: 'hint' }, hint) : null);
}

// The server's error on a form: each detail next to its field (by param),
// the message and any unplaced detail at the top.
export function showError(form, err) {
	clearError(form);
	const top = h('div', { class: 'alert error', role: 'alert' }, err.message);
	for (const d of err.details || []) {
		const input = d.param && form.elements ? form.elements[d.param] : null;
		if (input && input.closest) {
			input.setAttribute('aria-invalid', 'true');
			input.closest('.field').append(h('small', { class: 'field-error' }, d.msg));
		} else
			top.append(h('div', {}, (d.param ? d.param + ': ' : '') + d.msg));
	}
	form.prepend(top);
	return top;
}
export function clearError(form) {
	form.querySelectorAll('.alert.error, .field-error').forEach((e) => e.remove());
	form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

// An error not tied to a form: a banner at the top of the view.
export function banner(err) {
	const b = h('div', { class: 'alert error', role: 'alert' }, err.message || String(err),
	    ...(err.details || []).map((d) => h('div', {}, (d.param ? d.param + ': ' : '') + d.msg)));
	const main = $('#view');
	main.prepend(b);
	setTimeout(() => b.remove(), 10000);
}

let toastTimer = 0;
export function toast(text) {
	const t = $('#toast');
	t.textContent = text;
	t.hidden = false;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => { t.hidden = true; }, 2500);
}

// navigator.clipboard needs a secure context, which http://PI-ADDRESS is
// not; the old execCommand path works there.
export async function copy(text) {
	try {
		if (navigator.clipboard && window.isSecureContext) {
			await navigator.clipboard.writeText(text);
			return toast('Copied');
		}
	} catch (e) { /* fall back */ }
	const ta = h('textarea', { readonly: true, style: 'position:fixed;opacity:0' });
	ta.value = text;
	document.body.append(ta);
	ta.select();
	const ok = document.execCommand('copy');
	ta.remove();
	toast(ok ? 'Copied' : 'Copy failed: select the text instead');
}

export function copyRow(label, value, testid) {
	return h('div', { class: 'copy-row' },
	    h('span', { class: 'copy-label' }, label),
	    h('code', { 'data-testid': testid }, value),
	    h('button', { type: 'button', class: 'small', onclick: () => copy(value) }, 'Copy'));
}

export function confirmDialog(text, okLabel = 'Delete') {
	return new Promise((resolve) => {
		const d = h('dialog', { class: 'confirm' },
		    h('p', {}, text),
		    h('form', { method: 'dialog', class: 'actions' },
		        h('button', { value: 'cancel' }, 'Cancel'),
		        h('button', { value: 'ok', class: 'danger' }, okLabel)));
		d.addEventListener('close', () => { resolve(d.returnValue === 'ok'); d.remove(); });
		document.body.append(d);
		d.showModal();
	});
}

export function fmtDuration(sec) {
	sec = Math.max(0, Math.floor(sec));
	const d = Math.floor(sec / 86400), hh = Math.floor(sec % 86400 / 3600),
	    m = Math.floor(sec % 3600 / 60), s = sec % 60;
	if (d)
		return `${d}d ${hh}h ${m}m`;
	if (hh)
		return `${hh}h ${m}m`;
	return m ? `${m}m ${s}s` : `${s}s`;
}
export function fmtBytes(n) {
	const u = ['B', 'kB', 'MB', 'GB', 'TB'];
	let i = 0;
	while (n >= 1024 && i < u.length - 1) {
		n /= 1024;
		i++;
	}
	return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}
export function fmtTime(iso) {
	if (!iso)
		return '—';
	const d = new Date(iso);
	return isNaN(d) ? iso : d.toLocaleString();
}
