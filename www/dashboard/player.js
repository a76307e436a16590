// A low-latency HTTP-FLV player on a <video>: mpegts.js (loaded as a plain
// script from /vendor/) with latency chasing, as on the watch page.
export function canPlay() {
	return typeof mpegts !== 'undefined' && mpegts.getFeatureList().mseLivePlayback;
}

export function play(video, url, onEnd) {
	mpegts.LoggingControl.enableVerbose = false;
	mpegts.LoggingControl.enableDebug = false;
	mpegts.LoggingControl.enableInfo = false;
	const p = mpegts.createPlayer({ type: 'flv', isLive: true, url }, {
		isLive: true, enableStashBuffer: false, autoCleanupSourceBuffer: true,
		liveBufferLatencyChasing: true, liveBufferLatencyMaxLatency: 1.0,
		liveBufferLatencyMinRemain: 0.3,
	});
	let done = false;
	const end = (why) => {
		if (done)
			return;
		done = true;
		stop();
		if (onEnd)
			onEnd(why);
	};
	p.on(mpegts.Events.ERROR, (type, detail) => end(`${type}: ${detail}`));
	p.on(mpegts.Events.LOADING_COMPLETE, () => end('the stream ended'));
	p.attachMediaElement(video);
	p.load();
	const r = p.play();
	if (r && r.catch)
		r.catch(() => {});
	function stop() {
		done = true;
		for (const f of ['pause', 'unload', 'detachMediaElement', 'destroy'])
			try { p[f](); } catch (e) { /* already gone */ }
	}
	return stop;
}

export function latency(video) {
	const b = video.buffered;
	return b.length ? b.end(b.length - 1) - video.currentTime : null;
}
