// Where publishers and players reach this server: the address from
// /api/network/server-ip and the ports from /api/network/config.
import { get } from './api.js';

export async function netInfo() {
	const [ip, cfg] = await Promise.all([get('/api/network/server-ip'), get('/api/network/config')]);
	const host = ip.lan_ip || ip.ip || location.hostname;
	const port = (k, d) => Number(cfg[k]) || d;
	return {
		host, lan: ip.lan_ip || '', public: ip.public_ip || '',
		rtmp: port('rtmp_port', 1935), srt: port('srt_port', 10080),
		http: port('http_port', 8080), rtc: port('rtc_port', 8889), config: cfg,
	};
}

// The URLs a user copies for one stream.
export function streamUrls(net, s, address) {
	const a = address || net.host;
	const host = a.includes(':') ? `[${a}]` : a;
	const n = encodeURIComponent(s.name);
	return {
		server: `rtmp://${host}:${net.rtmp}/live`,
		key: s.stream_key || '',
		srt: `srt://${host}:${net.srt}?streamid=#!::r=live/${s.stream_key},m=publish`,
		play: `http://${host}:${net.http}/live/${n}.flv`,
		watch: `http://${host}:${net.http}/watch/${n}`,
		whep: `http://${host}:${net.rtc}/whep/${n}`,
	};
}

// recd's latest picture of a live stream, served by flvd; t busts caches.
export function thumbUrl(net, name, t) {
	const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
	return `http://${host}:${net.http}/thumb/${encodeURIComponent(name)}.jpg?t=${t || 0}`;
}

// The preview plays from the address the browser already reached.
export function previewUrl(net, name) {
	const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
	return `http://${host}:${net.http}/live/${encodeURIComponent(name)}.flv`;
}

// WebRTC (WHEP, rtcd) from the same address.
export function previewWhep(net, name) {
	const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
	return `http://${host}:${net.rtc}/whep/${encodeURIComponent(name)}`;
}
