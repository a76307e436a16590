/*
 * rtcd: WebRTC playback of the live streams (WHEP).  It reads ingestd's
 * rings through lib's ring subscriber, packetizes H.264 (RFC 6184) and
 * Opus (transcoded from AAC once per stream while it has viewers) into
 * RTP once per stream, and sends each viewer its own SRTP over one UDP
 * port (ICE-lite, DTLS-SRTP).  See rtcd(8).
 *
 * The protocol engines (stun.c, sdp.c, rtp.c, rtcp.c) do no I/O and are
 * fed bytes, so they fuzz and unit-test without sockets.
 */
#ifndef RTCD_H
#define RTCD_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "nyon.h"
#include "ring.h"
#include "ringsub.h"

struct event;
struct event_base;
struct evhttp;
struct ssl_st;
struct ssl_ctx_st;
struct srtp_ctx_t_;

#define RTC_MTU 1200 /* largest RTP packet we send, before SRTP */
#define RTC_SRTP_TRAILER 16 /* SRTP_MAX_TRAILER_LEN */
#define RTC_DGRAM_MAX 1500 /* largest datagram we accept */
#define RTC_UDP_MAX 8 /* UDP sockets (a wildcard is two) */
#define RTC_CAND_MAX 8 /* host candidates in an answer */
#define WHEP_BODY_MAX 16384 /* an SDP offer, bytes */

/* stun.c: STUN messages for ICE (RFC 5389, 8445), no I/O */
#define STUN_HEADER 20
#define STUN_MAGIC 0x2112A442u
#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_INDICATION 0x0011
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_BINDING_ERROR 0x0111
#define STUN_USERNAME_MAX 513

struct stun_msg {
	uint16_t type;
	uint8_t txid[12];
	const uint8_t *username; /* into the message, not NUL-terminated */
	size_t username_len;
	size_t integrity_off; /* MESSAGE-INTEGRITY attribute, 0: none */
	size_t fingerprint_off; /* FINGERPRINT attribute, 0: none */
	uint32_t fingerprint;
	int use_candidate;
	int controlling, controlled;
	uint32_t priority;
	int error_code; /* of an error response */
	int has_mapped;
	struct sockaddr_storage mapped; /* XOR-MAPPED-ADDRESS */
};
/* Whether a datagram is STUN by RFC 7983's first byte and the cookie. */
int stun_is(const uint8_t *, size_t);
/* 0, or -1 and why: the header, every attribute's bounds. */
int stun_parse(const uint8_t *, size_t, struct stun_msg *, const char **why);
/* MESSAGE-INTEGRITY (HMAC-SHA1 under key) and FINGERPRINT; 0 if good. */
int stun_check_integrity(
    const uint8_t *, size_t, const struct stun_msg *, const void *, size_t);
int stun_check_fingerprint(const uint8_t *, size_t, const struct stun_msg *);
uint32_t stun_crc32(const uint8_t *, size_t);
/*
 * A Binding success response (XOR-MAPPED-ADDRESS of peer, SOFTWARE if not
 * NULL, MESSAGE-INTEGRITY under pwd, FINGERPRINT); its length, 0 if cap
 * is too small.
 */
size_t stun_binding_response(uint8_t *out, size_t cap, const uint8_t txid[12],
    const struct sockaddr *peer, const char *pwd, const char *software);
/* A Binding request as a controlling ICE agent (the load client's, tests). */
size_t stun_binding_request(uint8_t *out, size_t cap, const uint8_t txid[12],
    const char *username, const char *pwd, uint32_t priority, int use_candidate,
    uint64_t tiebreaker);

/* sdp.c: the offer a WHEP client sends, the answer we give, no I/O */
#define SDP_MEDIA_MAX 8
#define SDP_CODECS_MAX 48
#define SDP_FMTP_MAX 256
enum sdp_kind { SDP_OTHER, SDP_AUDIO, SDP_VIDEO };
enum sdp_codec_id {
	SDP_C_OTHER,
	SDP_C_H264,
	SDP_C_H265,
	SDP_C_OPUS,
	SDP_C_RTX,
};
struct sdp_codec {
	int pt;
	enum sdp_codec_id id;
	char name[24];
	unsigned clock, channels;
	char fmtp[SDP_FMTP_MAX];
	int pmode; /* H.264 packetization-mode */
	uint32_t plid; /* H.264 profile-level-id, 0: none given */
	int apt; /* rtx: the payload type it resends, -1: none given */
	int nack, pli, fir; /* rtcp-fb */
};
#define SDP_URI_PLAYOUT_DELAY \
	"http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

