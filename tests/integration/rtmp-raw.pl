#!/usr/bin/perl
# A misbehaving RTMP client for the tests.  rtmp-raw.pl PORT MODE; prints
# "closed after N ms" when the server closes the connection (or "open" if
# it is still open after the wait), and exits 0.
#   garbage    random bytes instead of a handshake
#   truncated  C0 and half of C1, then silence
#   chunksize  handshake, then Set Chunk Size 0x7fffffff
#   hugemsg    handshake, then a video message header of 16 MiB - 1
#   idle       send one byte (a C0) and nothing more: a client that stalls
#              (one that sends nothing at all never leaves the kernel's
#              accept queue: TCP_DEFER_ACCEPT)
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time);

my ($port, $mode, $wait) = @ARGV;
$wait ||= 6;
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die "connect: $!";
binmode $s;
my $t0 = time;

sub handshake {
	print $s "\x03" . ("\0" x 1536);
	my $buf = '';
	while (length($buf) < 3073) {
		my $n = sysread($s, $buf, 3073 - length($buf), length($buf));
		die "handshake: server closed\n" unless $n;
	}
	print $s substr($buf, 1, 1536);
}

if ($mode eq 'garbage') {
	print $s join('', map { chr(int(rand(256))) } 1 .. 5000);
} elsif ($mode eq 'truncated') {
	print $s "\x03" . ("\0" x 700);
} elsif ($mode eq 'chunksize') {
	handshake();
	# fmt 0, csid 2, ts 0, length 4, type 1 (Set Chunk Size), stream 0
	print $s "\x02\0\0\0\0\0\x04\x01\0\0\0\0" . pack('N', 0x7fffffff);
} elsif ($mode eq 'hugemsg') {
	handshake();
	# fmt 0, csid 6, ts 0, length 0xffffff, type 9 (video), stream 1
	print $s "\x06\0\0\0\xff\xff\xff\x09\x01\0\0\0" . ("\x17" x 100);
} elsif ($mode eq 'idle') {
	print $s "\x03";
} else {
	die "unknown mode $mode\n";
}
$s->flush;
# wait for the server to close (read returns 0 or an error)
my $rin = '';
vec($rin, fileno($s), 1) = 1;
while (time - $t0 < $wait) {
	my $r = select(my $rout = $rin, undef, undef, 0.05);
	next unless $r > 0;
	my $n = sysread($s, my $junk, 65536);
	if (!$n) {
		printf "closed after %d ms\n", (time - $t0) * 1000;
		exit 0;
	}
}
print "open\n";
