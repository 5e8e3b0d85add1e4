// denoclient is a real Deno TLS client used by pqready's observe tests: a
// client whose TLS is rustls (as built into Deno), not Go's crypto/tls or
// OpenSSL, with Deno's default TLS settings; it only trusts the test
// server's certificate. scripts/install-peers installs Deno itself
// (bin/deno); this file is run from the source tree.
//
// Usage: deno run --allow-net=127.0.0.1 --allow-read=CERT.pem client.ts \
//          127.0.0.1:PORT CERT.pem
//
// It connects, completes the handshake, sends one HTTP/1.1 GET and prints
//
//   ok status=HTTP/1.1 200 OK
//
// and exits 0; on any failure Deno prints the error and exits 1. Deno cannot
// say which key-exchange group it negotiated (Deno.TlsConn's handshake()
// gives only the ALPN protocol, and node:tls's getEphemeralKeyInfo() is an
// empty object), so the tests read the group from the capture instead.
const [addr, certFile] = Deno.args;
if (!addr || !certFile) {
  console.error("usage: client.ts HOST:PORT CERT.pem");
  Deno.exit(2);
}
const [hostname, port] = addr.split(":");
const conn = await Deno.connectTls({
  hostname,
  port: Number(port),
  caCerts: [await Deno.readTextFile(certFile)],
});
await conn.handshake();
await conn.write(
  new TextEncoder().encode(
    `GET / HTTP/1.1\r\nHost: ${addr}\r\nConnection: close\r\n\r\n`,
  ),
);
let response = "";
const decoder = new TextDecoder();
for await (const chunk of conn.readable) {
  response += decoder.decode(chunk, { stream: true });
}
console.log(`ok status=${response.split("\r\n")[0]}`);