struct sdp_media {
	enum sdp_kind kind;
	char mid[33];
	char proto[32];
	int port;
	int recv; /* the offerer receives: recvonly or sendrecv */
	struct sdp_codec codecs[SDP_CODECS_MAX];
	int ncodecs;
	int chosen; /* index into codecs, -1: rejected */
	int rtx; /* index of the rtx codec for chosen, -1: none offered */
	int playout_id; /* one-byte extmap id of playout-delay, 0: none */
};
struct sdp_offer {
	char ufrag[257];
	char pwd[257];
	char fp_alg[16]; /* "sha-256" */
	uint8_t fp[64];
	size_t fplen;
	char setup[16]; /* actpass, active, passive */
	int playout_id; /* a session-level extmap, for every m-line */
	struct sdp_media media[SDP_MEDIA_MAX];
	int nmedia;
};
struct sdp_answer {
	const char *ufrag, *pwd;
	const char *fingerprint; /* "AB:CD:..." sha-256 */
	const char *cname;
	uint32_t ssrc[SDP_MEDIA_MAX]; /* per m-line, 0 when rejected */
	/* its retransmissions' (RFC 4588), 0: resent on ssrc if at all */
	uint32_t rtx_ssrc[SDP_MEDIA_MAX];
	int playout_delay; /* answer the playout-delay extension if offered */
	char candidates[RTC_CAND_MAX][64]; /* "IP PORT" */
	int ncandidates;
	uint32_t session_id;
};
int sdp_parse_offer(
    const char *, size_t, struct sdp_offer *, char *why, size_t whylen);
/* H.264 profile classes; whether offered can decode a stream's stream. */
int sdp_h264_compatible(uint32_t offered_plid, uint32_t stream_plid);
/* Writes the answer into out (NUL-terminated); its length, -1 if cap. */
int sdp_write_answer(
    char *out, size_t cap, const struct sdp_offer *, const struct sdp_answer *);

/* rtp.c: RTP packets and H.264 packetization (RFC 6184), no I/O */
#define RTP_HEADER 12
typedef void (*rtp_emit)(
    const uint8_t *pkt, size_t len, int marker, int frame_start, void *arg);
struct rtp_h264 {
	const uint8_t *nal[64]; /* a frame's NAL units */
	size_t nallen[64];
	int nnal;
};
void rtp_header(
    uint8_t *out, int pt, int marker, uint16_t seq, uint32_t ts, uint32_t ssrc);
/*
 * What a packet of a stream's history becomes for one viewer: its
 * payload type and timestamp; a playout-delay extension (RFC 8285
 * one-byte header) when playout_id is 1 to 14, min and max in 10 ms
 * units; sent as a retransmission on an RTX stream (RFC 4588) when rtx.
 */
#define RTP_EXTRA_MAX 12 /* what rtp_rewrite adds to a packet at most */
struct rtp_out {
	int pt;
	uint32_t ts;
	int playout_id;
	unsigned playout_min, playout_max;
	int rtx;
	uint16_t rtx_seq;
	uint32_t rtx_ssrc;
};
/*
 * Writes packet p (a 12-byte header, no extension, and its payload) into
 * out as o says: its length, or 0 if p is no such packet or cap is small.
 */
size_t rtp_rewrite(uint8_t *out, size_t cap, const uint8_t *p, size_t len,
    const struct rtp_out *o);
/*
 * Splits an AVCC frame (length-prefixed NAL units of lensize bytes) into
 * f; AUD and filler are left out.  0, or -1 if a length overruns.
 */
int rtp_h264_split(const uint8_t *, size_t, int lensize, struct rtp_h264 *f);
/*
 * Payloads (no RTP header) of a frame for mtu-byte packets: STAP-A of
 * sps/pps first when given, single NAL units, FU-A for larger ones.  emit
 * gets each payload; marker on the last.  -1 if a NAL is empty.
 */
int rtp_h264_packetize(const struct rtp_h264 *, const uint8_t *sps,
    size_t spslen, const uint8_t *pps, size_t ppslen, size_t mtu, rtp_emit emit,
    void *arg);

