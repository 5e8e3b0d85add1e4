// bunserver is a real Bun HTTPS server used by pqready's observe tests: a
// server whose TLS is BoringSSL (as built into Bun), not OpenSSL or Go's
// crypto/tls, with Bun's default TLS settings; only the certificate and key
// are given. scripts/install-peers installs Bun itself (bin/bun); this file
// is run from the source tree.
//
// Usage: bun server.ts PORT CERT.pem KEY.pem
//
// It listens on 127.0.0.1:PORT, prints "listening on 127.0.0.1:PORT" and
// answers every request with "ok". Bun cannot say which key-exchange group a
// connection negotiated (neither Bun.serve nor its node:tls sockets expose
// it: getEphemeralKeyInfo() is null on a server), so it logs nothing per
// connection; the tests read the group from the capture instead.
const [port, cert, key] = process.argv.slice(2);
if (!port || !cert || !key) {
  console.error("usage: bun server.ts PORT CERT.pem KEY.pem");
  process.exit(2);
}
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  tls: { cert: Bun.file(cert), key: Bun.file(key) },
  fetch() {
    return new Response("ok\n");
  },
});
console.log(`listening on ${server.hostname}:${server.port}`);
