// The REST API client: JSON in and out, the token in Authorization: Bearer,
// and every failure turned into an ApiError carrying the server's message
// and its per-field details, so a form can show them next to the fields.
const TOKEN = 'nyon.token';

export class ApiError extends Error {
	constructor(status, message, details) {
		super(message);
		this.status = status;
		this.details = Array.isArray(details) ? details : [];
	}
}

let token = localStorage.getItem(TOKEN) || '';
const listeners = { unauthorized: [], mustChange: [] };

export const hasToken = () => token !== '';
export function setToken(t) {
	token = t || '';
	if (token)
		localStorage.setItem(TOKEN, token);
	else
		localStorage.removeItem(TOKEN);
}
export function on(what, fn) {
	listeners[what].push(fn);
}

export async function api(method, path, body) {
	const headers = { Accept: 'application/json' };
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	if (token)
		headers.Authorization = 'Bearer ' + token;
	let res, json = null;
	try {
		res = await fetch(path, { method, headers, cache: 'no-store',
		    body: body === undefined ? undefined : JSON.stringify(body) });
	} catch (e) {
		throw new ApiError(0, 'Cannot reach the server (' + e.message + ')');
	}
	try {
		json = await res.json();
	} catch (e) {
		/* not JSON: described below by the status */
	}
	if (res.ok && json && json.success !== false)
		return json.data;
	const err = new ApiError(res.status,
	    (json && json.error) || `${res.status} ${res.statusText || 'error'}`,
	    json && json.details);
	if (res.status === 401 && token && !path.startsWith('/api/auth/login'))
		listeners.unauthorized.forEach((fn) => fn(err));
	else if (res.status === 403 && /password/i.test(err.message))
		listeners.mustChange.forEach((fn) => fn(err));
	throw err;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const put = (p, b) => api('PUT', p, b);
export const del = (p) => api('DELETE', p);