/* rtcp.c: what viewers report, and our sender reports, no I/O */
#define RTCP_NACK_MAX 64
struct rtcp_report {
	uint32_t ssrc; /* of the source reported on */
	uint8_t fraction_lost;
	int32_t lost;
	uint32_t highest_seq;
	uint32_t jitter;
	uint32_t lsr, dlsr;
};
struct rtcp_info {
	struct rtcp_report rr[8];
	int nrr;
	uint16_t nack[RTCP_NACK_MAX];
	uint32_t nack_ssrc[RTCP_NACK_MAX];
	int nnack;
	int pli, fir, bye;
};
/* Whether bytes after RTP/RTCP's first byte are RTCP (RFC 5761). */
int rtcp_is(const uint8_t *, size_t);
/* 0, or -1 and why for a malformed compound packet. */
int rtcp_parse(const uint8_t *, size_t, struct rtcp_info *, const char **why);
/* SR with no report blocks, then SDES CNAME; its length. */
size_t rtcp_sender_report(uint8_t *out, size_t cap, uint32_t ssrc, uint64_t ntp,
    uint32_t rtp_ts, uint32_t packets, uint32_t octets, const char *cname);
size_t rtcp_bye(uint8_t *out, size_t cap, uint32_t ssrc);
/* For the load client: an RR block about ssrc, and a generic NACK. */
size_t rtcp_receiver_report(
    uint8_t *out, size_t cap, uint32_t ssrc, const struct rtcp_report *);
size_t rtcp_nack(uint8_t *out, size_t cap, uint32_t sender, uint32_t media,
    const uint16_t *seqs, int n);
uint64_t rtcp_ntp_now(void);

/* dtls.c: the certificate, and DTLS-SRTP over OpenSSL */
#define DTLS_SRTP_KEY 30 /* master key and salt, AES_CM_128_HMAC_SHA1_80 */
struct dtls;
/* datagram out: the session sends it to its peer */
typedef void (*dtls_send)(const uint8_t *, size_t, void *arg);
/* Loads dir/cert.pem and dir/key.pem, or makes them once (ECDSA P-256). */
int dtls_init(const char *dir, int client_too, char *err, size_t errlen);
void dtls_cleanup(void);
const char *dtls_fingerprint(void); /* of our certificate, "AB:CD:..." */
struct dtls *dtls_new(int server, dtls_send, void *arg);
void dtls_free(struct dtls *);
/* Starts a client's handshake (the load client). */
void dtls_connect(struct dtls *);
/* 1 handshake done now, 0 going on, -1 failed or closed (why). */
int dtls_input(struct dtls *, const uint8_t *, size_t, const char **why);
/* Retransmits on the handshake's timer; ms until the next, -1 none. */
int dtls_timer(struct dtls *);
/* After the handshake: the peer's certificate against the offer's. */
int dtls_peer_matches(
    struct dtls *, const char *alg, const uint8_t *fp, size_t fplen);
/* Our keys (tx) and the peer's (rx), each DTLS_SRTP_KEY bytes. */
int dtls_srtp_keys(
    struct dtls *, uint8_t tx[DTLS_SRTP_KEY], uint8_t rx[DTLS_SRTP_KEY]);
void dtls_close(struct dtls *); /* close_notify */

/* srtp.c: libsrtp2 per session */
struct srtp_pair;
int srtp_lib_init(void);
struct srtp_pair *srtp_pair_new(
    const uint8_t tx[DTLS_SRTP_KEY], const uint8_t rx[DTLS_SRTP_KEY]);
void srtp_pair_free(struct srtp_pair *);
/* In place; buf has room for RTC_SRTP_TRAILER more.  New length or -1. */
int srtp_pair_protect(struct srtp_pair *, uint8_t *, size_t, int rtcp);
int srtp_pair_unprotect(struct srtp_pair *, uint8_t *, size_t, int rtcp);

/* packets: a stream's recent RTP packets per track, for new viewers and NACK */
#define PKT_KEY 0x01 /* first packet of a keyframe (STAP-A of SPS/PPS) */
#define PKT_FRAME 0x02 /* first packet of a frame */
#define PKT_INKEY 0x04 /* any packet of a keyframe */
struct pkt {
	uint16_t seq;
	uint16_t len;
	uint8_t flags;
	uint32_t ts; /* RTP timestamp, as in the header */
	uint64_t arrived_us;
	uint8_t data[RTC_MTU];
};
struct track {
	int kind; /* SDP_AUDIO, SDP_VIDEO */
	uint32_t ssrc;
	uint32_t rtx_ssrc; /* video's retransmissions, for viewers with RTX */
	int pt; /* our own; patched per viewer */
	uint32_t clock;
	uint32_t ts_base; /* random start */
	uint64_t head; /* packets ever made: next one's index */
	uint16_t seq0; /* seq of index 0 */
	struct pkt *hist;
	size_t cap; /* power of two */
	uint64_t last_key; /* index of the newest keyframe's first packet */
	int has_key;
	uint64_t packets, octets;
};

