// goserver is a real Go crypto/tls server used by pqready's interop tests.
//
// It deliberately uses Go's DEFAULT tls.Config (no CurvePreferences, no
// MinVersion/MaxVersion, no cipher list): which key-exchange groups it accepts
// is decided entirely by the Go release it was built with and by the default
// GODEBUG that the go.mod "go" line selects. scripts/install-peers builds it
// once per Go toolchain (goserver-1.22 ... goserver-1.27), each with a go.mod
// whose go line is that toolchain's own version.
//
// Usage: goserver -listen 127.0.0.1:PORT [-cert FILE -key FILE]
//
// Without -cert/-key it makes a self-signed ECDSA P-256 certificate for
// "localhost" / 127.0.0.1 in memory. Once listening it prints exactly one line
// "listening ADDR" on stdout (ADDR is the real address, so -listen
// 127.0.0.1:0 works), then serves until killed: each connection completes a
// TLS handshake and gets a minimal HTTP/1.1 200 "ok\n" response. Diagnostics,
// including the groups each client offered, go to stderr.
//
// Keep this file compatible with Go 1.22: no newer APIs (for example
// tls.ConnectionState.CurveID only exists from Go 1.25 on).
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"os"
	"strings"
	"time"
)

const response = "HTTP/1.1 200 OK\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Length: 3\r\n" +
	"Connection: close\r\n" +
	"\r\n" +
	"ok\n"

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func hexList(ids []uint16) string {
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("0x%04x", id))
	}
	return strings.Join(parts, ",")
}

func serve(conn net.Conn, cfg *tls.Config, logger *log.Logger) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Server(conn, cfg)
	if err := tc.Handshake(); err != nil {
		logger.Printf("handshake failed from %s: %v", conn.RemoteAddr(), err)
		return
	}
	st := tc.ConnectionState()
	logger.Printf("handshake ok from %s version=0x%04x cipher=0x%04x",
		conn.RemoteAddr(), st.Version, st.CipherSuite)
	// Read the request head (if the client sends one) and answer it.
	r := bufio.NewReader(tc)
	for {
		line, err := r.ReadString('\n')
		if err != nil || strings.TrimRight(line, "\r\n") == "" {
			break
		}
	}
	_, _ = tc.Write([]byte(response))
	_ = tc.Close()
}

func main() {
	listen := flag.String("listen", "", "address to listen on, e.g. 127.0.0.1:8443 (required)")
	certFile := flag.String("cert", "", "PEM certificate file (optional)")
	keyFile := flag.String("key", "", "PEM private key file (optional)")
	flag.Parse()
	logger := log.New(os.Stderr, "goserver: ", log.LstdFlags|log.Lmicroseconds)
	if *listen == "" {
		fmt.Fprintln(os.Stderr, "goserver: -listen is required")
		flag.Usage()
		os.Exit(2)
	}
	if (*certFile == "") != (*keyFile == "") {
		fmt.Fprintln(os.Stderr, "goserver: -cert and -key go together")
		os.Exit(2)
	}

	var cert tls.Certificate
	var err error
	if *certFile != "" {
		cert, err = tls.LoadX509KeyPair(*certFile, *keyFile)
	} else {
		cert, err = selfSigned()
	}
	if err != nil {
		logger.Fatalf("certificate: %v", err)
	}

	// Default configuration on purpose: only the certificate is set, plus a
	// hook that logs what each client offers and changes nothing (it returns
	// nil, so this same config is used).
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		curves := make([]uint16, 0, len(hello.SupportedCurves))
		for _, c := range hello.SupportedCurves {
			curves = append(curves, uint16(c))
		}
		logger.Printf("client %s sni=%q versions=%s supported_curves=%s",
			hello.Conn.RemoteAddr(), hello.ServerName,
			hexList(hello.SupportedVersions), hexList(curves))
		return nil, nil
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		logger.Fatalf("listen: %v", err)
	}
	fmt.Fprintf(os.Stdout, "listening %s\n", ln.Addr().String())

	for {
		conn, err := ln.Accept()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			logger.Fatalf("accept: %v", err)
		}
		go serve(conn, cfg, logger)
	}
}
