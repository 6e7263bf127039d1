# A WebSocket echo server for tests, in the perl-base that labhub/shell has (no modules beyond
# IO::Socket): answers the handshake (SHA-1 and base64 by the coreutils commands) and echoes
# each text frame back. One client at a time; port from the first argument.
use IO::Socket::INET;
my $server = IO::Socket::INET->new(LocalPort => $ARGV[0], Listen => 5, ReuseAddr => 1) or die "listen: $!";
while (my $c = $server->accept) {
  my $key = '';
  while (my $line = <$c>) { $key = $1 if $line =~ /^Sec-WebSocket-Key:\s*(\S+)/i; last if $line =~ /^\r?\n$/ }
  my $hex = `printf %s '${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11' | sha1sum`;
  $hex =~ s/\s.*//s;
  open(my $tmp, '>', '/tmp/ws-accept') or die; binmode $tmp; print $tmp pack('H*', $hex); close $tmp;
  my $accept = `base64 /tmp/ws-accept`; chomp $accept;
  print $c "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n\r\n";
  while (1) {
    read($c, my $head, 2) == 2 or last;
    my ($b0, $b1) = unpack('CC', $head);
    my $len = $b1 & 127;
    if ($len == 126) { read($c, my $ext, 2); $len = unpack('n', $ext) }
    read($c, my $mask, 4);
    read($c, my $data, $len);
    $data = $data ^ substr($mask x (int($len / 4) + 1), 0, $len);
    last if ($b0 & 15) == 8;
    my $reply = "echo: $data";
    print $c pack('CC', 0x81, length($reply)) . $reply;
  }
  close $c;
}
