// The dashboard's preview: WebRTC (WHEP to rtcd) first, as on the watch
// page, else a low-latency HTTP-FLV player (mpegts.js, loaded as a plain
// script from /vendor/) with latency chasing.
export function canPlay() {
	return typeof mpegts !== 'undefined' && mpegts.getFeatureList().mseLivePlayback;
}

// WHEP; on any failure before the first frame, fallback() is called.
// Returns stop().
export function playWebRTC(video, url, onEnd, fallback) {
	let done = false, frames = 0, last = 0, loc = null, timer = 0;
	const pc = new RTCPeerConnection();
	const stop = () => {
		done = true;
		clearInterval(timer);
		try { pc.close(); } catch (e) { /* closed */ }
		if (loc)
			fetch(loc, { method: 'DELETE' }).catch(() => {});
		video.srcObject = null;
	};
	const fail = (why) => {
		if (done)
			return;
		stop();
		if (frames === 0 && fallback)
			fallback(why);
		else if (onEnd)
			onEnd(why);
	};
	(async () => {
		pc.addTransceiver('video', { direction: 'recvonly' });
		pc.addTransceiver('audio', { direction: 'recvonly' });
		const ms = new MediaStream();
		pc.ontrack = (e) => { ms.addTrack(e.track); video.srcObject = ms; };
		await pc.setLocalDescription(await pc.createOffer());
		const r = await fetch(url, { method: 'POST', body: pc.localDescription.sdp,
		    headers: { 'Content-Type': 'application/sdp' } });
		if (r.status !== 201)
			throw new Error(`WHEP ${r.status}`);
		loc = new URL(r.headers.get('Location'), url).href;
		await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
		const onFrame = () => { frames++; if (!done) video.requestVideoFrameCallback(onFrame); };
		video.requestVideoFrameCallback(onFrame);
		video.play().catch(() => {});
	})().catch((e) => fail(e.message));
	const t0 = Date.now();
	timer = setInterval(() => {
		if (frames === 0 && Date.now() - t0 > 5000)
			fail('no picture over WebRTC');
		else if (frames > 0 && frames === last)
			fail('the stream ended');
		last = frames;
	}, 3000);
	return stop;
}

export function play(video, url, onEnd) {
	mpegts.LoggingControl.enableVerbose = false;
	mpegts.LoggingControl.enableDebug = false;
	mpegts.LoggingControl.enableInfo = false;
	const p = mpegts.createPlayer({ type: 'flv', isLive: true, url }, {
		isLive: true, enableStashBuffer: false, autoCleanupSourceBuffer: true,
		liveBufferLatencyChasing: true, liveBufferLatencyMaxLatency: 0.45,
		liveBufferLatencyMinRemain: 0.1, liveSync: true, liveSyncMaxLatency: 0.3,
		liveSyncTargetLatency: 0.15, liveSyncPlaybackRate: 1.2,
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
