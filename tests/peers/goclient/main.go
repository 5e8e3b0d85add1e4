// goclient is a real Go crypto/tls client used by pqready's interop tests.
//
// It uses Go's DEFAULT tls.Config except for InsecureSkipVerify (test servers
// have throw-away certificates): which key-exchange groups it offers is
// decided entirely by the Go release it was built with and by the default
// GODEBUG that the go.mod "go" line selects. scripts/install-peers builds it
// once per Go toolchain (goclient-1.22 ... goclient-1.27), each with a go.mod
// whose go line is that toolchain's own version.
//
// Usage: goclient -connect 127.0.0.1:PORT [-servername NAME]
//
// It dials (10 s timeout for dial plus handshake), completes the TLS
// handshake and prints one line on stdout:
//
//	ok version=0x0304 cipher=0x1301
//
// and exits 0; on any failure it prints "error: ..." on stdout and exits 1.
//
// Keep this file compatible with Go 1.22: no newer APIs.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	connect := flag.String("connect", "", "address to connect to, e.g. 127.0.0.1:8443 (required)")
	serverName := flag.String("servername", "", "SNI server name to send (default: none for an IP address)")
	flag.Parse()
	if *connect == "" {
		fmt.Fprintln(os.Stderr, "goclient: -connect is required")
		flag.Usage()
		os.Exit(2)
	}

	cfg := &tls.Config{InsecureSkipVerify: true, ServerName: *serverName}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", *connect, cfg)
	if err != nil {
		fmt.Printf("error: %v\n", err)
		os.Exit(1)
	}
	st := conn.ConnectionState()
	fmt.Printf("ok version=0x%04x cipher=0x%04x\n", st.Version, st.CipherSuite)
	_ = conn.Close()
}