/* audio.c: AAC to Opus, once per stream while it has viewers */
struct audio_tc;
typedef void (*audio_out)(
    const uint8_t *opus, size_t len, uint64_t pts48, void *arg);
struct audio_tc *audio_tc_new(const uint8_t *asc, size_t asclen, audio_out,
    void *arg, char *err, size_t errlen);
/* One raw AAC frame at ts (ms). */
void audio_tc_feed(struct audio_tc *, const uint8_t *, size_t, uint32_t ts);
void audio_tc_free(struct audio_tc *);
uint64_t audio_tc_cpu_us(const struct audio_tc *);

/* pace.c: audio packets leave evenly, each at its own time */
#define PACE_PKT_MAX 1000
struct pace;
typedef void (*pace_out)(const uint8_t *, size_t, uint32_t ts, void *arg);
struct pace *pace_new(struct event_base *, pace_out, void *arg);
/*
 * A packet of RTP timestamp ts whose first sample is at media_us on the
 * stream's own timeline (microseconds, any origin, never wrapping).
 */
void pace_push(
    struct pace *, const uint8_t *, size_t, uint32_t ts, int64_t media_us);
double pace_held_ms(const struct pace *);
uint64_t pace_stalls(const struct pace *);
void pace_free(struct pace *);

/* stream.c: the live streams, from the ring subscriber */
enum stream_audio { AUDIO_NONE, AUDIO_AAC, AUDIO_OPUS, AUDIO_OTHER };
enum stream_video { VIDEO_NONE, VIDEO_H264, VIDEO_HEVC, VIDEO_OTHER };
/*
 * sdp.c: each m-line's codec for what the stream carries (H.264 in a
 * profile the offer decodes, packetization-mode 1; Opus when audio): 0,
 * or the HTTP status and why.
 */
int sdp_negotiate(struct sdp_offer *, enum stream_video, uint32_t plid,
    int audio, int *vpt, int *apt, char *why, size_t whylen);
struct session;
TAILQ_HEAD(sessionlist, session);
struct rstream {
	TAILQ_ENTRY(rstream) entry;
	char name[STREAM_NAME_SZ];
	struct ringsub_stream *rs;
	struct ring *ring;
	struct ringsub_cursor cursor;
	uint32_t seq_version;
	/* what the sequence headers say */
	enum stream_video vcodec;
	enum stream_audio acodec;
	uint8_t sps[512], pps[512];
	size_t spslen, ppslen;
	int lensize;
	uint32_t plid; /* profile-level-id of the SPS */
	uint8_t asc[64]; /* AudioSpecificConfig */
	size_t asclen;
	int opus_channels;
	/* B-frames: presentation times that go backwards */
	int64_t last_pts;
	int video_frames;
	int bframes;
	/* sending */
	struct track video, audio;
	struct audio_tc *tc;
	struct pace *pace;
	int replaying; /* the cached GOP, for a first viewer */
	int64_t clock_offset_ms; /* wall (ms) - FLV ts, the smallest seen */
	struct sessionlist sessions;
	int nsessions;
	uint64_t tags, laps_seen;
	/* since it came: bytes sent, viewers joined, skipped ahead */
	uint64_t bytes_out, viewers_total, skips;
	uint8_t *buf; /* ring_max_tag bytes */
	size_t bufcap;
};
TAILQ_HEAD(rstreamlist, rstream);
void stream_start(void);
void stream_stop(void);
struct rstream *stream_find(const char *name);
/* Why WebRTC cannot carry this stream now (NULL: it can). */
const char *stream_unplayable(const struct rstream *, int *status);
void stream_attach(struct rstream *, struct session *);
void stream_detach(struct rstream *, struct session *);
void stream_status(yajl_gen);
uint32_t stream_rtp_now(const struct rstream *, const struct track *);
/* Packet of index i if still kept, else NULL. */
struct pkt *track_get(struct track *, uint64_t i);
/* Index of seq near the head, or -1 if not kept. */
int64_t track_index(struct track *, uint16_t seq);

