// oldgomod prints the key-exchange groups its own crypto/tls client offers
// by default, so pqready's tests can compare what `pqready binaries`
// predicts from the build info with what the program really does.
//
// tests/it/binaries.rs builds it with each Go toolchain of the peer prefix and
// with go.mod "go" lines older than the toolchain (the case the directory is
// named after: an old go line turns on old GODEBUG defaults such as
// tlsmlkem=0). It never touches the network: the client and a server that
// records the ClientHello talk over an in-memory net.Pipe.
//
// Output, one line: "groups 4588,29,23,24,25" (decimal TLS group ids, in
// the client's preference order). Exit status 1 on failure.
//
// Keep this file compatible with Go 1.22: no newer APIs.
package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	clientSide, serverSide := net.Pipe()
	seen := make(chan []tls.CurveID, 1)
	server := tls.Server(serverSide, &tls.Config{
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			seen <- append([]tls.CurveID(nil), hello.SupportedCurves...)
			return nil, errors.New("hello recorded")
		},
	})
	go func() {
		_ = server.Handshake()
		_ = serverSide.Close()
	}()
	client := tls.Client(clientSide, &tls.Config{ServerName: "oldgomod.test", InsecureSkipVerify: true})
	_ = client.Handshake()
	_ = clientSide.Close()

	select {
	case curves := <-seen:
		ids := make([]string, len(curves))
		for i, c := range curves {
			ids[i] = fmt.Sprint(uint16(c))
		}
		fmt.Printf("groups %s\n", strings.Join(ids, ","))
	default:
		fmt.Println("error: no ClientHello recorded")
		os.Exit(1)
	}
}
