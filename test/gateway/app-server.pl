# An HTTP app for tests, in the perl-base that labhub/shell has (IO::Socket only). Port from the
# first argument. `/page` is a page whose script tries what a hostile app would try against
# whoever opens it; `/sw.js` a service worker asking for the whole origin; `/headers` answers
# with every header labhub must not pass on; any other path echoes the request it saw.
use IO::Socket::INET;
my $server = IO::Socket::INET->new(LocalPort => $ARGV[0], Listen => 5, ReuseAddr => 1) or die "listen: $!";
my $page = <<'HTML';
<!doctype html><title>app</title><pre id="result"></pre><script>
const results = { origin: self.origin };
const attempt = async (name, run) => { try { results[name] = await run(); } catch (error) { results[name] = 'refused: ' + error.name; } };
(async () => {
  await attempt('me', async () => { const r = await fetch('/api/me', { credentials: 'include' }); return r.status + ' ' + (await r.text()); });
  await attempt('promote', async () => {
    const r = await fetch('/api/admin/users', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'pwned', password: 'pwned-password-1', role: 'admin' }) });
    return r.status + ' ' + (await r.text());
  });
  await attempt('own', async () => { const r = await fetch('echo?from=page'); return r.status + ' ' + (await r.text()).split('\r\n')[0]; });
  await attempt('ownPost', async () => {
    const r = await fetch('echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return r.status + ' ' + (await r.text()).split('\r\n')[0];
  });
  await attempt('serviceWorker', async () => { await navigator.serviceWorker.register('sw.js'); return 'registered'; });
  await attempt('cookie', async () => document.cookie);
  await attempt('storage', async () => String(localStorage.length));
  document.getElementById('result').textContent = JSON.stringify(results);
  document.body.dataset.done = 'yes';
})();
</script>
HTML
while (my $c = $server->accept) {
  my $request = '';
  while (my $line = <$c>) { $request .= $line; last if $line =~ /^\r?\n$/ }
  my ($path) = $request =~ /^\S+ (\S+)/;
  my $cookies = "Set-Cookie: app=1; Path=/\r\nSet-Cookie: labhub_session =shadowed; Path=/\r\nSet-Cookie: =labhub_app=nameless; Path=/\r\nSet-Cookie: labhub_app=tossed; Domain=apps.test; Path=/\r\nSet-Cookie: wide=1; Domain=apps.test; Path=/\r\n";
  my ($status, $type, $extra, $body) = ('200 OK', 'text/plain', $cookies, "seen: $request");
  if ($path =~ m{^/page}) { ($type, $body) = ('text/html', $page) }
  elsif ($path =~ m{^/sw\.js}) { ($type, $extra, $body) = ('text/javascript', "Service-Worker-Allowed: /\r\n", "self.addEventListener('fetch', () => {});\n") }
  elsif ($path =~ m{^/headers}) { $extra .= "Service-Worker-Allowed: /\r\nClear-Site-Data: \"cookies\"\r\n" }
  elsif ($path =~ m{^/missing}) { $status = '404 Not Found' }
  elsif ($path =~ m{^/moved}) { ($status, $extra) = ('302 Found', "Location: /elsewhere\r\n") }
  print $c "HTTP/1.0 $status\r\nContent-Type: $type\r\n${extra}Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
  close $c;
}
