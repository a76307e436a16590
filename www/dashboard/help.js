// Help (setting up publishers and players) and About.
import { get } from './api.js';
import { h } from './ui.js';
import { netInfo } from './net.js';

const section = (title, ...body) => h('div', { class: 'card' }, h('h2', {}, title), ...body);
const pre = (text) => h('pre', {}, h('code', {}, text));

export function helpView(root) {
	const body = h('div', {});
	root.append(h('h1', {}, 'Help'), body);
	const fill = (n) => {
		const host = n ? n.host : location.hostname;
		const rtmp = n ? n.rtmp : 1935, srt = n ? n.srt : 10080, http = n ? n.http : 8080;
		body.replaceChildren(
		    h('p', { class: 'muted' }, 'Create a stream on the ', h('a', { href: '#/streams' }, 'Streams'),
		        ' page first: it has a secret key (to publish) and a public name (to watch). Every URL below is on that page with a Copy button.'),
		    section('OBS Studio',
		        h('ol', {},
		            h('li', {}, 'Settings → Stream: Service ', h('b', {}, 'Custom…')),
		            h('li', {}, 'Server: ', h('code', {}, `rtmp://${host}:${rtmp}/live`)),
		            h('li', {}, 'Stream Key: the stream\'s key'),
		            h('li', {}, 'Settings → Output: keyframe interval 1 s, rate control CBR, a bitrate under the stream\'s maximum; x264 preset veryfast, tune zerolatency.'))),
		    section('ffmpeg',
		        pre(`ffmpeg -re -i input.mp4 -c:v libx264 -preset veryfast -tune zerolatency \\\n  -g 25 -b:v 2500k -c:a aac -b:a 128k -f flv rtmp://${host}:${rtmp}/live/KEY`),
		        h('p', { class: 'muted' }, 'A test pattern without a file:'),
		        pre(`ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=25 -f lavfi -i sine \\\n  -c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p -g 25 \\\n  -c:a aac -f flv rtmp://${host}:${rtmp}/live/KEY`)),
		    section('SRT camera or encoder',
		        h('p', {}, 'Caller mode, to this address, with the stream id below (MPEG-TS with H.264 or H.265 and AAC):'),
		        pre(`srt://${host}:${srt}?streamid=#!::r=live/KEY,m=publish`),
		        h('p', { class: 'muted' }, 'From ffmpeg: add -f mpegts and put that URL last. Where the device asks separately: host, port ' + srt + ', stream id #!::r=live/KEY,m=publish.')),
		    section('Going live elsewhere too',
		        h('p', {}, 'On the ', h('a', { href: '#/streams' }, 'Streams'), ' page, open a stream and add a destination under Forwarding: while the stream is live, Nyon pushes it there too, as OBS would, and the local audience still watches the Pi.'),
		        pre('rtmp://a.rtmp.youtube.com/live2/YOUTUBE-KEY\nrtmps://live-api-s.facebook.com:443/rtmp/FACEBOOK-KEY\nrtmp://live.twitch.tv/app/TWITCH-KEY\nsrt://other-pi:10080?streamid=#!::r=live/KEY,m=publish'),
		        h('p', { class: 'muted' }, 'Each destination shows its state and the server\'s last error (a wrong key reads NetStream.Publish.BadName); one that is down or slow harms nothing else. Keys stay masked unless you press Show key.')),
		    section('Watching',
		        h('p', {}, 'In a browser: the watch page, ', h('code', {}, `http://${host}:${http}/watch/NAME`), ' (its QR code is on the Streams page).'),
		        h('p', {}, 'VLC: Media → Open Network Stream → ', h('code', {}, `http://${host}:${http}/live/NAME.flv`),
		            '. For lower latency set Tools → Preferences → Input/Codecs → Network caching to 300 ms.'),
		        pre(`ffplay -fflags nobuffer -flags low_delay http://${host}:${http}/live/NAME.flv\nmpv --profile=low-latency http://${host}:${http}/live/NAME.flv`)));
	};
	fill(null);
	netInfo().then(fill, () => {});
}

export function aboutView(root) {
	const version = h('span', {}, '…');
	root.append(h('h1', {}, 'About'),
	    section('Nyon',
	        h('p', {}, 'A low-latency live streaming server for small hardware: RTMP and SRT in, HTTP-FLV out, about a second from camera to screen.'),
	        h('p', {}, 'Version ', version, '. Four small daemons: ingestd (publishers), flvd (viewers), fwdd (pushing streams on to YouTube, Twitch or another server), authd (this dashboard, the API and the database); nyonctl on the command line.')),
	    section('Third-party code in this page',
	        h('ul', {},
	            h('li', {}, h('a', { href: 'https://github.com/xqq/mpegts.js' }, 'mpegts.js'), ' (Apache License 2.0): the player.'),
	            h('li', {}, h('a', { href: 'https://github.com/kazuhikoarase/qrcode-generator' }, 'qrcode-generator'), ' (MIT): QR codes.'))));
	get('/api/health').then((d) => { version.textContent = (d && d.version) || 'unknown'; },
	    () => { version.textContent = 'unknown'; });
}