/* session.c: one viewer */
enum session_state { SESS_NEW, SESS_DTLS, SESS_LIVE, SESS_CLOSED };
struct session {
	TAILQ_ENTRY(session) entry; /* in its stream */
	TAILQ_ENTRY(session) all;
	LIST_ENTRY(session) byaddr;
	TAILQ_ENTRY(session) blocked; /* waiting for the socket */
	struct rstream *stream;
	char id[33]; /* in the Location */
	char user_agent[257]; /* the WHEP request's, as vreport keeps it */
	struct vsess *vs; /* its viewer session, from its first address */
	char ufrag[9], pwd[33];
	char peer_ufrag[257];
	enum session_state state;
	int sock; /* index of the UDP socket the peer uses */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	int has_peer;
	uint8_t fp[64];
	size_t fplen;
	char fp_alg[16];
	struct dtls *dtls;
	struct srtp_pair *srtp;
	struct event *timer;
	/* what was negotiated */
	int video_pt, audio_pt; /* -1: that m-line was rejected */
	int rtx_pt; /* video resent on the RTX stream, -1: on its own */
	uint16_t rtx_seq;
	/* playout-delay: on keyframes, and on all until a report acks one */
	int playout_id; /* its extmap id, 0: not negotiated */
	unsigned playout_units; /* min and max, 10 ms units */
	int playout_pending, playout_sent;
	uint16_t playout_first_seq;
	/* sending: indexes into the stream's tracks */
	uint64_t vnext, anext;
	uint64_t vfloor; /* NACKs below this were skipped on purpose */
	int waiting_key; /* video waits for the next keyframe */
	/* start at the cached GOP: its frames squeezed to catch up */
	uint64_t squeeze_end; /* first live video index */
	uint32_t squeeze_last_ts; /* ts of the last cached frame */
	uint32_t squeeze_first_ts;
	int squeezing;
	int is_blocked;
	uint16_t nack_pending[128];
	int nnack;
	/* timing */
	uint64_t created_ms, connected_ms, last_stun_ms, last_rtcp_ms;
	uint64_t first_media_ms;
	/* stats */
	uint64_t packets, octets, retransmits, nacks, plis, firs, skips;
	uint64_t vpackets, voctets, apackets, aoctets;
	uint32_t last_sr_ntp_mid; /* middle 32 bits of our last SR's NTP */
	uint64_t last_sr_us;
	struct rtcp_report rr_video, rr_audio;
	double rtt_ms;
	char addr[64];
};
struct session *session_new(
    struct rstream *, const struct sdp_offer *, int video_pt, int audio_pt);
void session_end(struct session *, const char *why);
struct session *session_find_id(const char *id);
/* A datagram from a peer not known by address: STUN may make it one. */
void session_input(
    int sock, const struct sockaddr *, socklen_t, uint8_t *, size_t);
/* Sends what the stream has for it, as far as the socket takes. */
void session_pump(struct session *);
void session_status(yajl_gen, const struct session *);
void session_end_all(void);
/* Waits for the socket to take more; session_writable goes on. */
void session_block(struct session *);
/* The UDP socket can take more: blocked viewers go on. */
void session_writable(void);

/* udp.c: the one UDP port */
int udp_listen(void);
void udp_start(void);
/* The numeric address sock is bound to, "" for a wildcard. */
void udp_local(int sock, char *buf, size_t len);
void udp_close(void);
/* 0 sent, 1 the socket is full (try on writable), -1 dropped. */
int udp_send(
    int sock, const struct sockaddr *, socklen_t, const void *, size_t);
void udp_want_write(void);
int udp_port(int sock);
int udp_family(int sock);
int udp_nsocks(void);

/* cand.c: the addresses we offer as host candidates */
int cand_list(char out[][64], int max);

/* authc.c: the addresses authd has for this host, for the candidates */
void authc_start(void);
void authc_stop(void);
int cand_check(const char *, char *err, size_t errlen);

/* whep.c: the HTTP side */
void whep_listen(void);
void whep_close(void);

/* whep_path.c */
int whep_path(const char *uri, char *name, char *id);

struct rtcd {
	struct daemon d;
	struct rstreamlist streams;
	struct sessionlist sessions;
	int nsessions;
	struct ringsub *sub;
	uint64_t sessions_total, refused, not_found, ended_timeout;
	uint64_t packets_out, bytes_out, retransmits;
	uint64_t transcode_us; /* CPU spent transcoding audio, all streams */
	char statedir[512]; /* statedir/rtc: the certificate */
	/* authd's lan_ip and public_ip, "" when none (authc.c) */
	char lan_ip[46], public_ip[46];
};
extern struct rtcd *rtcd;

#endif
